-- id: unapproved_region
-- title: Activity in a region outside the approved list
-- severity: medium
-- technique: T1535
-- requires: approved_regions
-- guidance: G16
-- catalogue: 57
-- description: A principal made calls in an awsRegion that is not in approved_regions
--   (th_approved_regions). One finding per principal, region and day. Attackers run
--   miners, Bedrock invocations and persistence in regions nobody watches. Silent while
--   approved_regions is empty. Global services record their calls in us-east-1 whatever
--   the caller does (IAM, Organizations, CloudFront, Route 53, STS global endpoint,
--   sign-in, billing, S3 ListBuckets): those us-east-1 records are ignored, so an
--   organisation that does not approve us-east-1 is not flooded by IAM calls; STS and
--   the other regional services still count in every region. Events AWS generates
--   itself (AwsServiceEvent, AWSService identities, calls from *.amazonaws.com or "AWS
--   Internal" such as AWS Config recorders in every region) are left out.
-- false_positives: A new region the organisation started using before the list was
--   updated; multi-region services (DR replicas, global tables) run by known roles.
SELECT
  e.day_start AS window_start,
  e.day_start + INTERVAL '1' DAY AS window_end,
  e.account_id,
  e.region,
  e.principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  e.region AS resource,
  MAP(
    ARRAY['region', 'calls', 'services', 'apis', 'source_ips'],
    ARRAY[e.region,
          CAST(count(*) AS varchar),
          array_join(array_agg(DISTINCT e.eventsource), ','),
          array_join(array_agg(DISTINCT e.eventname), ','),
          array_join(array_agg(DISTINCT e.source_ip), ',')]
  ) AS evidence
FROM (
  SELECT
    date_trunc('day', eventtime_ts) AS day_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    lower(awsregion) AS region,
    coalesce(nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventsource,
    eventname
  FROM cloudtrail
  WHERE awsregion IS NOT NULL
    AND coalesce(eventtype, '') NOT IN ('AwsServiceEvent', 'AwsCloudTrailInsight')
    AND coalesce(useridentity.type, '') <> 'AWSService'
    AND coalesce(sourceipaddress, '') NOT LIKE '%.amazonaws.com'
    AND coalesce(sourceipaddress, '') <> 'AWS Internal'
    AND NOT (lower(awsregion) = 'us-east-1'
             AND (eventsource IN ('iam.amazonaws.com', 'sts.amazonaws.com', 'organizations.amazonaws.com',
                                  'cloudfront.amazonaws.com', 'route53.amazonaws.com', 'route53domains.amazonaws.com',
                                  'signin.amazonaws.com', 'support.amazonaws.com', 'health.amazonaws.com',
                                  'account.amazonaws.com', 'ce.amazonaws.com', 'budgets.amazonaws.com',
                                  'billingconsole.amazonaws.com', 'billing.amazonaws.com', 'freetier.amazonaws.com',
                                  'globalaccelerator.amazonaws.com', 'waf.amazonaws.com', 'shield.amazonaws.com',
                                  'trustedadvisor.amazonaws.com', 'pricing.amazonaws.com', 'savingsplans.amazonaws.com',
                                  'tax.amazonaws.com', 'invoicing.amazonaws.com', 'payments.amazonaws.com',
                                  'cur.amazonaws.com', 'notifications.amazonaws.com')
                  OR (eventsource = 's3.amazonaws.com' AND eventname = 'ListBuckets')))
    AND EXISTS (SELECT 1 FROM th_approved_regions)
) e
LEFT JOIN th_approved_regions a ON e.region = lower(a.region)
WHERE a.region IS NULL
GROUP BY e.day_start, e.account_id, e.region, e.principal_arn
