-- id: secrets_bulk_retrieval
-- title: Many Secrets Manager secrets retrieved by one principal
-- severity: high
-- technique: T1555.006
-- guidance: G16
-- catalogue: 52
-- description: One principal asked for the values of many secrets within an hour: the
--   distinct secretIds of its GetSecretValue calls plus the secretIdList entries of its
--   BatchGetSecretValue calls reached secrets_read_per_hour. Denied attempts count too
--   (an attacker does not know beforehand which secrets the stolen key may read). A
--   BatchGetSecretValue by filter returns every matching secret without CloudTrail
--   saying which, so one such call is treated as bulk on its own. Browser and console
--   calls (Mozilla user agents, aws-internal, console.amazonaws.com) and calls made by
--   AWS services (sourceIPAddress *.amazonaws.com or "AWS Internal") are left out.
-- false_positives: Applications or config tools that load all their secrets at start
--   (Kubernetes external-secrets, CI jobs); approve them by raising the threshold.
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
    ARRAY['distinct_secrets', 'batch_listed_secrets', 'batch_by_filter_calls', 'denied_calls', 'apis'],
    ARRAY[CAST(count(DISTINCT e.secret_id) AS varchar),
          CAST(coalesce(sum(e.batch_listed), 0) AS varchar),
          CAST(sum(e.batch_by_filter) AS varchar),
          CAST(sum(e.denied) AS varchar),
          array_join(array_agg(DISTINCT e.eventname), ',')]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    CASE WHEN eventname = 'GetSecretValue' THEN json_extract_scalar(requestparameters, '$.secretId') END AS secret_id,
    CASE WHEN eventname = 'BatchGetSecretValue' THEN json_array_length(json_extract(requestparameters, '$.secretIdList')) END AS batch_listed,
    CASE WHEN eventname = 'BatchGetSecretValue' AND json_extract(requestparameters, '$.secretIdList') IS NULL THEN 1 ELSE 0 END AS batch_by_filter,
    CASE WHEN coalesce(errorcode, '') = '' THEN 0 ELSE 1 END AS denied
  FROM cloudtrail
  WHERE eventsource = 'secretsmanager.amazonaws.com'
    AND eventname IN ('GetSecretValue', 'BatchGetSecretValue')
    AND coalesce(useridentity.type, '') <> 'AWSService'
    AND coalesce(sourceipaddress, '') NOT LIKE '%.amazonaws.com'
    AND coalesce(sourceipaddress, '') <> 'AWS Internal'
    AND coalesce(useragent, '') NOT LIKE 'Mozilla/%'
    AND lower(coalesce(useragent, '')) NOT LIKE '%aws-internal%'
    AND coalesce(useragent, '') NOT IN ('console.amazonaws.com', 'AWS Internal')
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn
HAVING count(DISTINCT e.secret_id) + coalesce(sum(e.batch_listed), 0) >= max(p.secrets_read_per_hour)
    OR sum(e.batch_by_filter) > 0
