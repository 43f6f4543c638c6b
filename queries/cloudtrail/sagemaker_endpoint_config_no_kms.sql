-- id: sagemaker_endpoint_config_no_kms
-- title: SageMaker endpoint configuration without a KMS key
-- severity: low
-- technique: -
-- guidance: G9
-- catalogue: 7
-- description: An endpoint configuration was created without kmsKeyId, so the ML
--   storage volumes attached to the endpoint's instances are not encrypted with a
--   customer managed key. Serverless configurations (the first variant has
--   serverlessConfig and no instanceType) are skipped: they take no key. The evidence
--   shows the instance types and whether data capture has its own key.
-- false_positives: Instance types with local NVMe instance storage (ml.g5, ml.p4d,
--   ml.m5d ...), where SageMaker rejects a kmsKeyId because the disk is
--   hardware-encrypted; accounts that accept AWS managed keys for inference volumes.
SELECT
  eventtime_ts AS window_start,
  eventtime_ts AS window_end,
  coalesce(recipientaccountid, useridentity.accountid) AS account_id,
  awsregion AS region,
  coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
  sourceipaddress AS source_ip,
  useragent AS user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[eventid] AS event_ids,
  json_extract_scalar(requestparameters, '$.endpointConfigName') AS resource,
  MAP(
    ARRAY['instance_type', 'variants', 'data_capture_kms_key_id', 'async_output_kms_key_id'],
    ARRAY[json_extract_scalar(requestparameters, '$.productionVariants[0].instanceType'),
          CAST(json_array_length(json_extract(requestparameters, '$.productionVariants')) AS varchar),
          json_extract_scalar(requestparameters, '$.dataCaptureConfig.kmsKeyId'),
          json_extract_scalar(requestparameters, '$.asyncInferenceConfig.outputConfig.kmsKeyId')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'sagemaker.amazonaws.com'
  AND eventname = 'CreateEndpointConfig'
  AND coalesce(errorcode, '') = ''
  AND coalesce(useridentity.type, '') <> 'AWSService'
  AND nullif(trim(json_extract_scalar(requestparameters, '$.kmsKeyId')), '') IS NULL
  AND NOT (
    json_extract_scalar(requestparameters, '$.productionVariants[0].instanceType') IS NULL
    AND json_extract(requestparameters, '$.productionVariants[0].serverlessConfig') IS NOT NULL
  )
