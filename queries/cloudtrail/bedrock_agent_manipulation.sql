-- id: bedrock_agent_manipulation
-- title: Bedrock agent or action group changed by a principal new to it
-- severity: medium
-- technique: T1505
-- guidance: G6
-- catalogue: 28
-- description: A principal created a Bedrock agent (as an IAM user or root), updated an
--   agent, created or updated an action group, or attached a knowledge base or collaborator
--   to an agent, and had made no such change in the history window. Action groups are Lambda
--   functions or APIs the agent calls with its own role: a new or rewritten action group is a
--   persistence and tool-abuse path, and new agent instructions change what the agent does.
--   Waits for min_history_days of history.
-- false_positives: A new developer on the agent team; a new CI role deploying agents.
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
  array_join(array_agg(DISTINCT c.agent_id), ',') AS resource,
  MAP(
    ARRAY['apis', 'agents', 'action_groups', 'lambda_functions', 'identity_type'],
    ARRAY[array_join(array_agg(DISTINCT c.eventname), ','),
          array_join(array_agg(DISTINCT c.agent_id), ','),
          array_join(array_agg(DISTINCT c.action_group), ','),
          array_join(array_agg(DISTINCT c.lambda_arn), ','),
          min(c.identity_type)]
  ) AS evidence
FROM (
  SELECT
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    useridentity.type AS identity_type,
    eventid,
    eventname,
    eventtime_ts,
    coalesce(json_extract_scalar(requestparameters, '$.agentId'),
             json_extract_scalar(responseelements, '$.agent.agentId'),
             json_extract_scalar(requestparameters, '$.agentName')) AS agent_id,
    coalesce(json_extract_scalar(requestparameters, '$.actionGroupName'),
             json_extract_scalar(requestparameters, '$.actionGroupId')) AS action_group,
    json_extract_scalar(requestparameters, '$.actionGroupExecutor.lambda') AS lambda_arn
  FROM cloudtrail
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND coalesce(errorcode, '') = ''
    AND ((eventname = 'CreateAgent' AND useridentity.type IN ('IAMUser', 'Root'))
      OR eventname IN ('UpdateAgent', 'CreateAgentActionGroup', 'UpdateAgentActionGroup',
                       'AssociateAgentKnowledgeBase', 'UpdateAgentKnowledgeBase', 'AssociateAgentCollaborator'))
) c
LEFT JOIN (
  SELECT DISTINCT
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.principalid) AS principal_arn
  FROM cloudtrail_history
  WHERE eventsource = 'bedrock.amazonaws.com'
    AND eventname IN ('CreateAgent', 'UpdateAgent', 'CreateAgentActionGroup', 'UpdateAgentActionGroup',
                      'AssociateAgentKnowledgeBase', 'UpdateAgentKnowledgeBase', 'AssociateAgentCollaborator')
) h ON h.account_id = c.account_id AND h.principal_arn = c.principal_arn
WHERE h.principal_arn IS NULL
GROUP BY c.account_id, c.principal_arn
