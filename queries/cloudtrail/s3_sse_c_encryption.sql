-- id: s3_sse_c_encryption
-- title: Many S3 objects written with customer-provided keys (SSE-C), ransomware pattern
-- severity: high
-- technique: T1486
-- guidance: G9
-- catalogue: 43
-- description: S3 data events: at least s3_sse_c_objects successful PutObject, CopyObject,
--   CreateMultipartUpload or UploadPart calls in one bucket within an hour that used
--   server-side encryption with a customer-provided key (requestParameters
--   x-amz-server-side-encryption-customer-algorithm present, or additionalEventData
--   SSEApplied SSE_C). With SSE-C AWS keeps no copy of the key: re-encrypting a bucket's
--   training data or models in place with an attacker's key makes them unreadable to the
--   owner, the S3 ransomware technique (Codefinger, 2025). The guidance wants SSE-KMS with
--   CMKs on ML data; SSE-C in bulk is its opposite. evidence lists the writers and keys.
-- false_positives: Applications that use SSE-C by design (rare; block it with a bucket
--   policy on s3:x-amz-server-side-encryption-customer-algorithm if unused).
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  min(e.principal_arn) AS principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  e.bucket AS resource,
  MAP(
    ARRAY['bucket', 'objects', 'distinct_keys', 'event_names', 'principals', 'source_ips', 'first_key', 'last_key', 'threshold'],
    ARRAY[
      e.bucket,
      CAST(count(*) AS varchar),
      CAST(count(DISTINCT e.object_key) AS varchar),
      array_join(array_agg(DISTINCT e.eventname), ','),
      array_join(array_agg(DISTINCT e.principal_arn), ','),
      array_join(array_agg(DISTINCT e.source_ip), ','),
      coalesce(min(e.object_key), ''),
      coalesce(max(e.object_key), ''),
      CAST(max(p.s3_sse_c_objects) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, nullif(useridentity.principalid, ''), useridentity.accountid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
    coalesce(json_extract_scalar(requestparameters, '$.key'), json_extract_scalar(requestparameters, '$.Key')) AS object_key
  FROM cloudtrail
  WHERE eventsource = 's3.amazonaws.com'
    AND eventname IN ('PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy')
    AND coalesce(errorcode, '') = ''
    AND (
      coalesce(json_extract_scalar(requestparameters, '$["x-amz-server-side-encryption-customer-algorithm"]'), '') <> ''
      OR upper(coalesce(json_extract_scalar(additionaleventdata, '$.SSEApplied'), '')) = 'SSE_C'
    )
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.bucket
HAVING count(*) >= max(p.s3_sse_c_objects)
