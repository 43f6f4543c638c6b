-- id: comprehend_pii_job_unprotected
-- title: Comprehend PII / entity detection job without an output CMK or by an unapproved principal
-- severity: medium
-- technique: T1530
-- guidance: G7
-- catalogue: 32
-- description: A StartPiiEntitiesDetectionJob or StartEntitiesDetectionJob call succeeded
--   with no outputDataConfig.kmsKeyId (the results, which locate or quote the personal
--   data found, land in S3 without a customer-managed key), or was made by a principal
--   matching none of the approved_principals 'comprehend' patterns (checked only when
--   some are configured; the caller's ARN and its role's ARN are both tried).
--   evidence.reasons says which condition fired (no_output_kms_key, unapproved_principal)
--   and the evidence names the input and output S3 locations and the data access role,
--   so the analyst sees where the scan results went.
-- false_positives: Jobs writing to a bucket whose default encryption is already SSE-KMS
--   with a CMK (the request then carries no kmsKeyId); data-governance staff not yet in
--   the approved list.
SELECT
  e.eventtime_ts AS window_start,
  e.eventtime_ts AS window_end,
  e.account_id,
  e.region,
  e.principal_arn,
  e.source_ip,
  e.user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[e.eventid] AS event_ids,
  coalesce(e.job_arn, e.job_name) AS resource,
  MAP(
    ARRAY['reasons', 'event_name', 'job_name', 'input_s3_uri', 'output_s3_uri', 'output_kms_key_id', 'volume_kms_key_id', 'data_access_role_arn'],
    ARRAY[
      concat(
        CASE WHEN e.output_kms_key_id IS NULL THEN 'no_output_kms_key' ELSE '' END,
        CASE WHEN e.output_kms_key_id IS NULL AND k.patterns > 0 AND e.approved_matches = 0 THEN ',' ELSE '' END,
        CASE WHEN k.patterns > 0 AND e.approved_matches = 0 THEN 'unapproved_principal' ELSE '' END),
      e.eventname,
      e.job_name,
      e.input_s3_uri,
      e.output_s3_uri,
      coalesce(e.output_kms_key_id, '-'),
      coalesce(e.volume_kms_key_id, '-'),
      e.data_access_role_arn]
  ) AS evidence
FROM (
  SELECT
    c.eventid, c.eventtime_ts, c.account_id, c.region, c.principal_arn, c.source_ip, c.user_agent,
    c.eventname, c.job_name, c.job_arn, c.input_s3_uri, c.output_s3_uri, c.output_kms_key_id,
    c.volume_kms_key_id, c.data_access_role_arn,
    count(a.pattern) AS approved_matches
  FROM (
    SELECT
      eventid,
      eventtime_ts,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      coalesce(useridentity.sessioncontext.sessionissuer.arn, '') AS issuer_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventname,
      json_extract_scalar(requestparameters, '$.jobName') AS job_name,
      json_extract_scalar(responseelements, '$.jobArn') AS job_arn,
      json_extract_scalar(requestparameters, '$.inputDataConfig.s3Uri') AS input_s3_uri,
      json_extract_scalar(requestparameters, '$.outputDataConfig.s3Uri') AS output_s3_uri,
      nullif(trim(json_extract_scalar(requestparameters, '$.outputDataConfig.kmsKeyId')), '') AS output_kms_key_id,
      nullif(trim(json_extract_scalar(requestparameters, '$.volumeKmsKeyId')), '') AS volume_kms_key_id,
      json_extract_scalar(requestparameters, '$.dataAccessRoleArn') AS data_access_role_arn
    FROM cloudtrail
    WHERE eventsource = 'comprehend.amazonaws.com'
      AND eventname IN ('StartPiiEntitiesDetectionJob', 'StartEntitiesDetectionJob')
      AND coalesce(errorcode, '') = ''
  ) c
  LEFT JOIN th_approved_principals a
    ON a.service = 'comprehend' AND (c.principal_arn LIKE a.pattern OR c.issuer_arn LIKE a.pattern)
  GROUP BY c.eventid, c.eventtime_ts, c.account_id, c.region, c.principal_arn, c.source_ip, c.user_agent,
    c.eventname, c.job_name, c.job_arn, c.input_s3_uri, c.output_s3_uri, c.output_kms_key_id,
    c.volume_kms_key_id, c.data_access_role_arn
) e
CROSS JOIN (SELECT count(*) AS patterns FROM th_approved_principals WHERE service = 'comprehend') k
WHERE e.output_kms_key_id IS NULL OR (k.patterns > 0 AND e.approved_matches = 0)
