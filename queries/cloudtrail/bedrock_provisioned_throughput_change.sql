-- id: bedrock_provisioned_throughput_change
-- title: Bedrock provisioned throughput purchased, changed or deleted
-- severity: medium
-- technique: T1496.004
-- guidance: G15
-- catalogue: 26
-- description: Provisioned model throughput was created, updated or deleted. Provisioned
--   throughput is billed per model unit and hour, often with a one- or six-month commitment:
--   stolen credentials buy it to resell dedicated model capacity, and deleting it takes
--   production inference down. The evidence gives the model, model units and commitment.
-- false_positives: Capacity planning by the platform team; scheduled scale changes.
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
  coalesce(json_extract_scalar(requestparameters, '$.provisionedModelName'),
           json_extract_scalar(requestparameters, '$.provisionedModelId'),
           json_extract_scalar(responseelements, '$.provisionedModelArn')) AS resource,
  MAP(
    ARRAY['event_name', 'model_id', 'model_units', 'commitment_duration', 'desired_model_id', 'provisioned_model'],
    ARRAY[eventname,
          json_extract_scalar(requestparameters, '$.modelId'),
          CAST(json_extract_scalar(requestparameters, '$.modelUnits') AS varchar),
          coalesce(json_extract_scalar(requestparameters, '$.commitmentDuration'), CASE WHEN eventname = 'CreateProvisionedModelThroughput' THEN 'none (hourly)' END),
          json_extract_scalar(requestparameters, '$.desiredModelId'),
          coalesce(json_extract_scalar(requestparameters, '$.provisionedModelId'),
                   json_extract_scalar(requestparameters, '$.provisionedModelName'),
                   json_extract_scalar(responseelements, '$.provisionedModelArn'))]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND eventname IN ('CreateProvisionedModelThroughput', 'UpdateProvisionedModelThroughput', 'DeleteProvisionedModelThroughput')
  AND coalesce(errorcode, '') = ''
