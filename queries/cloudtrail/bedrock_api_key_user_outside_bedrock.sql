-- id: bedrock_api_key_user_outside_bedrock
-- title: Bedrock API-key user acting outside Bedrock or given other credentials
-- severity: high
-- technique: T1078.004
-- guidance: G16
-- catalogue: 30
-- description: Long-term Bedrock API keys are service-specific credentials of an IAM user that
--   Bedrock creates, named BedrockAPIKey-<id>, and they only work against Bedrock. Fires when
--   such a user makes a call to any other service (it must have been given access keys or a
--   password), or when someone creates an access key or console password for it, changes its
--   password, attaches or puts a policy on it (other than AmazonBedrockLimitedAccess, which
--   Bedrock attaches itself) or adds it to a group: a leaked API key turned into a full IAM
--   foothold that hides among Bedrock-generated users.
-- false_positives: None expected; an administrator misusing the generated user as a regular
--   service user.
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
  coalesce(json_extract_scalar(requestparameters, '$.userName'), useridentity.username) AS resource,
  MAP(
    ARRAY['event_name', 'event_source', 'pattern', 'api_key_user', 'policy_arn', 'outcome'],
    ARRAY[eventname,
          eventsource,
          CASE WHEN useridentity.username LIKE 'BedrockAPIKey-%' THEN 'api-key user acting outside bedrock'
               ELSE 'credentials or permissions added to api-key user' END,
          CASE WHEN useridentity.username LIKE 'BedrockAPIKey-%' THEN useridentity.username
               ELSE json_extract_scalar(requestparameters, '$.userName') END,
          json_extract_scalar(requestparameters, '$.policyArn'),
          CASE WHEN coalesce(errorcode, '') = '' THEN 'success' ELSE errorcode END]
  ) AS evidence
FROM (
  -- Two branches, so each reads only its own rows: an OR over different columns reads
  -- every row's columns of both (no page of the lake can be skipped).
  SELECT *
  FROM cloudtrail
  WHERE useridentity.username LIKE 'BedrockAPIKey-%'
    AND eventsource <> 'bedrock.amazonaws.com'
    AND coalesce(useridentity.invokedby, '') NOT LIKE 'bedrock%'
    AND coalesce(eventtype, '') <> 'AwsServiceEvent'
  UNION ALL
  SELECT *
  FROM cloudtrail
  WHERE eventsource = 'iam.amazonaws.com'
    AND coalesce(errorcode, '') = ''
    AND json_extract_scalar(requestparameters, '$.userName') LIKE 'BedrockAPIKey-%'
    AND (eventname IN ('CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile', 'AddUserToGroup')
         OR (eventname IN ('AttachUserPolicy', 'PutUserPolicy')
             AND coalesce(json_extract_scalar(requestparameters, '$.policyArn'), '') <> 'arn:aws:iam::aws:policy/AmazonBedrockLimitedAccess'))
    -- once per event: not already in the first branch
    AND NOT coalesce(useridentity.username LIKE 'BedrockAPIKey-%'
                     AND eventsource <> 'bedrock.amazonaws.com'
                     AND coalesce(useridentity.invokedby, '') NOT LIKE 'bedrock%'
                     AND coalesce(eventtype, '') <> 'AwsServiceEvent', false)
) e
