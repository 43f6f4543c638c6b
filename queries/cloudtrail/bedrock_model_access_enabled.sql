-- id: bedrock_model_access_enabled
-- title: Bedrock foundation-model access enabled
-- severity: medium
-- technique: T1098
-- guidance: G6
-- catalogue: 18
-- description: A principal submitted the model-access use case, accepted a model agreement or
--   granted itself a foundation-model entitlement (PutUseCaseForModelAccess,
--   CreateFoundationModelAgreement, PutFoundationModelEntitlement). LLMjacking actors do this
--   with stolen credentials to unlock expensive models before invoking them; in a managed
--   organisation model access is enabled rarely, by the platform team.
-- false_positives: The platform team enabling a newly approved model; first Bedrock use in a
--   new account.
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
  json_extract_scalar(requestparameters, '$.modelId') AS resource,
  MAP(
    ARRAY['event_name', 'model_id', 'offer_token', 'identity_type'],
    ARRAY[eventname,
          json_extract_scalar(requestparameters, '$.modelId'),
          CASE WHEN json_extract_scalar(requestparameters, '$.offerToken') IS NULL THEN NULL ELSE 'present' END,
          useridentity.type]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND eventname IN ('PutFoundationModelEntitlement', 'PutUseCaseForModelAccess', 'CreateFoundationModelAgreement')
  AND coalesce(errorcode, '') = ''
