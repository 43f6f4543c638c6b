-- id: s3_large_object_download
-- title: Single large S3 object downloaded
-- severity: medium
-- technique: T1530
-- guidance: G13, G14
-- catalogue: 35
-- description: S3 data events: a successful GetObject whose
--   additionalEventData.bytesTransferredOut is s3_large_object_bytes or more (any bucket;
--   read through double, since the field can be 500.0 or 500). Model weights, packed
--   training sets and database dumps leave as single large objects. The condition is per
--   event; findings are grouped per principal, bucket and source IP per hour so one
--   copy session is one finding, and the evidence lists the objects with the largest
--   size.
-- false_positives: Deployment and model-registry roles pulling model.tar.gz to serve it;
--   analysts downloading datasets they own; restores from backup buckets.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  e.principal_arn,
  e.source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  e.bucket AS resource,
  MAP(
    ARRAY['bucket', 'objects', 'bytes', 'largest_object_bytes', 'largest_object_key', 'keys', 'threshold'],
    ARRAY[
      e.bucket,
      CAST(count(*) AS varchar),
      CAST(sum(e.bytes) AS varchar),
      CAST(max(e.bytes) AS varchar),
      substr(max(e.size_key), 22),
      array_join(array_agg(DISTINCT e.object_key), ','),
      CAST(max(e.threshold) AS varchar)]
  ) AS evidence
FROM (
  -- The request's JSON is read only for the rows over the threshold: most GetObject
  -- calls are small, and reading it for all of them was about a quarter of this rule's CPU.
  SELECT
    g.hour_start, g.account_id, g.region, g.principal_arn, g.source_ip, g.user_agent, g.eventid, g.bytes,
    json_extract_scalar(g.requestparameters, '$.bucketName') AS bucket,
    json_extract_scalar(g.requestparameters, '$.key') AS object_key,
    p.s3_large_object_bytes AS threshold,
    -- zero-padded size first, so max() picks the key of the largest object
    concat(substr(concat('0000000000000000000', CAST(g.bytes AS varchar)), length(CAST(g.bytes AS varchar)), 20), ' ', coalesce(json_extract_scalar(g.requestparameters, '$.key'), '')) AS size_key
  FROM (
    SELECT
      date_trunc('hour', eventtime_ts) AS hour_start,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, nullif(useridentity.principalid, ''), useridentity.accountid) AS principal_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventid,
      requestparameters,
      coalesce(CAST(CAST(json_extract_scalar(additionaleventdata, '$.bytesTransferredOut') AS double) AS bigint), 0) AS bytes
    FROM cloudtrail
    WHERE eventsource = 's3.amazonaws.com'
      AND eventname = 'GetObject'
      AND coalesce(errorcode, '') = ''
  ) g
  CROSS JOIN th_params p
  WHERE g.bytes >= p.s3_large_object_bytes
) e
GROUP BY e.hour_start, e.account_id, e.principal_arn, e.bucket, e.source_ip
