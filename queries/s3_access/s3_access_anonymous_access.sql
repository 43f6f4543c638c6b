-- id: s3_access_anonymous_access
-- title: Anonymous (unauthenticated) S3 object access succeeded
-- severity: high
-- technique: T1530
-- guidance: G14
-- catalogue: 37
-- description: S3 server access logs: an object operation (REST.*OBJECT*, multipart
--   upload, WEBSITE.*) or an object listing (REST.GET.BUCKET, REST.GET.BUCKETVERSIONS)
--   with no requester (no credentials) that succeeded (HTTP below 400, no error code),
--   per bucket and remote IP per hour. Anonymous reads or writes that
--   work mean the bucket or the object is public through a policy, an ACL or website
--   hosting; on an ML bucket that is a training set or a model open to the internet.
--   S3's own operations (S3.EXPIRE.OBJECT, S3.TRANSITION*, S3.CREATE.DELETEMARKER and
--   other S3.* lifecycle actions), AWS service delivery requesters (svc:*, AmazonS3) and
--   failed anonymous probes (403, left to s3_access_error_burst) are not findings.
-- false_positives: Buckets that are public by design (static websites, public datasets,
--   software downloads); put them in a separate log target or filter them.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  CAST(NULL AS varchar) AS account_id,
  min(e.region) AS region,
  'anonymous' AS principal_arn,
  e.remoteip AS source_ip,
  min(e.useragent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.requestid) AS event_ids,
  e.bucket_name AS resource,
  MAP(
    ARRAY['bucket', 'bucket_owner', 'requests', 'operations', 'distinct_keys', 'bytes', 'http_statuses', 'first_key', 'last_key'],
    ARRAY[
      e.bucket_name,
      min(e.bucketowner),
      CAST(count(*) AS varchar),
      array_join(array_agg(DISTINCT e.operation), ','),
      CAST(count(DISTINCT e.key) AS varchar),
      CAST(sum(e.bytes) AS varchar),
      array_join(array_agg(DISTINCT CAST(e.httpstatus AS varchar)), ','),
      min(e.key),
      max(e.key)]
  ) AS evidence
FROM (
  SELECT
    requestid,
    date_trunc('hour', requestdatetime_ts) AS hour_start,
    CASE WHEN strpos(concat('.', endpoint), '.s3.') > 0
      THEN nullif(replace(split_part(split_part(concat('.', endpoint), '.s3.', 2), '.amazonaws.com', 1), 'dualstack.', ''), 'amazonaws.com')
    END AS region,
    remoteip,
    useragent,
    bucket_name,
    bucketowner,
    operation,
    key,
    httpstatus,
    coalesce(bytessent, 0) AS bytes
  FROM s3_access
  WHERE requester IS NULL
    AND (
      (operation LIKE 'REST.%' AND (operation LIKE '%OBJECT%' OR operation LIKE '%UPLOAD%' OR operation = 'REST.PUT.PART'))
      OR operation IN ('REST.GET.BUCKET', 'REST.GET.BUCKETVERSIONS')
      OR operation LIKE 'WEBSITE.%'
    )
    AND errorcode IS NULL
    AND coalesce(httpstatus, 0) BETWEEN 200 AND 399
) e
GROUP BY e.hour_start, e.bucket_name, e.remoteip
