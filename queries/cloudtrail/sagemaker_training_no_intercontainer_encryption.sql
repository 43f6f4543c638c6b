-- id: sagemaker_training_no_intercontainer_encryption
-- title: Distributed SageMaker training without inter-container traffic encryption
-- severity: medium
-- technique: -
-- guidance: G10
-- catalogue: 5
-- description: A distributed training job (or hyperparameter tuning job) was created
--   without enableInterContainerTrafficEncryption. Only traffic between the instances
--   of one job is concerned, so the rule fires when the job spans more than one
--   instance: resourceConfig.instanceCount above 1, or a heterogeneous cluster
--   (resourceConfig.instanceGroups with several groups or a group of more than one
--   instance). Single-instance jobs, where the setting has no effect, are not flagged.
--   Without it, gradients, parameters and training data travel between the nodes in
--   clear text.
-- false_positives: Distributed jobs in an isolated VPC where the team accepted the cost
--   of unencrypted inter-node traffic; frameworks that encrypt their own traffic.
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
    ARRAY['event_name', 'enable_inter_container_traffic_encryption', 'instance_type', 'instance_count', 'instance_groups'],
    ARRAY[t.eventname,
          coalesce(t.encryption, 'false (default)'),
          coalesce(t.instance_type, t.group_instance_type),
          coalesce(t.instance_count, t.group_instance_count),
          CAST(coalesce(t.groups, 0) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    eventtime_ts,
    eventname,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    coalesce(json_extract_scalar(requestparameters, '$.trainingJobName'),
             json_extract_scalar(requestparameters, '$.hyperParameterTuningJobName')) AS resource,
    coalesce(json_extract_scalar(requestparameters, '$.enableInterContainerTrafficEncryption'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinition.enableInterContainerTrafficEncryption'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinitions[0].enableInterContainerTrafficEncryption')) AS encryption,
    coalesce(json_extract_scalar(requestparameters, '$.resourceConfig.instanceType'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinition.resourceConfig.instanceType'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinitions[0].resourceConfig.instanceType')) AS instance_type,
    coalesce(json_extract_scalar(requestparameters, '$.resourceConfig.instanceCount'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinition.resourceConfig.instanceCount'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinitions[0].resourceConfig.instanceCount')) AS instance_count,
    json_extract_scalar(requestparameters, '$.resourceConfig.instanceGroups[0].instanceType') AS group_instance_type,
    json_extract_scalar(requestparameters, '$.resourceConfig.instanceGroups[0].instanceCount') AS group_instance_count,
    json_array_length(json_extract(requestparameters, '$.resourceConfig.instanceGroups')) AS groups
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreateTrainingJob', 'CreateHyperParameterTuningJob')
    AND coalesce(errorcode, '') = ''
    AND coalesce(useridentity.type, '') <> 'AWSService'
) t
WHERE lower(coalesce(t.encryption, 'false')) <> 'true'
  AND (CAST(coalesce(t.instance_count, '1') AS bigint) > 1
    OR coalesce(t.groups, 0) > 1
    OR CAST(coalesce(t.group_instance_count, '1') AS bigint) > 1)
