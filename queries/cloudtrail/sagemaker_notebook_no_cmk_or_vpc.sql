-- id: sagemaker_notebook_no_cmk_or_vpc
-- title: SageMaker notebook instance without a KMS key or outside a VPC
-- severity: medium
-- technique: -
-- guidance: G1, G4, G9
-- catalogue: 3
-- description: A notebook instance was created without kmsKeyId (its ML storage
--   volume is then encrypted only with an AWS managed key, not a customer managed
--   key) or without subnetId (it then runs in the SageMaker service VPC instead of
--   the customer's VPC). The evidence key missing lists which of the two is absent.
-- false_positives: Short-lived sandboxes in accounts that accept AWS managed keys;
--   organisations that enforce the key through an SCP or a service-level default.
SELECT
  n.eventtime_ts AS window_start,
  n.eventtime_ts AS window_end,
  n.account_id,
  n.region,
  n.principal_arn,
  n.source_ip,
  n.user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[n.eventid] AS event_ids,
  n.notebook AS resource,
  MAP(
    ARRAY['missing', 'kms_key_id', 'subnet_id', 'direct_internet_access'],
    ARRAY[CASE
            WHEN n.kms_key_id IS NULL AND n.subnet_id IS NULL THEN 'kmsKeyId,subnetId'
            WHEN n.kms_key_id IS NULL THEN 'kmsKeyId'
            ELSE 'subnetId'
          END,
          n.kms_key_id,
          n.subnet_id,
          coalesce(n.direct_internet_access, 'Enabled (default)')]
  ) AS evidence
FROM (
  SELECT
    eventtime_ts,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    json_extract_scalar(requestparameters, '$.notebookInstanceName') AS notebook,
    nullif(trim(json_extract_scalar(requestparameters, '$.kmsKeyId')), '') AS kms_key_id,
    nullif(trim(json_extract_scalar(requestparameters, '$.subnetId')), '') AS subnet_id,
    json_extract_scalar(requestparameters, '$.directInternetAccess') AS direct_internet_access
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname = 'CreateNotebookInstance'
    AND coalesce(errorcode, '') = ''
) n
WHERE n.kms_key_id IS NULL OR n.subnet_id IS NULL
