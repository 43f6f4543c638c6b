-- id: ec2_new_instance_type
-- title: EC2 instance type never launched before in the account
-- severity: low
-- technique: T1496
-- guidance: G15
-- catalogue: 55
-- description: RunInstances launched an instance type that no successful RunInstances
--   in the account used during the history window. Cryptominers and unsanctioned
--   training pick large or accelerated types the account never runs; this catches them
--   even outside the GPU list of ec2_gpu_instance_launch. One finding per account and
--   instance type, with the principals that launched it. The type is read as in
--   ec2_gpu_instance_launch. Waits for min_history_days of history.
-- false_positives: New workloads and instance generation upgrades (m5 to m7i); Auto
--   Scaling groups with mixed instance policies picking a new type.
SELECT
  min(c.eventtime_ts) AS window_start,
  max(c.eventtime_ts) AS window_end,
  c.account_id,
  min(c.region) AS region,
  min(c.principal_arn) AS principal_arn,
  min(c.source_ip) AS source_ip,
  min(c.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(c.eventid) AS event_ids,
  c.instance_type AS resource,
  MAP(
    ARRAY['instance_type', 'launches', 'principals', 'regions'],
    ARRAY[c.instance_type,
          CAST(count(*) AS varchar),
          array_join(array_agg(DISTINCT c.principal_arn), ','),
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
    lower(coalesce(json_extract_scalar(requestparameters, '$.instanceType'),
                   json_extract_scalar(requestparameters, '$.instanceType.value'),
                   json_extract_scalar(requestparameters, '$.instancesSet.items[0].instanceType'),
                   json_extract_scalar(responseelements, '$.instancesSet.items[0].instanceType'))) AS instance_type
  FROM cloudtrail
  WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname = 'RunInstances'
    AND coalesce(errorcode, '') = ''
) c
LEFT JOIN (
  SELECT DISTINCT
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    lower(coalesce(json_extract_scalar(requestparameters, '$.instanceType'),
                   json_extract_scalar(requestparameters, '$.instanceType.value'),
                   json_extract_scalar(requestparameters, '$.instancesSet.items[0].instanceType'),
                   json_extract_scalar(responseelements, '$.instancesSet.items[0].instanceType'))) AS instance_type
  FROM cloudtrail_history
  WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname = 'RunInstances'
    AND coalesce(errorcode, '') = ''
) h ON h.account_id = c.account_id AND h.instance_type = c.instance_type
WHERE c.instance_type IS NOT NULL
  AND h.instance_type IS NULL
GROUP BY c.account_id, c.instance_type
