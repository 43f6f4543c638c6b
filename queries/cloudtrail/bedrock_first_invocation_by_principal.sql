-- id: bedrock_first_invocation_by_principal
-- title: Principal invoked Bedrock models for the first time
-- severity: low
-- technique: T1078.004
-- guidance: G6, G16
-- catalogue: -
-- description: A principal (the role for assumed-role sessions, else the user) invoked Bedrock
--   models (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream) and had not
--   invoked any in the history window. Stolen credentials used for LLMjacking usually belong
--   to identities that never used Bedrock; the evidence gives the models, call count and
--   regions so a burst stands out. Waits for min_history_days of history.
-- false_positives: New applications and developers starting with Bedrock.
SELECT
  min(c.eventtime_ts) AS window_start,
  max(c.eventtime_ts) AS window_end,
  c.account_id,
  min(c.region) AS region,
  c.principal_arn,
  min(c.source_ip) AS source_ip,
  min(c.user_agent) AS user_agent,
  count(DISTINCT c.eventid) AS event_count,
  array_agg(DISTINCT c.eventid) AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['calls', 'models', 'regions', 'apis', 'errors', 'first_call'],
    ARRAY[CAST(count(DISTINCT c.eventid) AS varchar),
          array_join(array_agg(DISTINCT c.model_id), ','),
          array_join(array_agg(DISTINCT c.region), ','),
          array_join(array_agg(DISTINCT c.eventname), ','),
          CAST(count(DISTINCT CASE WHEN coalesce(c.errorcode, '') <> '' THEN c.eventid END) AS varchar),
          to_iso8601(min(c.eventtime_ts))]
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
    errorcode,
    coalesce(json_extract_scalar(requestparameters, '$.modelId'), '-') AS model_id
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
    AND coalesce(useridentity.type, '') <> 'AWSService'
) c
LEFT JOIN (
  SELECT DISTINCT
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.principalid) AS principal_arn
  FROM cloudtrail_history
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
) h ON h.account_id = c.account_id AND h.principal_arn = c.principal_arn
WHERE h.principal_arn IS NULL
GROUP BY c.account_id, c.principal_arn
