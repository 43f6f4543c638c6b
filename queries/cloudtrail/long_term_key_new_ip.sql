-- id: long_term_key_new_ip
-- title: Long-term access key used from a new source IP
-- severity: medium
-- technique: T1078.004
-- guidance: G16
-- catalogue: 50
-- description: An IAM user's long-term access key (AKIA...) made calls from a source IP
--   it did not use in the history window. One finding per key and IP, with the calls
--   counted. Long-term keys leak through code repositories, CI logs and laptops; the
--   first sign of misuse is the key showing up somewhere new. Calls made through AWS
--   services (sourceIPAddress a *.amazonaws.com name or "AWS Internal") are left out.
--   The evidence says whether the key was seen at all in the history window (a dormant
--   key coming back to life is worse). Waits for min_history_days of history.
-- false_positives: Developers travelling or working from home, CI runners with changing
--   egress IPs, a new NAT gateway; keys should be replaced by roles anyway.
SELECT
  min(c.eventtime_ts) AS window_start,
  max(c.eventtime_ts) AS window_end,
  min(c.account_id) AS account_id,
  min(c.region) AS region,
  min(c.principal_arn) AS principal_arn,
  c.source_ip,
  min(c.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(c.eventid) AS event_ids,
  c.access_key_id AS resource,
  MAP(
    ARRAY['access_key_id', 'new_source_ip', 'key_seen_in_history', 'apis', 'regions'],
    ARRAY[c.access_key_id,
          c.source_ip,
          CASE WHEN max(k.access_key_id) IS NULL THEN 'no' ELSE 'yes' END,
          array_join(array_agg(DISTINCT c.eventname), ','),
          array_join(array_agg(DISTINCT c.region), ',')]
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
    useridentity.accesskeyid AS access_key_id
  FROM cloudtrail
  WHERE useridentity.accesskeyid LIKE 'AKIA%'
    AND sourceipaddress IS NOT NULL
    AND sourceipaddress NOT LIKE '%.amazonaws.com'
    AND sourceipaddress <> 'AWS Internal'
) c
LEFT JOIN (
  SELECT DISTINCT useridentity.accesskeyid AS access_key_id, sourceipaddress AS source_ip
  FROM cloudtrail_history
  WHERE useridentity.accesskeyid LIKE 'AKIA%'
) h ON h.access_key_id = c.access_key_id AND h.source_ip = c.source_ip
LEFT JOIN (
  SELECT DISTINCT useridentity.accesskeyid AS access_key_id
  FROM cloudtrail_history
  WHERE useridentity.accesskeyid LIKE 'AKIA%'
) k ON k.access_key_id = c.access_key_id
WHERE h.access_key_id IS NULL
GROUP BY c.access_key_id, c.source_ip
