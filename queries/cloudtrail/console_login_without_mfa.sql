-- id: console_login_without_mfa
-- title: Console sign-in without MFA
-- severity: medium
-- technique: T1078.004
-- guidance: G16
-- catalogue: 47
-- description: An IAM user or the root user signed in to the console successfully with
--   additionalEventData.MFAUsed "No". A password alone got in: phished or reused
--   passwords, or MFA was removed from the user. Sign-ins as an assumed role (IAM
--   Identity Center / SSO, SAML or OIDC federation, switching role from a session) and
--   SAML sign-ins (SamlProviderArn set) are left out: MFA happens at the identity
--   provider and CloudTrail always writes MFAUsed "No" for them.
-- false_positives: Users not yet enrolled in MFA (new starters), break-glass users
--   without MFA by design; enforce MFA with an IAM policy condition instead.
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
  coalesce(useridentity.username, useridentity.arn) AS resource,
  MAP(
    ARRAY['identity_type', 'mfa_used', 'login_to', 'mobile'],
    ARRAY[useridentity.type,
          json_extract_scalar(additionaleventdata, '$.MFAUsed'),
          json_extract_scalar(additionaleventdata, '$.LoginTo'),
          json_extract_scalar(additionaleventdata, '$.MobileVersion')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'signin.amazonaws.com'
  AND eventname = 'ConsoleLogin'
  AND coalesce(errorcode, '') = ''
  AND json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Success'
  AND lower(coalesce(json_extract_scalar(additionaleventdata, '$.MFAUsed'), '')) = 'no'
  AND useridentity.type IN ('IAMUser', 'Root')
  AND coalesce(json_extract_scalar(additionaleventdata, '$.SamlProviderArn'), '') = ''
