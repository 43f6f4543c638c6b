-- id: bedrock_resource_policy_changed
-- title: Bedrock resource-based policy changed by a principal new to it
-- severity: high
-- technique: T1098
-- guidance: G6
-- catalogue: 29
-- description: A principal put or deleted a resource-based policy on a Bedrock resource
--   (PutResourcePolicy, DeleteResourcePolicy), or tried to and was denied, and had not
--   touched Bedrock resource policies in the history window. A resource policy can share a
--   custom model, guardrail or other Bedrock resource with another account, a persistence and
--   exfiltration path that survives credential rotation. The evidence lists the resources,
--   the outcome and the start of the policy. Waits for min_history_days of history.
-- false_positives: A platform engineer sharing a resource across the organisation for the
--   first time.
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
  array_join(array_agg(DISTINCT c.resource_arn), ',') AS resource,
  MAP(
    ARRAY['apis', 'resources', 'outcomes', 'policy'],
    ARRAY[array_join(array_agg(DISTINCT c.eventname), ','),
          array_join(array_agg(DISTINCT c.resource_arn), ','),
          array_join(array_agg(DISTINCT c.outcome), ','),
          min(c.policy)]
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
    coalesce(json_extract_scalar(requestparameters, '$.resourceArn'), '-') AS resource_arn,
    CASE WHEN coalesce(errorcode, '') = '' THEN 'success' ELSE errorcode END AS outcome,
    substr(coalesce(json_extract_scalar(requestparameters, '$.resourcePolicy'),
                    json_format(json_extract(requestparameters, '$.resourcePolicy'))), 1, 1000) AS policy
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('PutResourcePolicy', 'DeleteResourcePolicy')
    AND (coalesce(errorcode, '') = '' OR errorcode IN ('AccessDenied', 'AccessDeniedException'))
) c
LEFT JOIN (
  SELECT DISTINCT
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.principalid) AS principal_arn
  FROM cloudtrail_history
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('PutResourcePolicy', 'DeleteResourcePolicy')
) h ON h.account_id = c.account_id AND h.principal_arn = c.principal_arn
WHERE h.principal_arn IS NULL
GROUP BY c.account_id, c.principal_arn
