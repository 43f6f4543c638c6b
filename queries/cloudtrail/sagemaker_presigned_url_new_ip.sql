-- id: sagemaker_presigned_url_new_ip
-- title: SageMaker presigned notebook URL from a new source IP
-- severity: medium
-- technique: T1078.004
-- guidance: G1, G16
-- catalogue: 14
-- description: A principal created a presigned URL for a notebook instance
--   (CreatePresignedNotebookInstanceUrl) or a Studio domain (CreatePresignedDomainUrl)
--   from a source IP address it did not use for any call in the history window. The
--   URL opens an interactive Jupyter session with the notebook's execution role, so a
--   stolen key used from an attacker's network shows up here. Waits for
--   min_history_days of history; a principal with no history at all also fires.
-- false_positives: Users working from a new network (travel, VPN change, home ISP
--   address rotation); console sessions whose IP changes.
SELECT
  min(c.eventtime_ts) AS window_start,
  max(c.eventtime_ts) AS window_end,
  c.account_id,
  min(c.region) AS region,
  c.principal_arn,
  c.source_ip,
  min(c.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(c.eventid) AS event_ids,
  min(c.resource) AS resource,
  MAP(
    ARRAY['apis', 'resources', 'known_ips_in_history'],
    ARRAY[array_join(array_agg(DISTINCT c.eventname), ','),
          array_join(array_agg(DISTINCT c.resource), ','),
          CAST(max(coalesce(k.known_ips, 0)) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    eventtime_ts,
    eventid,
    eventname,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    coalesce(json_extract_scalar(requestparameters, '$.notebookInstanceName'),
             concat(coalesce(json_extract_scalar(requestparameters, '$.domainId'), '-'), '/',
                    coalesce(json_extract_scalar(requestparameters, '$.userProfileName'), '-'))) AS resource
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreatePresignedNotebookInstanceUrl', 'CreatePresignedDomainUrl')
    AND coalesce(errorcode, '') = ''
    AND coalesce(useridentity.type, '') <> 'AWSService'
    AND sourceipaddress IS NOT NULL
) c
LEFT JOIN (
  SELECT DISTINCT
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip
  FROM cloudtrail_history
  WHERE sourceipaddress IS NOT NULL
) h ON h.principal_arn = c.principal_arn AND h.source_ip = c.source_ip
LEFT JOIN (
  SELECT
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    count(DISTINCT sourceipaddress) AS known_ips
  FROM cloudtrail_history
  GROUP BY coalesce(useridentity.arn, useridentity.principalid)
) k ON k.principal_arn = c.principal_arn
WHERE h.source_ip IS NULL
GROUP BY c.account_id, c.principal_arn, c.source_ip
