-- id: ec2_gpu_instance_launch
-- title: GPU or accelerator EC2 instance launched or attempted
-- severity: medium
-- technique: T1496
-- guidance: G15
-- catalogue: 55
-- description: RunInstances (or RequestSpotInstances) for an instance type in
--   th_gpu_instance_types (p*, g*, trn*, inf*, dl* families by default), successful or
--   refused for permissions or quota (UnauthorizedOperation, VcpuLimitExceeded,
--   InstanceLimitExceeded). Stolen credentials are used to start GPU capacity for
--   crypto mining or unsanctioned training; the failed attempts show the intent. The
--   instance type is read from requestParameters.instanceType (a string or
--   {"value": ...}), instancesSet.items[0].instanceType, the spot launchSpecification,
--   or the launched instance in responseElements. Launches by Auto Scaling and EC2 Fleet
--   on someone's behalf count as well.
-- false_positives: Teams that train on EC2 GPU instances directly; approve them by
--   narrowing gpu_instance_types, or rely on ec2_new_instance_type for the unusual ones.
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
  c.instance_type AS resource,
  MAP(
    ARRAY['event_name', 'instance_type', 'max_count', 'outcome', 'instance_id'],
    ARRAY[c.eventname,
          c.instance_type,
          c.max_count,
          CASE WHEN c.errorcode = '' THEN 'launched' ELSE c.errorcode END,
          c.instance_id]
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
    coalesce(errorcode, '') AS errorcode,
    coalesce(json_extract_scalar(requestparameters, '$.instanceType'),
             json_extract_scalar(requestparameters, '$.instanceType.value'),
             json_extract_scalar(requestparameters, '$.instancesSet.items[0].instanceType'),
             json_extract_scalar(requestparameters, '$.launchSpecification.instanceType'),
             json_extract_scalar(responseelements, '$.instancesSet.items[0].instanceType')) AS instance_type,
    coalesce(json_extract_scalar(requestparameters, '$.instancesSet.items[0].maxCount'),
             json_extract_scalar(requestparameters, '$.instanceCount')) AS max_count,
    json_extract_scalar(responseelements, '$.instancesSet.items[0].instanceId') AS instance_id
  FROM cloudtrail
  WHERE eventsource = 'ec2.amazonaws.com'
    AND eventname IN ('RunInstances', 'RequestSpotInstances')
    AND coalesce(errorcode, '') IN ('', 'Client.UnauthorizedOperation', 'UnauthorizedOperation',
                                    'Client.VcpuLimitExceeded', 'VcpuLimitExceeded',
                                    'Client.InstanceLimitExceeded', 'InstanceLimitExceeded')
) c
WHERE EXISTS (SELECT 1 FROM th_gpu_instance_types g WHERE lower(c.instance_type) LIKE g.pattern)
