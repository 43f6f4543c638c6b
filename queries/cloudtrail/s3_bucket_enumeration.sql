-- id: s3_bucket_enumeration
-- title: Many S3 AccessDenied errors from one source IP (bucket enumeration or brute force)
-- severity: medium
-- technique: T1619
-- guidance: G16
-- catalogue: 40
-- description: At least s3_bucket_denied S3 calls answered AccessDenied from one source IP
--   within an hour, whoever the callers were (one key, many keys, anonymous). Guessing
--   bucket names, probing for public ones and walking an organisation's buckets with a
--   low-privilege key all show up as a wall of AccessDenied. evidence names the buckets
--   and host headers (tlsDetails.clientProvidedHostHeader, the virtual-host name tried),
--   the identity types and the callers. AWS service principals are left out.
-- false_positives: A misconfigured job retrying against a bucket it lost access to; a
--   security scanner run from a known IP.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  min(e.account_id) AS account_id,
  min(e.region) AS region,
  min(e.principal_arn) AS principal_arn,
  e.source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  CASE WHEN count(DISTINCT e.bucket) = 1 THEN min(e.bucket) END AS resource,
  MAP(
    ARRAY['denied', 'distinct_buckets', 'buckets', 'host_headers', 'event_names', 'identity_types', 'principals', 'accounts', 'threshold'],
    ARRAY[
      CAST(count(*) AS varchar),
      CAST(count(DISTINCT e.bucket) AS varchar),
      coalesce(array_join(array_agg(DISTINCT e.bucket), ','), ''),
      coalesce(array_join(array_agg(DISTINCT e.host_header), ','), ''),
      array_join(array_agg(DISTINCT e.eventname), ','),
      coalesce(array_join(array_agg(DISTINCT e.identity_type), ','), ''),
      coalesce(array_join(array_agg(DISTINCT e.principal_arn), ','), ''),
      coalesce(array_join(array_agg(DISTINCT e.account_id), ','), ''),
      CAST(max(p.s3_bucket_denied) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, nullif(useridentity.principalid, ''), useridentity.accountid) AS principal_arn,
    coalesce(useridentity.type, 'Unknown') AS identity_type,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
    tlsdetails.clientprovidedhostheader AS host_header
  FROM cloudtrail
  WHERE eventsource = 's3.amazonaws.com'
    AND errorcode = 'AccessDenied'
    AND coalesce(useridentity.type, '') <> 'AWSService'
    AND sourceipaddress IS NOT NULL
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.source_ip
HAVING count(*) >= max(p.s3_bucket_denied)
