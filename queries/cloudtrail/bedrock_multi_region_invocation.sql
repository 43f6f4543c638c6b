-- id: bedrock_multi_region_invocation
-- title: Bedrock invoked from many regions with one credential
-- severity: high
-- technique: T1496.004
-- guidance: G6, G15
-- catalogue: 23
-- description: One access key invoked Bedrock models (InvokeModel, InvokeModelWithResponseStream,
--   Converse, ConverseStream) in at least bedrock_regions_per_hour regions within an hour.
--   Applications call Bedrock from their own region (cross-region inference profiles are
--   logged in the calling region); hopping regions spreads stolen-credential abuse across
--   per-region quotas. Keyed by access key id, or by principal when the key is not logged.
-- false_positives: Multi-region test harnesses; a developer comparing model availability
--   across regions.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  array_join(array_agg(DISTINCT e.region), ',') AS region,
  min(e.principal_arn) AS principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(DISTINCT e.eventid) AS event_count,
  array_agg(DISTINCT e.eventid) AS event_ids,
  e.credential AS resource,
  MAP(
    ARRAY['credential', 'regions', 'region_count', 'calls', 'models'],
    ARRAY[e.credential,
          array_join(array_agg(DISTINCT e.region), ','),
          CAST(count(DISTINCT e.region) AS varchar),
          CAST(count(DISTINCT e.eventid) AS varchar),
          array_join(array_agg(DISTINCT e.model_id), ',')]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    coalesce(nullif(useridentity.accesskeyid, ''), useridentity.arn, useridentity.principalid) AS credential,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    json_extract_scalar(requestparameters, '$.modelId') AS model_id
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.credential
HAVING count(DISTINCT e.region) >= max(p.bedrock_regions_per_hour)
