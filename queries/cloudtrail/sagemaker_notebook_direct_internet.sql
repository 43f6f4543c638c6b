-- id: sagemaker_notebook_direct_internet
-- title: SageMaker notebook instance with direct internet access
-- severity: high
-- technique: T1133
-- guidance: G1
-- catalogue: 1
-- description: A notebook instance was created or updated with direct internet access
--   enabled. SageMaker enables it when the request does not say otherwise, so a
--   missing directInternetAccess counts as Enabled. Notebooks belong in a VPC subnet
--   with internet access disabled.
-- false_positives: Sandboxes that are meant to reach the internet; UpdateNotebookInstance
--   calls that change other settings and leave directInternetAccess unset are not flagged.
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
    ARRAY['event_name', 'direct_internet_access', 'subnet_id'],
    ARRAY[eventname,
          coalesce(json_extract_scalar(requestparameters, '$.directInternetAccess'), 'Enabled (default)'),
          json_extract_scalar(requestparameters, '$.subnetId')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'sagemaker.amazonaws.com'
  AND coalesce(errorcode, '') = ''
  AND (
    (eventname = 'CreateNotebookInstance'
      AND coalesce(json_extract_scalar(requestparameters, '$.directInternetAccess'), 'Enabled') = 'Enabled')
    OR (eventname = 'UpdateNotebookInstance'
      AND json_extract_scalar(requestparameters, '$.directInternetAccess') = 'Enabled')
  )
