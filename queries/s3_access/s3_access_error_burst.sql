-- id: s3_access_error_burst
-- title: Burst of S3 403/405 errors from one requester and IP
-- severity: medium
-- technique: T1619
-- guidance: G14
-- catalogue: 39
-- description: S3 server access logs: at least s3_access_errors_per_3h requests answered
--   403 (AccessDenied and friends) or 405 by one requester (anonymous counts as one) from
--   one remote IP within a three-hour window, user agents containing aws-internal left
--   out (S3 and other services probing on a customer's behalf). Guessing keys, walking a
--   bucket with stolen or under-privileged credentials and testing for public access all
--   leave this trail. Windows are fixed three-hour blocks aligned on UTC midnight
--   (00-03, 03-06, ...), so a burst straddling a block edge can be split; Panther's rule
--   uses 180 minutes. evidence lists the buckets, operations and error codes.
-- false_positives: Misconfigured clients retrying without permission; a bucket policy
--   change that locked out a legitimate job (many errors right after PutBucketPolicy).
SELECT
  e.block_start AS window_start,
  e.block_start + INTERVAL '3' HOUR AS window_end,
  CAST(NULL AS varchar) AS account_id,
  min(e.region) AS region,
  e.requester AS principal_arn,
  e.remoteip AS source_ip,
  min(e.useragent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.requestid) AS event_ids,
  CASE WHEN count(DISTINCT e.bucket_name) = 1 THEN min(e.bucket_name) END AS resource,
  MAP(
    ARRAY['errors', 'buckets', 'operations', 'error_codes', 'http_statuses', 'distinct_keys', 'threshold'],
    ARRAY[
      CAST(count(*) AS varchar),
      array_join(array_agg(DISTINCT e.bucket_name), ','),
      array_join(array_agg(DISTINCT e.operation), ','),
      coalesce(array_join(array_agg(DISTINCT e.errorcode), ','), ''),
      array_join(array_agg(DISTINCT CAST(e.httpstatus AS varchar)), ','),
      CAST(count(DISTINCT e.key) AS varchar),
      CAST(max(p.s3_access_errors_per_3h) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    requestid,
    CASE hour(requestdatetime_ts) % 3
      WHEN 0 THEN date_trunc('hour', requestdatetime_ts)
      WHEN 1 THEN date_trunc('hour', requestdatetime_ts) - INTERVAL '1' HOUR
      ELSE date_trunc('hour', requestdatetime_ts) - INTERVAL '2' HOUR
    END AS block_start,
    CASE WHEN strpos(concat('.', endpoint), '.s3.') > 0
      THEN nullif(replace(split_part(split_part(concat('.', endpoint), '.s3.', 2), '.amazonaws.com', 1), 'dualstack.', ''), 'amazonaws.com')
    END AS region,
    coalesce(requester, 'anonymous') AS requester,
    coalesce(remoteip, '-') AS remoteip,
    useragent,
    bucket_name,
    operation,
    key,
    errorcode,
    httpstatus
  FROM s3_access
  WHERE httpstatus IN (403, 405)
    AND coalesce(useragent, '') NOT LIKE '%aws-internal%'
) e
CROSS JOIN th_params p
GROUP BY e.block_start, e.requester, e.remoteip
HAVING count(*) >= max(p.s3_access_errors_per_3h)
