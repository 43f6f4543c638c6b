-- id: sagemaker_training_outside_vpc_or_unencrypted
-- title: SageMaker training job outside a VPC or without KMS keys
-- severity: medium
-- technique: -
-- guidance: G1, G9
-- catalogue: 6
-- description: A training job was created without vpcConfig (it then runs in the
--   SageMaker service network, not the customer's VPC), without
--   outputDataConfig.kmsKeyId (model artifacts are written with the bucket's default
--   encryption, not a customer managed key) or without resourceConfig.volumeKmsKeyId
--   (the ML storage volume uses an AWS managed key). The evidence key missing lists
--   which of vpcConfig, outputKmsKeyId and volumeKmsKeyId are absent.
-- false_positives: Instance types with local NVMe instance storage (for example
--   ml.p4d, ml.g5, ml.m5d), where SageMaker refuses volumeKmsKeyId because the disk is
--   hardware-encrypted; output buckets whose default encryption is already SSE-KMS with
--   a CMK; jobs launched by SageMaker itself (AWSService callers are excluded).
SELECT
  t.eventtime_ts AS window_start,
  t.eventtime_ts AS window_end,
  t.account_id,
  t.region,
  t.principal_arn,
  t.source_ip,
  t.user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[t.eventid] AS event_ids,
  t.resource,
  MAP(
    ARRAY['missing', 'instance_type', 'output_path', 'output_kms_key_id', 'volume_kms_key_id'],
    ARRAY[array_join(ARRAY[
            CASE WHEN t.vpc_subnet IS NULL THEN 'vpcConfig' END,
            CASE WHEN t.output_kms IS NULL THEN 'outputKmsKeyId' END,
            CASE WHEN t.volume_kms IS NULL THEN 'volumeKmsKeyId' END], ','),
          t.instance_type,
          t.output_path,
          t.output_kms,
          t.volume_kms]
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
    json_extract_scalar(requestparameters, '$.trainingJobName') AS resource,
    coalesce(json_extract_scalar(requestparameters, '$.resourceConfig.instanceType'),
             json_extract_scalar(requestparameters, '$.resourceConfig.instanceGroups[0].instanceType')) AS instance_type,
    json_extract_scalar(requestparameters, '$.outputDataConfig.s3OutputPath') AS output_path,
    json_extract_scalar(requestparameters, '$.vpcConfig.subnets[0]') AS vpc_subnet,
    nullif(trim(json_extract_scalar(requestparameters, '$.outputDataConfig.kmsKeyId')), '') AS output_kms,
    nullif(trim(json_extract_scalar(requestparameters, '$.resourceConfig.volumeKmsKeyId')), '') AS volume_kms
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname = 'CreateTrainingJob'
    AND coalesce(errorcode, '') = ''
    AND coalesce(useridentity.type, '') <> 'AWSService'
) t
WHERE t.vpc_subnet IS NULL OR t.output_kms IS NULL OR t.volume_kms IS NULL
