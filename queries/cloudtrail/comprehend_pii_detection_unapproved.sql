-- id: comprehend_pii_detection_unapproved
-- title: Comprehend PII detection by an unapproved principal or in bulk
-- severity: medium
-- technique: T1530
-- guidance: G7
-- catalogue: 32
-- description: Successful DetectPiiEntities, ContainsPiiEntities or
--   StartPiiEntitiesDetectionJob calls, per principal per hour, by a principal matching
--   none of the approved_principals 'comprehend' patterns (this branch is silent when no
--   pattern is configured), or by any principal at least comprehend_pii_calls_per_hour
--   times. Running PII detection is how personal data is located before it is taken, so
--   it belongs to the teams cleared for that data classification. CloudTrail does
--   record the real-time calls: DetectPiiEntities is in the list of logged actions of
--   the Comprehend developer guide ("Logging Amazon Comprehend API calls with AWS
--   CloudTrail", with the other Detect* and BatchDetect* calls); ContainsPiiEntities is
--   not in the archived version of that list but is the same kind of call and is
--   included. The analysed text is masked in requestParameters
--   (HIDDEN_DUE_TO_SECURITY_REASONS), so the finding says who scanned, not what.
--   evidence.reasons is unapproved_principal and/or volume.
-- false_positives: Applications that redact PII on every request (chat, ticketing) exceed
--   the volume threshold by design: approve them and raise the threshold; new staff not
--   yet in the approved list.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  e.principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['reasons', 'calls', 'apis', 'source_ips', 'approved_patterns_configured', 'threshold'],
    ARRAY[
      concat(
        CASE WHEN max(k.patterns) > 0 AND max(e.approved_matches) = 0 THEN 'unapproved_principal' ELSE '' END,
        CASE WHEN max(k.patterns) > 0 AND max(e.approved_matches) = 0 AND count(*) >= max(p.comprehend_pii_calls_per_hour) THEN ',' ELSE '' END,
        CASE WHEN count(*) >= max(p.comprehend_pii_calls_per_hour) THEN 'volume' ELSE '' END),
      CAST(count(*) AS varchar),
      array_join(array_agg(DISTINCT e.eventname), ','),
      array_join(array_agg(DISTINCT e.source_ip), ','),
      CAST(max(k.patterns) AS varchar),
      CAST(max(p.comprehend_pii_calls_per_hour) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    c.eventid, c.hour_start, c.account_id, c.region, c.principal_arn, c.source_ip, c.user_agent, c.eventname,
    count(a.pattern) AS approved_matches
  FROM (
    SELECT
      eventid,
      date_trunc('hour', eventtime_ts) AS hour_start,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      coalesce(useridentity.sessioncontext.sessionissuer.arn, '') AS issuer_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventname
    FROM cloudtrail
    WHERE eventsource = 'comprehend.amazonaws.com'
      AND eventname IN ('DetectPiiEntities', 'ContainsPiiEntities', 'StartPiiEntitiesDetectionJob')
      AND coalesce(errorcode, '') = ''
  ) c
  LEFT JOIN th_approved_principals a
    ON a.service = 'comprehend' AND (c.principal_arn LIKE a.pattern OR c.issuer_arn LIKE a.pattern)
  GROUP BY c.eventid, c.hour_start, c.account_id, c.region, c.principal_arn, c.source_ip, c.user_agent, c.eventname
) e
CROSS JOIN (SELECT count(*) AS patterns FROM th_approved_principals WHERE service = 'comprehend') k
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn
HAVING (max(k.patterns) > 0 AND max(e.approved_matches) = 0)
    OR count(*) >= max(p.comprehend_pii_calls_per_hour)
