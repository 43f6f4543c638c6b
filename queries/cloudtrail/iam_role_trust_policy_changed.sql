-- id: iam_role_trust_policy_changed
-- title: IAM role trust policy changed
-- severity: medium
-- technique: T1098.003
-- guidance: G16
-- catalogue: 49
-- description: UpdateAssumeRolePolicy succeeded: the set of principals allowed to
--   assume the role changed. Adding an outside account, a wildcard or an attacker's
--   user to the trust policy of a powerful role (a SageMaker or Bedrock execution role,
--   an admin role) is a persistent backdoor that needs no new credentials. The evidence
--   lists the principals of the new policy (first ten statements) and whether any is an
--   account other than the role's own or "*".
-- false_positives: Platform pipelines adding a new CI/CD or cross-account deployment
--   role; check the principals against the account inventory.
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
  c.role_name AS resource,
  MAP(
    ARRAY['role_name', 'new_principals', 'foreign_or_wildcard_principal'],
    ARRAY[c.role_name,
          c.principals,
          CASE WHEN regexp_like(replace(coalesce(c.principals, ''), concat('arn:aws:iam::', coalesce(c.account_id, '-'), ':'), ''),
                                'arn:aws:iam::[0-9]{12}:|"[0-9]{12}"|"\*"')
               THEN 'yes' ELSE 'no' END]
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
    json_extract_scalar(requestparameters, '$.roleName') AS role_name,
    array_join(ARRAY[
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement.Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[0].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[1].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[2].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[3].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[4].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[5].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[6].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[7].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[8].Principal'),
      json_extract(json_extract_scalar(requestparameters, '$.policyDocument'), '$.Statement[9].Principal')
    ], ' ') AS principals
  FROM cloudtrail
  WHERE eventsource = 'iam.amazonaws.com'
    AND eventname = 'UpdateAssumeRolePolicy'
    AND coalesce(errorcode, '') = ''
) c
