-- id: bedrock_customization_job_unprotected
-- title: Bedrock customization job without CMK, outside a VPC, or on a restricted base model
-- severity: medium
-- technique: -
-- guidance: G6, G12
-- catalogue: 25
-- description: CreateModelCustomizationJob (fine-tuning, continued pre-training, distillation)
--   was called without customModelKmsKeyId (the custom model is encrypted with an AWS-owned
--   key instead of a customer-managed one), without vpcConfig (the job reads the training
--   data outside the VPC), or on a base model matching restricted_models. The evidence says
--   which. The missing-key and missing-VPC checks only judge requests that CloudTrail logged
--   in full (roleArn or trainingDataConfig present); the base model falls back to the job ARN
--   when the request does not carry it.
-- false_positives: Experiments on public, non-sensitive data where an AWS-owned key is
--   accepted.
SELECT
  min(c.eventtime_ts) AS window_start,
  max(c.eventtime_ts) AS window_end,
  min(c.account_id) AS account_id,
  min(c.region) AS region,
  min(c.principal_arn) AS principal_arn,
  min(c.source_ip) AS source_ip,
  min(c.user_agent) AS user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[c.eventid] AS event_ids,
  min(c.job_name) AS resource,
  MAP(
    ARRAY['job_name', 'base_model', 'no_customer_managed_key', 'no_vpc_config', 'restricted_base_model', 'matched_pattern', 'training_data', 'output_data'],
    ARRAY[min(c.job_name),
          min(c.base_model),
          CASE WHEN max(c.no_cmk) = 1 THEN 'true' ELSE 'false' END,
          CASE WHEN max(c.no_vpc) = 1 THEN 'true' ELSE 'false' END,
          CASE WHEN count(m.pattern) > 0 THEN 'true' ELSE 'false' END,
          min(m.pattern),
          min(c.training_uri),
          min(c.output_uri)]
  ) AS evidence
FROM (
  SELECT
    eventtime_ts,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    json_extract_scalar(requestparameters, '$.jobName') AS job_name,
    lower(coalesce(json_extract_scalar(requestparameters, '$.baseModelIdentifier'),
                   nullif(split_part(coalesce(json_extract_scalar(responseelements, '$.jobArn'), ''), '/', 2), ''))) AS base_model,
    json_extract_scalar(requestparameters, '$.trainingDataConfig.s3Uri') AS training_uri,
    json_extract_scalar(requestparameters, '$.outputDataConfig.s3Uri') AS output_uri,
    CASE WHEN (json_extract_scalar(requestparameters, '$.roleArn') IS NOT NULL
               OR json_extract(requestparameters, '$.trainingDataConfig') IS NOT NULL)
              AND coalesce(json_extract_scalar(requestparameters, '$.customModelKmsKeyId'), '') = ''
         THEN 1 ELSE 0 END AS no_cmk,
    CASE WHEN (json_extract_scalar(requestparameters, '$.roleArn') IS NOT NULL
               OR json_extract(requestparameters, '$.trainingDataConfig') IS NOT NULL)
              AND json_extract(requestparameters, '$.vpcConfig.subnetIds[0]') IS NULL
         THEN 1 ELSE 0 END AS no_vpc
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname = 'CreateModelCustomizationJob'
    AND coalesce(errorcode, '') = ''
) c
LEFT JOIN th_restricted_models m
  ON c.base_model LIKE lower(m.pattern)
  OR c.base_model LIKE concat('%/', lower(m.pattern))
  OR c.base_model LIKE concat('%.', lower(m.pattern))
GROUP BY c.eventid
HAVING max(c.no_cmk) = 1 OR max(c.no_vpc) = 1 OR count(m.pattern) > 0
