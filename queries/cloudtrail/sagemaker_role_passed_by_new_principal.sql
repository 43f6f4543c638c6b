-- id: sagemaker_role_passed_by_new_principal
-- title: SageMaker execution role passed by a principal that never passed it before
-- severity: medium
-- technique: T1078.004
-- guidance: G2, G5
-- catalogue: 10
-- description: A principal created a SageMaker notebook, job or pipeline with an
--   execution role it had not passed in the history window. Passing a powerful role to
--   a SageMaker component is a privilege-escalation path (iam:PassRole). Waits for
--   min_history_days of history.
-- false_positives: New team members and new pipelines; a role rotation.
SELECT
  min(c.eventtime_ts) AS window_start,
  max(c.eventtime_ts) AS window_end,
  c.account_id,
  min(c.region) AS region,
  c.principal_arn,
  min(c.source_ip) AS source_ip,
  min(c.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(c.eventid) AS event_ids,
  c.role_arn AS resource,
  MAP(
    ARRAY['role_arn', 'apis'],
    ARRAY[c.role_arn, array_join(array_agg(DISTINCT c.eventname), ',')]
  ) AS evidence
FROM (
  SELECT
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    eventtime_ts,
    json_extract_scalar(requestparameters, '$.roleArn') AS role_arn
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreateNotebookInstance', 'CreateTrainingJob', 'CreateProcessingJob', 'CreateAutoMLJob', 'CreateAutoMLJobV2', 'CreatePipeline', 'CreateHyperParameterTuningJob', 'CreateTransformJob')
    AND coalesce(errorcode, '') = ''
    AND json_extract_scalar(requestparameters, '$.roleArn') IS NOT NULL
) c
LEFT JOIN (
  SELECT DISTINCT
    coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.principalid) AS principal_arn,
    json_extract_scalar(requestparameters, '$.roleArn') AS role_arn
  FROM cloudtrail_history
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND json_extract_scalar(requestparameters, '$.roleArn') IS NOT NULL
) h ON h.principal_arn = c.principal_arn AND h.role_arn = c.role_arn
WHERE h.role_arn IS NULL
GROUP BY c.account_id, c.principal_arn, c.role_arn
