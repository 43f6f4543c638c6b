-- id: root_console_login_failures
-- title: Repeated failed root console sign-ins
-- severity: high
-- technique: T1110.001
-- guidance: G16
-- catalogue: 46
-- description: Failed console sign-ins as the account root user, counted per account
--   per hour, reached root_login_failures_per_hour. A failure is a ConsoleLogin by
--   userIdentity.type Root whose responseElements.ConsoleLogin is Failure or that
--   carries an errorMessage (CloudTrail writes "Failed authentication" and no errorCode).
--   Password guessing against the root e-mail; if it ever succeeds, root_activity fires.
-- false_positives: An owner who forgot the root password; password-manager autofill
--   retrying an old password.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  min(e.principal_arn) AS principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['failures', 'source_ips', 'error_messages'],
    ARRAY[CAST(count(*) AS varchar),
          array_join(array_agg(DISTINCT e.source_ip), ','),
          array_join(array_agg(DISTINCT e.error_message), ',')]
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
    coalesce(nullif(errormessage, ''), 'Failure') AS error_message
  FROM cloudtrail
  WHERE eventsource = 'signin.amazonaws.com'
    AND eventname = 'ConsoleLogin'
    AND useridentity.type = 'Root'
    AND (json_extract_scalar(responseelements, '$.ConsoleLogin') = 'Failure'
      OR coalesce(errormessage, '') <> '')
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id
HAVING count(*) >= max(p.root_login_failures_per_hour)
