-- id: sagemaker_offhours_gpu_training
-- title: GPU training job started outside business hours
-- severity: medium
-- technique: T1496
-- guidance: G13, G15
-- catalogue: 13
-- description: A training job or hyperparameter tuning job on a GPU instance type
--   (th_gpu_instance_types) was created outside business hours: before
--   business_start_hour, at or after business_end_hour, or on a Saturday or Sunday,
--   in the site's time_zone. Stolen credentials are used at night to run crypto
--   mining or unauthorised training on expensive accelerators. Unlike the catalogue's
--   baseline suppression, the rule reads no history, so it works from the first run;
--   approve scheduled jobs through their principal instead.
-- false_positives: Scheduled retraining pipelines and long experiments launched in
--   the evening; teams in other time zones than the site's.
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
    ARRAY['event_name', 'instance_type', 'instance_count', 'local_hour', 'local_day_of_week', 'time_zone'],
    ARRAY[t.eventname, t.instance_type, t.instance_count,
          CAST(hour(at_timezone(t.eventtime_ts, p.time_zone)) AS varchar),
          CAST(day_of_week(at_timezone(t.eventtime_ts, p.time_zone)) AS varchar),
          p.time_zone]
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
    coalesce(json_extract_scalar(requestparameters, '$.resourceConfig.instanceType'),
             json_extract_scalar(requestparameters, '$.resourceConfig.instanceGroups[0].instanceType'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinition.resourceConfig.instanceType'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinitions[0].resourceConfig.instanceType')) AS instance_type,
    coalesce(json_extract_scalar(requestparameters, '$.resourceConfig.instanceCount'),
             json_extract_scalar(requestparameters, '$.resourceConfig.instanceGroups[0].instanceCount'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinition.resourceConfig.instanceCount'),
             json_extract_scalar(requestparameters, '$.trainingJobDefinitions[0].resourceConfig.instanceCount')) AS instance_count
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreateTrainingJob', 'CreateHyperParameterTuningJob')
    AND coalesce(errorcode, '') = ''
    AND coalesce(useridentity.type, '') <> 'AWSService'
) t
CROSS JOIN th_params p
WHERE EXISTS (SELECT 1 FROM th_gpu_instance_types g WHERE lower(t.instance_type) LIKE g.pattern)
  AND (hour(at_timezone(t.eventtime_ts, p.time_zone)) < p.business_start_hour
    OR hour(at_timezone(t.eventtime_ts, p.time_zone)) >= p.business_end_hour
    OR day_of_week(at_timezone(t.eventtime_ts, p.time_zone)) >= 6)
