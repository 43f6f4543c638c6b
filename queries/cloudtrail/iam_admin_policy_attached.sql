-- id: iam_admin_policy_attached
-- title: Administrator access granted through an IAM policy
-- severity: high
-- technique: T1098.003
-- guidance: G16
-- catalogue: 49
-- description: A user, role or group received administrator rights: AttachUserPolicy,
--   AttachRolePolicy or AttachGroupPolicy with a policy ARN ending in
--   /AdministratorAccess; PutUserPolicy, PutRolePolicy or PutGroupPolicy with an inline
--   document that allows Action "*" on Resource "*"; CreatePolicyVersion set as default,
--   or CreatePolicy, with such a document. Documents are read best effort: a Statement
--   object or the first ten statements of a Statement array, Action and Resource as a
--   string or a list holding "*". The usual persistence step after a credential
--   compromise (an admin user or role kept as a backdoor).
-- false_positives: Account bootstrap and break-glass roles created by the platform
--   team's pipeline; approved admin role changes.
SELECT
  c.eventtime_ts AS window_start,
  c.eventtime_ts AS window_end,
  c.account_id,
  c.region,
  c.principal_arn,
  c.source_ip,
  c.user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[c.eventid] AS event_ids,
  c.target AS resource,
  MAP(
    ARRAY['event_name', 'target', 'policy', 'grant'],
    ARRAY[c.eventname,
          c.target,
          c.policy,
          CASE WHEN c.eventname LIKE 'Attach%' THEN 'AdministratorAccess managed policy' ELSE 'Allow * on *' END]
  ) AS evidence
FROM (
  SELECT
    eventtime_ts,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    coalesce(json_extract_scalar(requestparameters, '$.userName'),
             json_extract_scalar(requestparameters, '$.roleName'),
             json_extract_scalar(requestparameters, '$.groupName'),
             json_extract_scalar(requestparameters, '$.policyArn'),
             json_extract_scalar(requestparameters, '$.policyName')) AS target,
    coalesce(json_extract_scalar(requestparameters, '$.policyArn'),
             json_extract_scalar(requestparameters, '$.policyName')) AS policy,
    json_extract_scalar(requestparameters, '$.policyDocument') AS doc,
    lower(coalesce(json_extract_scalar(requestparameters, '$.setAsDefault'), 'false')) AS set_as_default
  FROM cloudtrail
  WHERE eventsource = 'iam.amazonaws.com'
    AND eventname IN ('AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy',
                      'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy',
                      'CreatePolicyVersion', 'CreatePolicy')
    AND coalesce(errorcode, '') = ''
) c
WHERE (c.eventname LIKE 'Attach%' AND c.policy LIKE '%/AdministratorAccess')
   OR (c.eventname IN ('PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'CreatePolicy')
       OR (c.eventname = 'CreatePolicyVersion' AND c.set_as_default = 'true'))
     AND c.doc IS NOT NULL
     AND (
      (json_extract_scalar(c.doc, '$.Statement.Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement.Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement.Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[0].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[0].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[0].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[1].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[1].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[1].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[2].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[2].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[2].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[3].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[3].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[3].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[4].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[4].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[4].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[5].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[5].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[5].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[6].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[6].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[6].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[7].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[7].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[7].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[8].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[8].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[8].Resource'), ''), '"\*"'))
      OR (json_extract_scalar(c.doc, '$.Statement[9].Effect') = 'Allow'
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[9].Action'), ''), '"\*"')
        AND regexp_like(coalesce(json_extract(c.doc, '$.Statement[9].Resource'), ''), '"\*"'))
     )
