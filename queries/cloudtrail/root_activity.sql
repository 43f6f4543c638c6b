-- id: root_activity
-- title: Root user activity or root console sign-in
-- severity: high
-- technique: T1078.004
-- guidance: G16
-- catalogue: 46
-- description: The account root user signed in to the console or made a successful
--   call that changes something. One finding per account, source IP and hour, listing
--   the APIs. Root should be locked away (hardware MFA, no access keys) and used only for
--   the few tasks that need it. Read-only calls (readOnly true), calls by AWS services on
--   the account's behalf (eventType AwsServiceEvent), failed calls and
--   CreateServiceLinkedRole (made by the console as a side effect) are left out, as in
--   Panther's AWS.Root.Activity; a root sign-in followed only by browsing still alerts
--   through its ConsoleLogin.
-- false_positives: Break-glass tasks that need root (closing the account, changing the
--   support plan, restoring an IAM admin); confirm with the account owner.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  e.principal_arn,
  e.source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['apis', 'console_login', 'mfa_used', 'access_key_ids'],
    ARRAY[array_join(array_agg(DISTINCT e.eventname), ','),
          CASE WHEN max(CASE WHEN e.eventname = 'ConsoleLogin' THEN 1 ELSE 0 END) = 1 THEN 'yes' ELSE 'no' END,
          coalesce(max(e.mfa_used), '-'),
          coalesce(nullif(array_join(array_agg(DISTINCT e.access_key_id), ','), ''), '-')]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(nullif(useridentity.arn, ''), concat('arn:aws:iam::', useridentity.accountid, ':root')) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    json_extract_scalar(additionaleventdata, '$.MFAUsed') AS mfa_used,
    nullif(useridentity.accesskeyid, '') AS access_key_id
  FROM cloudtrail
  WHERE useridentity.type = 'Root'
    AND coalesce(eventtype, '') <> 'AwsServiceEvent'
    AND coalesce(errorcode, '') = ''
    AND coalesce(errormessage, '') = ''
    -- Parses a JSON document, so only for root's rows: engines may test conjuncts in any
    -- order (DataFusion tests a struct field's last).
    AND CASE WHEN useridentity.type = 'Root'
             THEN coalesce(json_extract_scalar(responseelements, concat('$.', eventname)), '') <> 'Failure' END
    AND lower(coalesce(readonly, 'false')) <> 'true'
    AND eventname <> 'CreateServiceLinkedRole'
) e
GROUP BY e.hour_start, e.account_id, e.principal_arn, e.source_ip
