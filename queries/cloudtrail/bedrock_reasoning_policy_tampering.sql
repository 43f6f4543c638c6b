-- id: bedrock_reasoning_policy_tampering
-- title: Bedrock automated-reasoning policy deleted or modified
-- severity: medium
-- technique: T1562.001
-- guidance: G6
-- catalogue: 17
-- description: An automated-reasoning policy (the guardrail check that validates model answers
--   against formal rules) was deleted or changed, its annotations rewritten or its build
--   workflow deleted. Loosening these rules lets wrong or policy-violating answers through
--   unnoticed.
-- false_positives: Policy authors iterating on rules and annotations during development.
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
  coalesce(json_extract_scalar(requestparameters, '$.policyArn'),
           json_extract_scalar(responseelements, '$.policyArn')) AS resource,
  MAP(
    ARRAY['event_name', 'change', 'policy_arn', 'build_workflow_id'],
    ARRAY[eventname,
          CASE WHEN eventname LIKE 'Delete%' THEN 'deleted' ELSE 'modified' END,
          coalesce(json_extract_scalar(requestparameters, '$.policyArn'), json_extract_scalar(responseelements, '$.policyArn')),
          json_extract_scalar(requestparameters, '$.buildWorkflowId')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND eventname IN ('DeleteAutomatedReasoningPolicy', 'UpdateAutomatedReasoningPolicy',
                    'UpdateAutomatedReasoningPolicyAnnotations', 'DeleteAutomatedReasoningPolicyBuildWorkflow')
  AND coalesce(errorcode, '') = ''
