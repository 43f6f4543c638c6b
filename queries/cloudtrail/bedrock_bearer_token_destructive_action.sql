-- id: bedrock_bearer_token_destructive_action
-- title: Destructive Bedrock call made with a Bedrock API key
-- severity: high
-- technique: T1485
-- guidance: G6, G12
-- catalogue: 31
-- description: A Bedrock API key (bearer token, additionalEventData.callWithBearerToken = true)
--   was used for a destructive or defence-weakening call: any Bedrock Delete* (guardrails,
--   custom and imported models, provisioned throughput, agents, knowledge bases, logging
--   configuration...), PutModelInvocationLoggingConfiguration, UpdateGuardrail, the enforced
--   guardrail configuration, resource policies, or stopping customization, batch and
--   evaluation jobs. API keys are handed to applications and developers for inference; an
--   administrative change made with one means the key is over-privileged or stolen.
-- false_positives: Automation that deliberately uses API keys for lifecycle management.
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
           json_extract_scalar(requestparameters, '$.modelIdentifier'),
           json_extract_scalar(requestparameters, '$.provisionedModelId'),
           json_extract_scalar(requestparameters, '$.agentId'),
           json_extract_scalar(requestparameters, '$.knowledgeBaseId'),
           json_extract_scalar(requestparameters, '$.resourceArn'),
           json_extract_scalar(requestparameters, '$.jobIdentifier')) AS resource,
  MAP(
    ARRAY['event_name', 'call_with_bearer_token', 'identity_type', 'user_name'],
    ARRAY[eventname,
          lower(json_extract_scalar(additionaleventdata, '$.callWithBearerToken')),
          useridentity.type,
          useridentity.username]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND coalesce(errorcode, '') = ''
  AND lower(json_extract_scalar(additionaleventdata, '$.callWithBearerToken')) = 'true'
  AND (eventname LIKE 'Delete%'
       OR eventname IN ('PutModelInvocationLoggingConfiguration', 'UpdateGuardrail', 'PutEnforcedGuardrailConfiguration',
                        'PutResourcePolicy', 'StopModelCustomizationJob', 'StopModelInvocationJob', 'StopEvaluationJob'))
