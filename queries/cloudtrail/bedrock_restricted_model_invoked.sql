-- id: bedrock_restricted_model_invoked
-- title: Restricted Bedrock model invoked or customised
-- severity: high
-- technique: T1496.004
-- requires: restricted_models
-- guidance: G6
-- catalogue: 19, 25
-- description: A principal successfully invoked (InvokeModel, InvokeModelWithResponseStream,
--   Converse, ConverseStream, StartAsyncInvoke, batch CreateModelInvocationJob) or
--   fine-tuned (CreateModelCustomizationJob) a model on the site's restricted_models
--   deny-list. The deny-list should be enforced by IAM or SCP; a success means the
--   enforcement has a gap or was bypassed. Model ids are matched with or without an ARN
--   prefix or a cross-region inference-profile prefix (us., eu., ...). One finding per
--   principal, model and hour. Silent while restricted_models is empty.
-- false_positives: A model added to the deny-list while an approved workload still used it.
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
    ARRAY['model_id', 'calls', 'apis', 'regions', 'matched_pattern'],
    ARRAY[e.model_id,
          CAST(count(DISTINCT e.eventid) AS varchar),
          array_join(array_agg(DISTINCT e.eventname), ','),
          array_join(array_agg(DISTINCT e.region), ','),
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
    lower(coalesce(json_extract_scalar(requestparameters, '$.modelId'),
                   json_extract_scalar(requestparameters, '$.baseModelIdentifier'),
                   nullif(split_part(coalesce(json_extract_scalar(responseelements, '$.jobArn'), ''), '/', 2), ''))) AS model_id
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream',
                      'StartAsyncInvoke', 'CreateModelInvocationJob', 'CreateModelCustomizationJob')
    AND coalesce(errorcode, '') = ''
) e
JOIN th_restricted_models m
  ON e.model_id LIKE lower(m.pattern)
  OR e.model_id LIKE concat('%/', lower(m.pattern))
  OR e.model_id LIKE concat('%.', lower(m.pattern))
GROUP BY e.hour_start, e.account_id, e.principal_arn, e.model_id
