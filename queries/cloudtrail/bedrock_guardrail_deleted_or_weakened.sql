-- id: bedrock_guardrail_deleted_or_weakened
-- title: Bedrock guardrail deleted or weakened
-- severity: medium
-- technique: T1562.001
-- guidance: G6, G12
-- catalogue: 16
-- description: A Bedrock guardrail was deleted or updated, or the account's enforced guardrail
--   configuration was removed or replaced. Guardrails filter prompt attacks, harmful content
--   and sensitive data; removing them opens the models to jailbreaks and data leaks.
--   UpdateGuardrail replaces the whole configuration, so an update that sets a filter to
--   NONE, or carries no content policy at all, weakens it. The evidence carries a per-event
--   severity: high for deletions, medium for weakening updates and enforced-configuration
--   changes, low for other updates.
-- false_positives: Guardrail tuning by the application team (updates), cleanup of test
--   guardrails (deletions).
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
  coalesce(json_extract_scalar(requestparameters, '$.guardrailIdentifier'),
           json_extract_scalar(requestparameters, '$.guardrailInferenceConfig.guardrailIdentifier'),
           json_extract_scalar(responseelements, '$.guardrailArn'),
           json_extract_scalar(requestparameters, '$.configId')) AS resource,
  MAP(
    ARRAY['event_name', 'severity', 'guardrail', 'filter_set_to_none', 'content_policy'],
    ARRAY[eventname,
          CASE
            WHEN eventname IN ('DeleteGuardrail', 'DeleteEnforcedGuardrailConfiguration') THEN 'high'
            WHEN eventname = 'PutEnforcedGuardrailConfiguration' THEN 'medium'
            WHEN regexp_like(coalesce(requestparameters, ''), '"(inputStrength|outputStrength)"\s*:\s*"NONE"') THEN 'medium'
            WHEN json_extract(requestparameters, '$.contentPolicyConfig') IS NULL THEN 'medium'
            ELSE 'low'
          END,
          coalesce(json_extract_scalar(requestparameters, '$.guardrailIdentifier'),
                   json_extract_scalar(requestparameters, '$.guardrailInferenceConfig.guardrailIdentifier')),
          CASE WHEN regexp_like(coalesce(requestparameters, ''), '"(inputStrength|outputStrength)"\s*:\s*"NONE"') THEN 'true' ELSE 'false' END,
          CASE
            WHEN eventname <> 'UpdateGuardrail' THEN '-'
            WHEN json_extract(requestparameters, '$.contentPolicyConfig') IS NULL THEN 'absent (content filters removed or not logged)'
            ELSE 'present'
          END]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND eventname IN ('DeleteGuardrail', 'UpdateGuardrail', 'DeleteEnforcedGuardrailConfiguration', 'PutEnforcedGuardrailConfiguration')
  AND coalesce(errorcode, '') = ''
