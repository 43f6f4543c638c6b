-- id: bedrock_llmjacking_recon
-- title: Bedrock LLMjacking reconnaissance
-- severity: medium
-- technique: T1580
-- guidance: G6, G16
-- catalogue: 21
-- description: One principal walked the LLMjacking preparation path within an hour: at least
--   one Bedrock recon call (ListFoundationModels, GetFoundationModelAvailability,
--   ListFoundationModelAgreementOffers, GetUseCaseForModelAccess,
--   GetModelInvocationLoggingConfiguration, ListInferenceProfiles) and, counting the
--   model-access steps that follow recon in that path (PutUseCaseForModelAccess,
--   CreateFoundationModelAgreement, PutFoundationModelEntitlement), at least
--   bedrock_recon_apis distinct APIs of the set. Repeats of one API (tools polling
--   availability) count once. Also fires on any recon call made with a user agent of known
--   tooling (recon_user_agents). Failed calls count: denied recon is still recon.
-- false_positives: An administrator enabling model access from the console (the Model access
--   page lists models, offers and availability); scripts built on plain HTTP libraries.
SELECT
  r.hour_start AS window_start,
  r.hour_start + INTERVAL '1' HOUR AS window_end,
  r.account_id,
  min(r.region) AS region,
  r.principal_arn,
  min(r.source_ip) AS source_ip,
  min(r.user_agent) AS user_agent,
  count(DISTINCT r.eventid) AS event_count,
  array_agg(DISTINCT r.eventid) AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['distinct_apis', 'recon_apis', 'model_access_apis', 'tooling_user_agent', 'models', 'errors'],
    ARRAY[CAST(count(DISTINCT r.eventname) AS varchar),
          array_join(array_agg(DISTINCT CASE WHEN r.is_recon = 1 THEN r.eventname END), ','),
          array_join(array_agg(DISTINCT CASE WHEN r.is_recon = 0 THEN r.eventname END), ','),
          max(CASE WHEN r.is_recon = 1 THEN u.pattern END),
          array_join(array_agg(DISTINCT r.model_id), ','),
          CAST(count(DISTINCT CASE WHEN coalesce(r.errorcode, '') <> '' THEN r.eventid END) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    errorcode,
    json_extract_scalar(requestparameters, '$.modelId') AS model_id,
    CASE WHEN eventname IN ('PutUseCaseForModelAccess', 'CreateFoundationModelAgreement', 'PutFoundationModelEntitlement') THEN 0 ELSE 1 END AS is_recon
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('ListFoundationModels', 'GetFoundationModelAvailability', 'ListFoundationModelAgreementOffers',
                      'GetUseCaseForModelAccess', 'GetModelInvocationLoggingConfiguration', 'ListInferenceProfiles',
                      'PutUseCaseForModelAccess', 'CreateFoundationModelAgreement', 'PutFoundationModelEntitlement')
    AND coalesce(useridentity.type, '') <> 'AWSService'
) r
LEFT JOIN th_recon_user_agents u ON r.user_agent LIKE u.pattern
CROSS JOIN th_params p
GROUP BY r.hour_start, r.account_id, r.principal_arn
HAVING (max(r.is_recon) = 1 AND count(DISTINCT r.eventname) >= max(p.bedrock_recon_apis))
    OR count(CASE WHEN r.is_recon = 1 THEN u.pattern END) > 0
