-- id: s3_access_ml_bulk_download
-- title: Bulk download from an ML bucket (server access logs)
-- severity: high
-- technique: T1530
-- guidance: G14
-- catalogue: 34
-- description: S3 server access logs: successful REST.GET.OBJECT requests (HTTP 2xx, no
--   error code) on a bucket matching ml_bucket_patterns, per requester, bucket and remote
--   IP per hour, whose bytes sent add up to s3_ml_download_bytes_per_hour or more, or
--   that number s3_ml_objects_per_hour or more. The access-log twin of
--   s3_ml_bulk_download, for buckets that log requests but have no CloudTrail data events.
--   Anonymous requests are grouped as requester 'anonymous'. Access logs carry no account
--   id (the bucket owner is a canonical user id, in evidence); region comes from the
--   virtual-host endpoint when it names one. evidence.reasons says which threshold was
--   crossed.
-- false_positives: Training and batch-inference roles reading their own datasets, model
--   deployment, replication and backup tools; raise the thresholds or run them from known
--   networks.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  CAST(NULL AS varchar) AS account_id,
  min(e.region) AS region,
  e.requester AS principal_arn,
  e.remoteip AS source_ip,
  min(e.useragent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.requestid) AS event_ids,
  e.bucket_name AS resource,
  MAP(
    ARRAY['reasons', 'bucket', 'bucket_owner', 'objects', 'distinct_keys', 'bytes', 'largest_object_bytes', 'key_prefixes', 'first_key', 'last_key', 'user_agents'],
    ARRAY[
      concat(
        CASE WHEN sum(e.bytes) >= max(p.s3_ml_download_bytes_per_hour) THEN 'bytes' ELSE '' END,
        CASE WHEN sum(e.bytes) >= max(p.s3_ml_download_bytes_per_hour) AND count(*) >= max(p.s3_ml_objects_per_hour) THEN ',' ELSE '' END,
        CASE WHEN count(*) >= max(p.s3_ml_objects_per_hour) THEN 'objects' ELSE '' END),
      e.bucket_name,
      min(e.bucketowner),
      CAST(count(*) AS varchar),
      CAST(count(DISTINCT e.key) AS varchar),
      CAST(sum(e.bytes) AS varchar),
      CAST(max(e.bytes) AS varchar),
      array_join(array_agg(DISTINCT e.key_prefix), ','),
      min(e.key),
      max(e.key),
      CAST(count(DISTINCT e.useragent) AS varchar)]
  ) AS evidence
FROM (
  SELECT *
  FROM (
    SELECT
      date_trunc('hour', requestdatetime_ts) AS hour_start,
      CASE WHEN strpos(concat('.', endpoint), '.s3.') > 0
        THEN nullif(replace(split_part(split_part(concat('.', endpoint), '.s3.', 2), '.amazonaws.com', 1), 'dualstack.', ''), 'amazonaws.com')
      END AS region,
      coalesce(requester, 'anonymous') AS requester,
      remoteip,
      useragent,
      requestid,
      bucket_name,
      bucketowner,
      key,
      split_part(coalesce(key, ''), '/', 1) AS key_prefix,
      coalesce(bytessent, 0) AS bytes
    FROM s3_access
    WHERE operation = 'REST.GET.OBJECT'
      AND errorcode IS NULL
      AND coalesce(httpstatus, 0) BETWEEN 200 AND 299
  ) g
  WHERE EXISTS (SELECT 1 FROM th_ml_buckets b WHERE g.bucket_name LIKE b.pattern)
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.requester, e.bucket_name, e.remoteip
HAVING sum(e.bytes) >= max(p.s3_ml_download_bytes_per_hour)
    OR count(*) >= max(p.s3_ml_objects_per_hour)
