-- id: servicequotas_multi_region_recon
-- title: EC2 or SageMaker service quotas looked up across many regions
-- severity: medium
-- technique: T1580
-- guidance: G15
-- catalogue: 56
-- description: One principal read EC2 or SageMaker service quotas (GetServiceQuota,
--   GetAWSDefaultServiceQuota, ListServiceQuotas with serviceCode ec2 or sagemaker, for
--   example L-1216C47A, running On-Demand standard instances) in at least quota_regions
--   distinct regions within an hour. Before launching miners or GPU jobs with stolen
--   credentials, attackers check how many vCPUs every region allows. Denied lookups
--   count as well.
-- false_positives: Capacity-planning and cost tools (Trusted Advisor style scripts,
--   CSPM products) that sweep every region; approve them by raising quota_regions.
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
    ARRAY['regions', 'distinct_regions', 'service_codes', 'quota_codes', 'first_call', 'last_call'],
    ARRAY[array_join(array_agg(DISTINCT e.region), ','),
          CAST(count(DISTINCT e.region) AS varchar),
          array_join(array_agg(DISTINCT e.service_code), ','),
          array_join(array_agg(DISTINCT e.quota_code), ','),
          to_iso8601(min(e.eventtime_ts)),
          to_iso8601(max(e.eventtime_ts))]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    eventtime_ts,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    lower(json_extract_scalar(requestparameters, '$.serviceCode')) AS service_code,
    coalesce(json_extract_scalar(requestparameters, '$.quotaCode'), '-') AS quota_code
  FROM cloudtrail
  WHERE eventsource = 'servicequotas.amazonaws.com'
    AND eventname IN ('GetServiceQuota', 'GetAWSDefaultServiceQuota', 'ListServiceQuotas', 'ListAWSDefaultServiceQuotas')
    AND lower(json_extract_scalar(requestparameters, '$.serviceCode')) IN ('ec2', 'sagemaker')
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn
HAVING count(DISTINCT e.region) >= max(p.quota_regions)
