-- id: bedrock_high_frequency_inference
-- title: High-frequency Bedrock inference on one model
-- severity: medium
-- technique: T1496.004
-- guidance: G6, G15
-- catalogue: 22
-- description: One principal called one Bedrock model at least bedrock_invocations_per_hour
--   times in an hour (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream,
--   counted per principal, account and model id, failures included). Sustained bursts are
--   how stolen credentials are resold for model access (LLMjacking) and how models are probed
--   or distilled through their inference API (ATLAS AML.T0024); either way the account pays.
-- false_positives: Production applications with real traffic on a principal of their own;
--   load tests. Raise the threshold or approve the workload.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  e.principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(DISTINCT e.eventid) AS event_count,
  array_agg(DISTINCT e.eventid) AS event_ids,
  e.model_id AS resource,
  MAP(
    ARRAY['model_id', 'calls', 'apis', 'regions', 'source_ips', 'errors'],
    ARRAY[e.model_id,
          CAST(count(DISTINCT e.eventid) AS varchar),
          array_join(array_agg(DISTINCT e.eventname), ','),
          array_join(array_agg(DISTINCT e.region), ','),
          CAST(count(DISTINCT e.source_ip) AS varchar),
          CAST(count(DISTINCT CASE WHEN coalesce(e.errorcode, '') <> '' THEN e.eventid END) AS varchar)]
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
    coalesce(json_extract_scalar(requestparameters, '$.modelId'), '-') AS model_id
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn, e.model_id
HAVING count(DISTINCT e.eventid) >= max(p.bedrock_invocations_per_hour)
