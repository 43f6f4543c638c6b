-- id: s3_access_large_object_download
-- title: Single large S3 object downloaded (server access logs)
-- severity: medium
-- technique: T1530
-- guidance: G14
-- catalogue: 35
-- description: S3 server access logs: a successful REST.GET.OBJECT (HTTP 2xx) whose bytes
--   sent are s3_large_object_bytes or more, on any bucket. The access-log twin of
--   s3_large_object_download: model weights, packed datasets and dumps leave as single
--   large objects. The condition is per request; findings are grouped per requester,
--   bucket and remote IP per hour, with the largest object named in the evidence.
--   Anonymous requests are grouped as requester 'anonymous'; access logs carry no account
--   id.
-- false_positives: Model deployment and registry sync pulling model.tar.gz; analysts
--   downloading datasets they own; restores.
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
    ARRAY['bucket', 'bucket_owner', 'objects', 'bytes', 'largest_object_bytes', 'largest_object_key', 'keys', 'threshold'],
    ARRAY[
      e.bucket_name,
      min(e.bucketowner),
      CAST(count(*) AS varchar),
      CAST(sum(e.bytes) AS varchar),
      CAST(max(e.bytes) AS varchar),
      substr(max(e.size_key), 22),
      array_join(array_agg(DISTINCT e.key), ','),
      CAST(max(e.threshold) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    g.*,
    p.s3_large_object_bytes AS threshold,
    -- zero-padded size first, so max() picks the key of the largest object
    concat(substr(concat('0000000000000000000', CAST(g.bytes AS varchar)), length(CAST(g.bytes AS varchar)), 20), ' ', coalesce(g.key, '')) AS size_key
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
      coalesce(bytessent, 0) AS bytes
    FROM s3_access
    WHERE operation = 'REST.GET.OBJECT'
      AND errorcode IS NULL
      AND coalesce(httpstatus, 0) BETWEEN 200 AND 299
  ) g
  CROSS JOIN th_params p
  WHERE g.bytes >= p.s3_large_object_bytes
) e
GROUP BY e.hour_start, e.requester, e.bucket_name, e.remoteip
