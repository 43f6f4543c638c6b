-- id: sagemaker_bulk_endpoint_creation
-- title: Bulk SageMaker endpoint creation
-- severity: high
-- technique: T1496
-- guidance: G13, G15
-- catalogue: 12
-- description: One principal created many SageMaker endpoints or endpoint configurations
--   within an hour (threshold bulk_endpoints_per_hour). Stolen credentials are used to
--   stand up GPU inference capacity for mining or resale; the evidence lists the
--   instance types requested.
-- false_positives: Infrastructure-as-code deployments of many models at once; raise the
--   threshold or approve the deployment role.
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
    ARRAY['calls', 'regions', 'instance_types'],
    ARRAY[CAST(count(*) AS varchar),
          array_join(array_agg(DISTINCT e.region), ','),
          array_join(array_agg(DISTINCT e.instance_type), ',')]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    coalesce(json_extract_scalar(requestparameters, '$.productionVariants[0].instanceType'), '-') AS instance_type
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreateEndpoint', 'CreateEndpointConfig')
    AND coalesce(errorcode, '') = ''
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn
HAVING count(*) >= max(p.bulk_endpoints_per_hour)
