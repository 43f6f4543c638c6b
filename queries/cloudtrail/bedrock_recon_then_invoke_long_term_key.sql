-- id: bedrock_recon_then_invoke_long_term_key
-- title: Bedrock model enumeration then invocation with a long-term access key
-- severity: high
-- technique: T1078.004
-- guidance: G6, G16
-- catalogue: 20
-- description: The same long-term IAM access key (AKIA...) enumerated Bedrock models or model
--   availability (ListFoundationModels, GetFoundationModel, GetFoundationModelAvailability,
--   ListFoundationModelAgreementOffers, GetUseCaseForModelAccess,
--   GetModelInvocationLoggingConfiguration, ListInferenceProfiles) and invoked a model
--   (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream) within 15
--   minutes. Leaked access keys are checked this way by LLMjacking tooling; applications
--   usually run with temporary role credentials and know their model. The finding holds the
--   recon calls and the invocations that followed them, one finding per key and UTC day.
-- false_positives: Developers with IAM-user keys exploring Bedrock from a laptop; batch jobs
--   still on long-term keys that list models at start-up.
SELECT
  min(s.eventtime_ts) AS window_start,
  max(s.eventtime_ts) AS window_end,
  s.account_id,
  min(s.region) AS region,
  s.principal_arn,
  min(s.source_ip) AS source_ip,
  min(s.user_agent) AS user_agent,
  count(DISTINCT s.eventid) AS event_count,
  array_agg(DISTINCT s.eventid) AS event_ids,
  s.access_key AS resource,
  MAP(
    ARRAY['access_key', 'recon_calls', 'recon_apis', 'invocations', 'models', 'first_recon', 'first_invocation'],
    ARRAY[s.access_key,
          CAST(count(DISTINCT CASE WHEN s.kind = 'recon' THEN s.eventid END) AS varchar),
          array_join(array_agg(DISTINCT CASE WHEN s.kind = 'recon' THEN s.eventname END), ','),
          CAST(count(DISTINCT CASE WHEN s.kind = 'invoke' THEN s.eventid END) AS varchar),
          array_join(array_agg(DISTINCT s.model_id), ','),
          to_iso8601(min(CASE WHEN s.kind = 'recon' THEN s.eventtime_ts END)),
          to_iso8601(min(CASE WHEN s.kind = 'invoke' THEN s.eventtime_ts END))]
  ) AS evidence
FROM (
  -- recon calls followed by an invocation with the same key within 15 minutes
  SELECT r.* FROM (
    SELECT
      useridentity.accesskeyid AS access_key,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      awsregion AS region,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventid,
      eventname,
      eventtime_ts,
      'recon' AS kind,
      json_extract_scalar(requestparameters, '$.modelId') AS model_id
    FROM cloudtrail
    WHERE eventsource = 'bedrock.amazonaws.com'
      AND useridentity.accesskeyid LIKE 'AKIA%'
      AND eventname IN ('ListFoundationModels', 'GetFoundationModel', 'GetFoundationModelAvailability',
                          'ListFoundationModelAgreementOffers', 'GetUseCaseForModelAccess',
                          'GetModelInvocationLoggingConfiguration', 'ListInferenceProfiles')
  ) r
  WHERE EXISTS (
      SELECT 1 FROM (
        SELECT useridentity.accesskeyid AS access_key, eventtime_ts
        FROM cloudtrail
        WHERE eventsource = 'bedrock.amazonaws.com'
          AND useridentity.accesskeyid LIKE 'AKIA%'
          AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
      ) i
      WHERE i.access_key = r.access_key
        AND i.eventtime_ts >= r.eventtime_ts
        AND i.eventtime_ts <= r.eventtime_ts + INTERVAL '15' MINUTE)
  UNION ALL
  -- invocations that came within 15 minutes after a recon call with the same key
  SELECT i.* FROM (
    SELECT
      useridentity.accesskeyid AS access_key,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      awsregion AS region,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventid,
      eventname,
      eventtime_ts,
      'invoke' AS kind,
      json_extract_scalar(requestparameters, '$.modelId') AS model_id
    FROM cloudtrail
    WHERE eventsource = 'bedrock.amazonaws.com'
      AND useridentity.accesskeyid LIKE 'AKIA%'
      AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
  ) i
  WHERE EXISTS (
      SELECT 1 FROM (
        SELECT useridentity.accesskeyid AS access_key, eventtime_ts
        FROM cloudtrail
        WHERE eventsource = 'bedrock.amazonaws.com'
          AND useridentity.accesskeyid LIKE 'AKIA%'
          AND eventname IN ('ListFoundationModels', 'GetFoundationModel', 'GetFoundationModelAvailability',
                          'ListFoundationModelAgreementOffers', 'GetUseCaseForModelAccess',
                          'GetModelInvocationLoggingConfiguration', 'ListInferenceProfiles')
      ) r
      WHERE r.access_key = i.access_key
        AND i.eventtime_ts >= r.eventtime_ts
        AND i.eventtime_ts <= r.eventtime_ts + INTERVAL '15' MINUTE)
) s
GROUP BY s.access_key, s.account_id, s.principal_arn, date_trunc('day', s.eventtime_ts)
