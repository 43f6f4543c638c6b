-- id: iam_access_key_created_for_other_user
-- title: Access key created for another IAM user, or for the root user
-- severity: high
-- technique: T1098.001
-- guidance: G16
-- catalogue: 48
-- description: CreateAccessKey succeeded for a user other than the caller
--   (requestParameters.userName is not the last path segment of the caller's ARN; the
--   ARN is used because userIdentity.userName is not always the caller), or the root
--   user created an access key for itself (no userName in the request). A second key
--   on someone else's user is a quiet backdoor that survives password resets and session
--   revocation; a root access key should never exist. Root creating a key for an IAM
--   user is reported by root_activity instead.
-- false_positives: Administrators or provisioning pipelines issuing keys for service
--   users (prefer roles); key rotation automation that runs as a separate principal.
SELECT
  eventtime_ts AS window_start,
  eventtime_ts AS window_end,
  coalesce(recipientaccountid, useridentity.accountid) AS account_id,
  awsregion AS region,
  coalesce(nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
  sourceipaddress AS source_ip,
  useragent AS user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[eventid] AS event_ids,
  coalesce(target_user, 'root') AS resource,
  MAP(
    ARRAY['case', 'target_user', 'caller_type', 'new_access_key_id'],
    ARRAY[CASE WHEN target_user IS NULL THEN 'root access key' ELSE 'key for another user' END,
          coalesce(target_user, '(root)'),
          useridentity.type,
          json_extract_scalar(responseelements, '$.accessKey.accessKeyId')]
  ) AS evidence
FROM (
  SELECT *, nullif(json_extract_scalar(requestparameters, '$.userName'), '') AS target_user
  FROM cloudtrail
  WHERE eventsource = 'iam.amazonaws.com'
    AND eventname = 'CreateAccessKey'
    AND coalesce(errorcode, '') = ''
) c
WHERE (useridentity.type = 'Root' AND target_user IS NULL)
   OR (coalesce(useridentity.type, '') <> 'Root'
       AND target_user IS NOT NULL
       AND NOT (length(coalesce(useridentity.arn, '')) > length(target_user)
                AND lower(substr(useridentity.arn, length(useridentity.arn) - length(target_user))) = lower(concat('/', target_user))))
