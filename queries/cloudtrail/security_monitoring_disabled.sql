-- id: security_monitoring_disabled
-- title: GuardDuty, Config, VPC flow logs or Security Hub turned off
-- severity: high
-- technique: T1562.001
-- guidance: G16
-- catalogue: 58
-- description: A security monitoring service was switched off or blinded: GuardDuty
--   DeleteDetector, UpdateDetector with enable false or a feature set to DISABLED, a
--   member leaving its administrator (DisassociateFromMasterAccount,
--   DisassociateFromAdministratorAccount), the administrator stopping or dropping
--   members (StopMonitoringMembers, DisassociateMembers, DeleteMembers), a trusted IP
--   list created or changed (CreateIPSet, UpdateIPSet: GuardDuty raises no findings for
--   those addresses); AWS Config StopConfigurationRecorder, DeleteConfigurationRecorder,
--   DeleteDeliveryChannel; EC2 DeleteFlowLogs; Security Hub DisableSecurityHub,
--   BatchDisableStandards; Macie DisableMacie, Inspector Disable, Detective DeleteGraph,
--   IAM Access Analyzer DeleteAnalyzer. Successful calls only.
-- false_positives: Decommissioning of an account or region; moving flow logs to a new
--   destination (delete then create); GuardDuty trusted lists maintained by the SOC.
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
  coalesce(json_extract_scalar(requestparameters, '$.detectorId'),
           json_extract_scalar(requestparameters, '$.configurationRecorderName'),
           json_extract_scalar(requestparameters, '$.deliveryChannelName'),
           json_extract_scalar(requestparameters, '$.DeleteFlowLogsRequest.FlowLogId.content'),
           json_extract_scalar(requestparameters, '$.flowLogId[0]'),
           json_extract_scalar(requestparameters, '$.graphArn'),
           json_extract_scalar(requestparameters, '$.analyzerName')) AS resource,
  MAP(
    ARRAY['service', 'event_name', 'detail'],
    ARRAY[split_part(eventsource, '.', 1),
          eventname,
          CASE
            WHEN eventname IN ('CreateIPSet', 'UpdateIPSet') THEN concat('trusted IP list ', coalesce(json_extract_scalar(requestparameters, '$.location'), '-'))
            WHEN eventname = 'UpdateDetector' THEN coalesce(json_extract(requestparameters, '$.features'), concat('enable=', coalesce(json_extract_scalar(requestparameters, '$.enable'), '-')))
            ELSE '-'
          END]
  ) AS evidence
FROM cloudtrail
WHERE coalesce(errorcode, '') = ''
  -- The sources of the branches below, on their own: a one-column test the engines can
  -- prune the lake's pages by (they cannot prune by an OR over two columns).
  AND eventsource IN ('guardduty.amazonaws.com', 'config.amazonaws.com', 'ec2.amazonaws.com', 'securityhub.amazonaws.com',
                      'macie2.amazonaws.com', 'inspector2.amazonaws.com', 'detective.amazonaws.com', 'access-analyzer.amazonaws.com')
  AND (
    (eventsource = 'guardduty.amazonaws.com'
      AND (eventname IN ('DeleteDetector', 'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount',
                         'StopMonitoringMembers', 'DisassociateMembers', 'DeleteMembers', 'CreateIPSet', 'UpdateIPSet')
        OR (eventname = 'UpdateDetector'
          AND (lower(coalesce(json_extract_scalar(requestparameters, '$.enable'), '')) = 'false'
            OR regexp_like(coalesce(json_extract(requestparameters, '$.features'), ''), '"(status|Status)"\s*:\s*"DISABLED"')
            OR regexp_like(coalesce(json_extract(requestparameters, '$.dataSources'), ''), '"enable"\s*:\s*false')))))
    OR (eventsource = 'config.amazonaws.com'
      AND eventname IN ('StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'))
    OR (eventsource = 'ec2.amazonaws.com' AND eventname = 'DeleteFlowLogs')
    OR (eventsource = 'securityhub.amazonaws.com' AND eventname IN ('DisableSecurityHub', 'BatchDisableStandards'))
    OR (eventsource = 'macie2.amazonaws.com' AND eventname = 'DisableMacie')
    OR (eventsource = 'inspector2.amazonaws.com' AND eventname = 'Disable')
    OR (eventsource = 'detective.amazonaws.com' AND eventname = 'DeleteGraph')
    OR (eventsource = 'access-analyzer.amazonaws.com' AND eventname = 'DeleteAnalyzer')
  )
