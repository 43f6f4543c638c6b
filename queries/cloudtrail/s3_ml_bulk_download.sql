-- id: s3_ml_bulk_download
-- title: Bulk download from an ML bucket (training data or model artifacts)
-- severity: high
-- technique: T1530
-- guidance: G13, G14
-- catalogue: 34
-- description: S3 data events: successful GetObject calls on a bucket matching
--   ml_bucket_patterns, per principal, bucket and source IP per hour, whose
--   additionalEventData.bytesTransferredOut add up to s3_ml_download_bytes_per_hour or
--   more, or that number s3_ml_objects_per_hour or more. Copying a training set or a
--   model registry out of the account is the exfiltration the ML guidance asks to see
--   (Panther's large-download query sums the same field). bytesTransferredOut arrives as
--   an integer or a float (500.0) and is read through double. Needs S3 data events on
--   the ML buckets; s3_access_ml_bulk_download does the same on server access logs.
--   evidence.reasons says which threshold was crossed.
-- false_positives: Training jobs, batch inference and model-deployment roles reading their
--   own data (run them from known roles and networks, or raise the thresholds); data
--   migrations and backups.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  e.principal_arn,
  e.source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  e.bucket AS resource,
  MAP(
    ARRAY['reasons', 'bucket', 'objects', 'distinct_keys', 'bytes', 'largest_object_bytes', 'key_prefixes', 'first_key', 'last_key', 'user_agents'],
    ARRAY[
      concat(
        CASE WHEN sum(e.bytes) >= max(p.s3_ml_download_bytes_per_hour) THEN 'bytes' ELSE '' END,
        CASE WHEN sum(e.bytes) >= max(p.s3_ml_download_bytes_per_hour) AND count(*) >= max(p.s3_ml_objects_per_hour) THEN ',' ELSE '' END,
        CASE WHEN count(*) >= max(p.s3_ml_objects_per_hour) THEN 'objects' ELSE '' END),
      e.bucket,
      CAST(count(*) AS varchar),
      CAST(count(DISTINCT e.object_key) AS varchar),
      CAST(sum(e.bytes) AS varchar),
      CAST(max(e.bytes) AS varchar),
      array_join(array_agg(DISTINCT e.key_prefix), ','),
      min(e.object_key),
      max(e.object_key),
      CAST(count(DISTINCT e.user_agent) AS varchar)]
  ) AS evidence
FROM (
  SELECT *
  FROM (
    SELECT
      date_trunc('hour', eventtime_ts) AS hour_start,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, nullif(useridentity.principalid, ''), useridentity.accountid) AS principal_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventid,
      json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
      json_extract_scalar(requestparameters, '$.key') AS object_key,
      split_part(coalesce(json_extract_scalar(requestparameters, '$.key'), ''), '/', 1) AS key_prefix,
      coalesce(CAST(CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double) AS bigint), 0) AS bytes
    FROM cloudtrail
    WHERE eventsource = 's3.amazonaws.com'
      AND eventname = 'GetObject'
      AND coalesce(errorcode, '') = ''
  ) g
  WHERE EXISTS (SELECT 1 FROM th_ml_buckets b WHERE g.bucket LIKE b.pattern)
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn, e.bucket, e.source_ip
HAVING sum(e.bytes) >= max(p.s3_ml_download_bytes_per_hour)
    OR count(*) >= max(p.s3_ml_objects_per_hour)
