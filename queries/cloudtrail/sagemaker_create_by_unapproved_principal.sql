-- id: sagemaker_create_by_unapproved_principal
-- title: SageMaker resources created by a principal outside the approved list
-- severity: medium
-- technique: T1078.004
-- guidance: G5
-- catalogue: -
-- description: A principal that matches none of the site's approved SageMaker
--   principal patterns ([approved_principals] sagemaker, LIKE patterns tried on the
--   caller ARN and on its session issuer role ARN) created notebook instances,
--   training, tuning, processing, transform, AutoML or compilation jobs, models,
--   endpoint configurations, endpoints, pipelines or lifecycle configurations. One
--   finding per principal and hour. The guidance restricts these calls to permitted
--   principals per team; this is the detective side of that boundary. Silent when no
--   sagemaker pattern is configured; AWSService callers are excluded.
-- false_positives: New deployment roles and pipelines not yet added to the list;
--   break-glass administrators.
SELECT
  c.hour_start AS window_start,
  c.hour_start + INTERVAL '1' HOUR AS window_end,
  c.account_id,
  min(c.region) AS region,
  c.principal_arn,
  min(c.source_ip) AS source_ip,
  min(c.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(c.eventid) AS event_ids,
  min(c.resource) AS resource,
  MAP(
    ARRAY['apis', 'resources', 'session_issuer'],
    ARRAY[array_join(array_agg(DISTINCT c.eventname), ','),
          array_join(array_agg(DISTINCT c.resource), ','),
          min(c.issuer_arn)]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    eventid,
    eventname,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    useridentity.sessioncontext.sessionissuer.arn AS issuer_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    coalesce(
      json_extract_scalar(requestparameters, '$.notebookInstanceName'),
      json_extract_scalar(requestparameters, '$.trainingJobName'),
      json_extract_scalar(requestparameters, '$.hyperParameterTuningJobName'),
      json_extract_scalar(requestparameters, '$.processingJobName'),
      json_extract_scalar(requestparameters, '$.transformJobName'),
      json_extract_scalar(requestparameters, '$.autoMLJobName'),
      json_extract_scalar(requestparameters, '$.compilationJobName'),
      json_extract_scalar(requestparameters, '$.endpointName'),
      json_extract_scalar(requestparameters, '$.endpointConfigName'),
      json_extract_scalar(requestparameters, '$.modelName'),
      json_extract_scalar(requestparameters, '$.pipelineName'),
      json_extract_scalar(requestparameters, '$.notebookInstanceLifecycleConfigName')) AS resource
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreateNotebookInstance', 'CreateNotebookInstanceLifecycleConfig', 'CreateTrainingJob',
                      'CreateHyperParameterTuningJob', 'CreateProcessingJob', 'CreateTransformJob',
                      'CreateAutoMLJob', 'CreateAutoMLJobV2', 'CreateCompilationJob', 'CreateModel',
                      'CreateEndpointConfig', 'CreateEndpoint', 'CreatePipeline')
    AND coalesce(errorcode, '') = ''
    AND coalesce(useridentity.type, '') <> 'AWSService'
) c
WHERE EXISTS (SELECT 1 FROM th_approved_principals a WHERE a.service = 'sagemaker')
  AND NOT EXISTS (
    SELECT 1 FROM th_approved_principals a
    WHERE a.service = 'sagemaker'
      AND (c.principal_arn LIKE a.pattern OR coalesce(c.issuer_arn, '') LIKE a.pattern)
  )
GROUP BY c.hour_start, c.account_id, c.principal_arn
