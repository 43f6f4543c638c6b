-- id: bedrock_custom_model_import
-- title: Custom model imported or marketplace model endpoint created in Bedrock
-- severity: medium
-- technique: T1525
-- guidance: G6
-- catalogue: 24
-- description: A principal imported model weights into Bedrock (CreateModelImportJob,
--   CreateCustomModel), deployed a custom model (CreateCustomModelDeployment) or created or
--   registered a Bedrock Marketplace model endpoint. Imported and marketplace models bypass
--   the vetted foundation-model catalogue: a backdoored model, or one that exfiltrates
--   prompts, can be served to applications this way. The evidence gives the weights' S3
--   location or the marketplace model source.
-- false_positives: ML teams publishing their own fine-tuned open-weight models through an
--   approved pipeline.
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
  coalesce(json_extract_scalar(requestparameters, '$.importedModelName'),
           json_extract_scalar(requestparameters, '$.modelName'),
           json_extract_scalar(requestparameters, '$.modelDeploymentName'),
           json_extract_scalar(requestparameters, '$.endpointName'),
           json_extract_scalar(requestparameters, '$.endpointIdentifier'),
           json_extract_scalar(requestparameters, '$.jobName')) AS resource,
  MAP(
    ARRAY['event_name', 'model_source_s3', 'model_source_id', 'model_arn', 'role_arn', 'kms_key', 'instance_type'],
    ARRAY[eventname,
          coalesce(json_extract_scalar(requestparameters, '$.modelDataSource.s3DataSource.s3Uri'),
                   json_extract_scalar(requestparameters, '$.modelSourceConfig.s3DataSource.s3Uri')),
          json_extract_scalar(requestparameters, '$.modelSourceIdentifier'),
          json_extract_scalar(requestparameters, '$.modelArn'),
          json_extract_scalar(requestparameters, '$.roleArn'),
          coalesce(json_extract_scalar(requestparameters, '$.importedModelKmsKeyId'),
                   json_extract_scalar(requestparameters, '$.modelKmsKeyArn')),
          json_extract_scalar(requestparameters, '$.endpointConfig.sageMaker.instanceType')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND eventname IN ('CreateModelImportJob', 'CreateCustomModel', 'CreateCustomModelDeployment',
                    'CreateMarketplaceModelEndpoint', 'RegisterMarketplaceModelEndpoint')
  AND coalesce(errorcode, '') = ''
