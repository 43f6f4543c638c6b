-- id: sagemaker_notebook_root_access
-- title: SageMaker notebook instance with root access enabled
-- severity: medium
-- technique: T1548
-- guidance: G4
-- catalogue: 2
-- description: A notebook instance was created or updated with root access for its
--   users. SageMaker grants root access when CreateNotebookInstance does not say
--   otherwise, so a missing rootAccess on a create counts as Enabled; an update is
--   flagged only when it sets rootAccess to Enabled. With root, a notebook user can
--   change the instance, install software and disable controls the lifecycle
--   configuration enforces.
-- false_positives: Personal sandboxes whose users must install system packages; an
--   UpdateNotebookInstance that re-sends Enabled on a notebook that already had it.
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
  json_extract_scalar(requestparameters, '$.notebookInstanceName') AS resource,
  MAP(
    ARRAY['event_name', 'root_access', 'instance_type', 'lifecycle_config'],
    ARRAY[eventname,
          coalesce(json_extract_scalar(requestparameters, '$.rootAccess'), 'Enabled (default)'),
          json_extract_scalar(requestparameters, '$.instanceType'),
          json_extract_scalar(requestparameters, '$.lifecycleConfigName')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'sagemaker.amazonaws.com'
  AND coalesce(errorcode, '') = ''
  AND (
    (eventname = 'CreateNotebookInstance'
      AND lower(coalesce(json_extract_scalar(requestparameters, '$.rootAccess'), 'Enabled')) = 'enabled')
    OR (eventname = 'UpdateNotebookInstance'
      AND lower(json_extract_scalar(requestparameters, '$.rootAccess')) = 'enabled')
  )
