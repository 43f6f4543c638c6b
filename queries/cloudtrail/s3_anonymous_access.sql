-- id: s3_anonymous_access
-- title: Anonymous (unauthenticated) S3 access succeeded (CloudTrail data events)
-- severity: high
-- technique: T1530
-- guidance: G14
-- catalogue: 37
-- description: S3 data events from an anonymous caller (userIdentity.accountId 'anonymous'
--   with type AWSAccount or Unknown, or principalId / accountId ANONYMOUS_PRINCIPAL) that
--   succeeded, per bucket and source IP per hour. A request without credentials that
--   works means the bucket or object is public by policy or ACL; on an ML bucket that is
--   a dataset or a model open to the internet. Denied anonymous probes are not findings
--   here (s3_bucket_enumeration counts them). s3_access_anonymous_access does the same on
--   server access logs.
-- false_positives: Buckets that are public by design (public datasets, static websites,
--   downloads).
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  'anonymous' AS principal_arn,
  e.source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  e.bucket AS resource,
  MAP(
    ARRAY['bucket', 'requests', 'event_names', 'distinct_keys', 'bytes_out', 'first_key', 'last_key', 'identity_types'],
    ARRAY[
      coalesce(e.bucket, ''),
      CAST(count(*) AS varchar),
      array_join(array_agg(DISTINCT e.eventname), ','),
      CAST(count(DISTINCT e.object_key) AS varchar),
      CAST(sum(e.bytes) AS varchar),
      coalesce(min(e.object_key), ''),
      coalesce(max(e.object_key), ''),
      coalesce(array_join(array_agg(DISTINCT e.identity_type), ','), '')]
  ) AS evidence
FROM (
  SELECT
    date_trunc('hour', eventtime_ts) AS hour_start,
    recipientaccountid AS account_id,
    awsregion AS region,
    useridentity.type AS identity_type,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventname,
    json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
    json_extract_scalar(requestparameters, '$.key') AS object_key,
    coalesce(CAST(CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double) AS bigint), 0) AS bytes
  FROM cloudtrail
  WHERE eventsource = 's3.amazonaws.com'
    AND coalesce(errorcode, '') = ''
    AND (
      (lower(useridentity.accountid) = 'anonymous' AND coalesce(useridentity.type, 'Unknown') IN ('AWSAccount', 'Unknown'))
      OR upper(coalesce(useridentity.principalid, '')) = 'ANONYMOUS_PRINCIPAL'
      OR upper(coalesce(useridentity.accountid, '')) = 'ANONYMOUS_PRINCIPAL'
    )
) e
GROUP BY e.hour_start, e.account_id, e.bucket, e.source_ip
