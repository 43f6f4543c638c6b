-- id: bedrock_model_access_denied
-- title: Repeated or restricted Bedrock model access denied
-- severity: medium
-- technique: T1098
-- guidance: G6
-- catalogue: 19
-- description: Bedrock denied a principal the use of a model (InvokeModel,
--   InvokeModelWithResponseStream, Converse, ConverseStream) or the model-access APIs
--   (PutFoundationModelEntitlement, PutUseCaseForModelAccess, CreateFoundationModelAgreement)
--   with AccessDenied. Fires when one principal is denied the same model at least
--   bedrock_denied_per_hour times in an hour, or on any denial of a model on the
--   restricted_models deny-list: someone is trying models they are not allowed to use,
--   typically stolen credentials probing which models are reachable.
-- false_positives: An application deployed with a model id its role is not granted yet
--   (repeats until fixed); developers trying a model before access is requested.
SELECT
  d.hour_start AS window_start,
  d.hour_start + INTERVAL '1' HOUR AS window_end,
  d.account_id,
  min(d.region) AS region,
  d.principal_arn,
  min(d.source_ip) AS source_ip,
  min(d.user_agent) AS user_agent,
  count(DISTINCT d.eventid) AS event_count,
  array_agg(DISTINCT d.eventid) AS event_ids,
  d.model_id AS resource,
  MAP(
    ARRAY['model_id', 'denials', 'apis', 'error_codes', 'restricted_model', 'matched_pattern'],
    ARRAY[d.model_id,
          CAST(count(DISTINCT d.eventid) AS varchar),
          array_join(array_agg(DISTINCT d.eventname), ','),
          array_join(array_agg(DISTINCT d.errorcode), ','),
          CASE WHEN count(m.pattern) > 0 THEN 'true' ELSE 'false' END,
          min(m.pattern)]
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
    lower(coalesce(json_extract_scalar(requestparameters, '$.modelId'), '-')) AS model_id
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream',
                      'PutFoundationModelEntitlement', 'PutUseCaseForModelAccess', 'CreateFoundationModelAgreement')
    AND errorcode IN ('AccessDenied', 'AccessDeniedException')
) d
LEFT JOIN th_restricted_models m
  ON d.model_id LIKE lower(m.pattern)
  OR d.model_id LIKE concat('%/', lower(m.pattern))
  OR d.model_id LIKE concat('%.', lower(m.pattern))
CROSS JOIN th_params p
GROUP BY d.hour_start, d.account_id, d.principal_arn, d.model_id
HAVING count(DISTINCT d.eventid) >= max(p.bedrock_denied_per_hour) OR count(m.pattern) > 0
