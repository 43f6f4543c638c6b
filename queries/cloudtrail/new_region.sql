-- id: new_region
-- title: Principal active in a region it never used before
-- severity: low
-- technique: T1535
-- guidance: G16
-- catalogue: 57
-- description: A principal (an IAM user, or a role whatever its session names) made calls
--   in a region where it made none during the history window. A principal that has no
--   history at all (new) is judged on its account instead: the finding needs a region
--   the whole account never used. Works without any approved-region list, which
--   unapproved_region needs. The same records are ignored as in unapproved_region:
--   global services in us-east-1 and events AWS generates itself. Waits for
--   min_history_days of history.
-- false_positives: Expansion into a new region, disaster-recovery tests, a developer
--   trying a service only offered elsewhere; Bedrock cross-region inference profiles.
WITH h AS (
  -- Who used which region in the history window, with the same exclusions as the run side.
  SELECT DISTINCT
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    coalesce(useridentity.sessioncontext.sessionissuer.arn, nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
    lower(awsregion) AS region
  FROM cloudtrail_history
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
)
SELECT
  c.window_start,
  c.window_end,
  c.account_id,
  c.region,
  c.principal_arn,
  c.source_ip,
  c.user_agent,
  c.event_count,
  c.event_ids,
  c.region AS resource,
  MAP(
    ARRAY['new_region', 'basis', 'services', 'apis', 'calls'],
    ARRAY[c.region,
          CASE WHEN hp.principal_arn IS NULL THEN 'new principal; region never used by the account'
               ELSE 'region never used by this principal' END,
          c.services,
          c.apis,
          CAST(c.event_count AS varchar)]
  ) AS evidence
FROM (
  SELECT
    min(eventtime_ts) AS window_start,
    max(eventtime_ts) AS window_end,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    lower(awsregion) AS region,
    coalesce(useridentity.sessioncontext.sessionissuer.arn, nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
    min(sourceipaddress) AS source_ip,
    min(useragent) AS user_agent,
    count(*) AS event_count,
    array_agg(eventid) AS event_ids,
    array_join(array_agg(DISTINCT eventsource), ',') AS services,
    array_join(array_agg(DISTINCT eventname), ',') AS apis
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
  GROUP BY coalesce(recipientaccountid, useridentity.accountid), lower(awsregion), coalesce(useridentity.sessioncontext.sessionissuer.arn, nullif(useridentity.arn, ''), useridentity.principalid)
) c
LEFT JOIN (SELECT DISTINCT principal_arn FROM h) hp ON hp.principal_arn = c.principal_arn
LEFT JOIN (SELECT DISTINCT principal_arn, region FROM h) hpr ON hpr.principal_arn = c.principal_arn AND hpr.region = c.region
LEFT JOIN (SELECT DISTINCT account_id, region FROM h) har ON har.account_id = c.account_id AND har.region = c.region
WHERE (hp.principal_arn IS NOT NULL AND hpr.principal_arn IS NULL)
   OR (hp.principal_arn IS NULL AND har.account_id IS NULL)
