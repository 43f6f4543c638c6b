-- id: sagemaker_job_no_network_isolation
-- title: SageMaker training job, processing job or model without network isolation
-- severity: medium
-- technique: T1048
-- guidance: G3
-- catalogue: 4
-- description: A training job, hyperparameter tuning job, processing job or model was
--   created without network isolation. Isolation is off unless the request sets it:
--   enableNetworkIsolation for CreateTrainingJob and CreateModel,
--   trainingJobDefinition(s).enableNetworkIsolation for CreateHyperParameterTuningJob and
--   networkConfig.enableNetworkIsolation for CreateProcessingJob. Without it the
--   container can make outbound calls, so training data or model weights can leave
--   through code in the image or the training script.
-- false_positives: Containers that must download packages or models at run time
--   (pip, Hugging Face Hub) and jobs whose egress is controlled by a VPC without a NAT
--   gateway; models created by SageMaker itself (AWSService callers are excluded).
SELECT
  j.eventtime_ts AS window_start,
  j.eventtime_ts AS window_end,
  j.account_id,
  j.region,
  j.principal_arn,
  j.source_ip,
  j.user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[j.eventid] AS event_ids,
  j.resource,
  MAP(
    ARRAY['event_name', 'enable_network_isolation', 'vpc_configured'],
    ARRAY[j.eventname, coalesce(j.isolation, 'false (default)'), j.vpc_configured]
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
    coalesce(
      json_extract_scalar(requestparameters, '$.trainingJobName'),
      json_extract_scalar(requestparameters, '$.hyperParameterTuningJobName'),
      json_extract_scalar(requestparameters, '$.processingJobName'),
      json_extract_scalar(requestparameters, '$.modelName')) AS resource,
    CASE eventname
      WHEN 'CreateProcessingJob' THEN json_extract_scalar(requestparameters, '$.networkConfig.enableNetworkIsolation')
      WHEN 'CreateHyperParameterTuningJob' THEN coalesce(
        json_extract_scalar(requestparameters, '$.trainingJobDefinition.enableNetworkIsolation'),
        json_extract_scalar(requestparameters, '$.trainingJobDefinitions[0].enableNetworkIsolation'))
      ELSE json_extract_scalar(requestparameters, '$.enableNetworkIsolation')
    END AS isolation,
    CASE
      WHEN json_extract(requestparameters, '$.vpcConfig') IS NOT NULL
        OR json_extract(requestparameters, '$.networkConfig.vpcConfig') IS NOT NULL
        OR json_extract(requestparameters, '$.trainingJobDefinition.vpcConfig') IS NOT NULL
      THEN 'true' ELSE 'false'
    END AS vpc_configured
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreateTrainingJob', 'CreateHyperParameterTuningJob', 'CreateProcessingJob', 'CreateModel')
    AND coalesce(errorcode, '') = ''
    AND coalesce(useridentity.type, '') <> 'AWSService'
) j
WHERE lower(coalesce(j.isolation, 'false')) <> 'true'
