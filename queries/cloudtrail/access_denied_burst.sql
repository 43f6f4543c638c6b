-- id: access_denied_burst
-- title: Burst of access-denied errors or denied discovery calls
-- severity: medium
-- technique: T1580
-- guidance: G16
-- catalogue: 51
-- description: One principal collected many authorization failures in an hour
--   (AccessDenied, AccessDeniedException, Client.UnauthorizedOperation,
--   UnauthorizedOperation): at least access_denied_per_hour of them, or at least
--   discovery_apis_denied_per_hour distinct denied List*, Describe* or Get* APIs. Stolen
--   credentials are tried against every service to learn what they can do
--   (enumerate-iam, Pacu, ScoutSuite). Calls made by AWS services (sourceIPAddress a
--   *.amazonaws.com name or "AWS Internal", identity type AWSService) and calls from the
--   AWS console (aws-internal user agents) are left out, as in Panther's
--   AWS.IAMUser.ReconAccessDenied.
-- false_positives: Misconfigured applications retrying a call they lack permission for;
--   security scanners with partial read access; new IAM policies being tested.
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
    ARRAY['denied_calls', 'distinct_discovery_apis_denied', 'apis', 'error_codes', 'services', 'source_ips'],
    ARRAY[CAST(count(*) AS varchar),
          CAST(count(DISTINCT e.discovery_api) AS varchar),
          array_join(array_agg(DISTINCT e.eventname), ','),
          array_join(array_agg(DISTINCT e.errorcode), ','),
          array_join(array_agg(DISTINCT e.eventsource), ','),
          array_join(array_agg(DISTINCT e.source_ip), ',')]
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
    eventsource,
    errorcode,
    CASE WHEN eventname LIKE 'List%' OR eventname LIKE 'Describe%' OR eventname LIKE 'Get%'
         THEN concat(eventsource, ':', eventname) END AS discovery_api
  FROM cloudtrail
  WHERE errorcode IN ('AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'UnauthorizedOperation')
    AND coalesce(useridentity.type, '') <> 'AWSService'
    AND coalesce(sourceipaddress, '') NOT LIKE '%.amazonaws.com'
    AND coalesce(sourceipaddress, '') <> 'AWS Internal'
    AND lower(coalesce(useragent, '')) NOT LIKE '%aws-internal%'
    AND coalesce(useragent, '') <> 'console.amazonaws.com'
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn
HAVING count(*) >= max(p.access_denied_per_hour)
    OR count(DISTINCT e.discovery_api) >= max(p.discovery_apis_denied_per_hour)
