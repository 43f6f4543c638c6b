-- id: bedrock_invocation_logging_changed
-- title: Bedrock model invocation logging deleted or changed
-- severity: high
-- technique: T1562.008
-- guidance: G12, G13
-- catalogue: 15
-- description: The account's Bedrock model invocation logging configuration was deleted
--   (DeleteModelInvocationLoggingConfiguration) or replaced (PutModelInvocationLoggingConfiguration).
--   Invocation logs are the only record of prompts and completions; LLMjacking actors turn
--   them off before abusing the models. The evidence says whether logging was deleted or
--   modified and where it now goes (S3 bucket, CloudWatch log group, which data types).
-- false_positives: Planned changes of the logging destination by the platform team; the
--   first configuration of logging in a new account or region (a Put).
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
  coalesce(json_extract_scalar(requestparameters, '$.loggingConfig.s3Config.bucketName'),
           json_extract_scalar(requestparameters, '$.loggingConfig.cloudWatchConfig.logGroupName')) AS resource,
  MAP(
    ARRAY['event_name', 'change', 's3_bucket', 'log_group', 'text_delivery', 'image_delivery', 'embedding_delivery', 'via_bearer_token'],
    ARRAY[eventname,
          CASE WHEN eventname = 'DeleteModelInvocationLoggingConfiguration' THEN 'deleted' ELSE 'modified' END,
          json_extract_scalar(requestparameters, '$.loggingConfig.s3Config.bucketName'),
          json_extract_scalar(requestparameters, '$.loggingConfig.cloudWatchConfig.logGroupName'),
          json_extract_scalar(requestparameters, '$.loggingConfig.textDataDeliveryEnabled'),
          json_extract_scalar(requestparameters, '$.loggingConfig.imageDataDeliveryEnabled'),
          json_extract_scalar(requestparameters, '$.loggingConfig.embeddingDataDeliveryEnabled'),
          coalesce(lower(json_extract_scalar(additionaleventdata, '$.callWithBearerToken')), 'false')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND eventname IN ('DeleteModelInvocationLoggingConfiguration', 'PutModelInvocationLoggingConfiguration')
  AND coalesce(errorcode, '') = ''
