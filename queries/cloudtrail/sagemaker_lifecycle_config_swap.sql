-- id: sagemaker_lifecycle_config_swap
-- title: Lifecycle configuration swapped on an existing SageMaker notebook
-- severity: medium
-- technique: T1546
-- guidance: G4
-- catalogue: 9
-- description: UpdateNotebookInstance attached a lifecycle configuration
--   (lifecycleConfigName) to an existing notebook instance that was stopped
--   (StopNotebookInstance) in the hour before the update or started
--   (StartNotebookInstance) in the hour after it, matched on account, region and
--   notebookInstanceName. Stop, swap the lifecycle configuration, start is how an
--   attacker gets a script to run as root with the notebook's execution role on an
--   existing notebook (Stratus aws.execution.sagemaker-update-lifecycle-config).
--   Either neighbour is enough, because SageMaker only accepts the update on a stopped
--   notebook and the stop or start can fall outside the run. The event ids are the
--   update and the stops and starts around it; the evidence names who stopped and
--   started it. Notebook names are compared case-insensitively.
-- false_positives: Administrators rolling out a new standard lifecycle configuration
--   to existing notebooks; check the configuration's script
--   (sagemaker_lifecycle_config_suspicious_script) and who made the change.
SELECT
  min(s.eventtime_ts) AS window_start,
  max(s.eventtime_ts) AS window_end,
  s.account_id,
  s.region,
  s.principal_arn,
  s.source_ip,
  s.user_agent,
  count(*) AS event_count,
  array_agg(s.eventid) AS event_ids,
  s.notebook AS resource,
  MAP(
    ARRAY['lifecycle_config', 'sequence', 'stopped_by', 'started_by'],
    ARRAY[s.lifecycle_config,
          array_join(array_agg(DISTINCT s.step), ','),
          max(CASE WHEN s.step = 'stop' THEN s.actor END),
          max(CASE WHEN s.step = 'start' THEN s.actor END)]
  ) AS evidence
FROM (
  SELECT u.eventid AS anchor, u.eventtime_ts, u.eventid, 'update' AS step, u.principal_arn AS actor,
         u.account_id, u.region, u.principal_arn, u.source_ip, u.user_agent, u.notebook, u.lifecycle_config
  FROM (
    SELECT
      eventid,
      eventtime_ts,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      json_extract_scalar(requestparameters, '$.notebookInstanceName') AS notebook,
      json_extract_scalar(requestparameters, '$.lifecycleConfigName') AS lifecycle_config
    FROM cloudtrail
    WHERE eventsource = 'sagemaker.amazonaws.com'
      AND eventname = 'UpdateNotebookInstance'
      AND coalesce(errorcode, '') = ''
      AND nullif(json_extract_scalar(requestparameters, '$.lifecycleConfigName'), '') IS NOT NULL
  ) u
  UNION ALL
  SELECT u.eventid AS anchor, n.eventtime_ts, n.eventid,
         CASE WHEN n.eventname = 'StopNotebookInstance' THEN 'stop' ELSE 'start' END AS step,
         n.principal_arn AS actor,
         u.account_id, u.region, u.principal_arn, u.source_ip, u.user_agent, u.notebook, u.lifecycle_config
  FROM (
    SELECT
      eventid,
      eventtime_ts,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      json_extract_scalar(requestparameters, '$.notebookInstanceName') AS notebook,
      json_extract_scalar(requestparameters, '$.lifecycleConfigName') AS lifecycle_config
    FROM cloudtrail
    WHERE eventsource = 'sagemaker.amazonaws.com'
      AND eventname = 'UpdateNotebookInstance'
      AND coalesce(errorcode, '') = ''
      AND nullif(json_extract_scalar(requestparameters, '$.lifecycleConfigName'), '') IS NOT NULL
  ) u
  JOIN (
    SELECT
      eventid,
      eventname,
      eventtime_ts,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      json_extract_scalar(requestparameters, '$.notebookInstanceName') AS notebook
    FROM cloudtrail
    WHERE eventsource = 'sagemaker.amazonaws.com'
      AND eventname IN ('StopNotebookInstance', 'StartNotebookInstance')
      AND coalesce(errorcode, '') = ''
  ) n
    ON n.account_id = u.account_id
   AND n.region = u.region
   AND lower(n.notebook) = lower(u.notebook)
   AND ((n.eventname = 'StopNotebookInstance'
         AND n.eventtime_ts <= u.eventtime_ts AND n.eventtime_ts >= u.eventtime_ts - INTERVAL '1' HOUR)
     OR (n.eventname = 'StartNotebookInstance'
         AND n.eventtime_ts >= u.eventtime_ts AND n.eventtime_ts <= u.eventtime_ts + INTERVAL '1' HOUR))
) s
GROUP BY s.anchor, s.account_id, s.region, s.principal_arn, s.source_ip, s.user_agent, s.notebook, s.lifecycle_config
HAVING count(*) >= 2
