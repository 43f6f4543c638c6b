-- id: s3_model_artifact_download_new_principal
-- title: Model artifacts downloaded by a principal that never read them before
-- severity: medium
-- technique: T1530
-- guidance: G13, G14
-- catalogue: 34
-- description: S3 data events: successful GetObject of model artifacts (keys ending
--   model.tar.gz, .safetensors, .onnx, .pt, .pth, .ckpt, .gguf) in a bucket matching
--   ml_bucket_patterns by a principal (role for assumed-role sessions, else the caller)
--   that read no model artifact (in any bucket) in the history window. Model weights
--   are the crown jewels of an ML platform; the readers are few and steady (deployment,
--   registry sync), so a new one is worth a look even below the bulk thresholds. One
--   finding per principal and bucket. Waits for min_history_days of history.
-- false_positives: A new deployment pipeline or a newly hired ML engineer; model
--   promotion to a new account.
SELECT
  min(c.eventtime_ts) AS window_start,
  max(c.eventtime_ts) AS window_end,
  c.account_id,
  min(c.region) AS region,
  c.principal_arn,
  min(c.source_ip) AS source_ip,
  min(c.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(c.eventid) AS event_ids,
  c.bucket AS resource,
  MAP(
    ARRAY['bucket', 'objects', 'bytes', 'keys', 'source_ips', 'sessions'],
    ARRAY[
      c.bucket,
      CAST(count(*) AS varchar),
      CAST(sum(c.bytes) AS varchar),
      array_join(array_agg(DISTINCT c.object_key), ','),
      array_join(array_agg(DISTINCT c.source_ip), ','),
      coalesce(array_join(array_agg(DISTINCT c.session_arn), ','), '')]
  ) AS evidence
FROM (
  SELECT *
  FROM (
    SELECT
      eventtime_ts,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, nullif(useridentity.principalid, ''), useridentity.accountid) AS principal_arn,
      useridentity.arn AS session_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventid,
      json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
      json_extract_scalar(requestparameters, '$.key') AS object_key,
      coalesce(CAST(CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double) AS bigint), 0) AS bytes
    FROM cloudtrail
    WHERE eventsource = 's3.amazonaws.com'
      AND eventname = 'GetObject'
      AND coalesce(errorcode, '') = ''
      AND (lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%model.tar.gz'
        OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.safetensors'
        OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.onnx'
        OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.pt'
        OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.pth'
        OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.ckpt'
        OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.gguf')
  ) g
  WHERE EXISTS (SELECT 1 FROM th_ml_buckets b WHERE g.bucket LIKE b.pattern)
) c
LEFT JOIN (
  SELECT DISTINCT
    coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, nullif(useridentity.principalid, ''), useridentity.accountid) AS principal_arn
  FROM cloudtrail_history
  WHERE eventsource = 's3.amazonaws.com'
    AND eventname = 'GetObject'
    AND coalesce(errorcode, '') = ''
    AND (lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%model.tar.gz'
      OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.safetensors'
      OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.onnx'
      OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.pt'
      OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.pth'
      OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.ckpt'
      OR lower(json_extract_scalar(requestparameters, '$.key')) LIKE '%.gguf')
) h ON h.principal_arn = c.principal_arn
WHERE h.principal_arn IS NULL
GROUP BY c.account_id, c.principal_arn, c.bucket
