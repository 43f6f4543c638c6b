-- id: s3_access_unknown_requester
-- title: Object read from an allow-listed bucket by a requester outside its list
-- severity: medium
-- technique: T1530
-- guidance: G14
-- catalogue: 36
-- description: S3 server access logs: a successful REST.GET.OBJECT (no error code) on a
--   bucket matching an approved_requesters bucket pattern, by a requester matching none
--   of the requester patterns configured for that bucket (anonymous requests count as
--   unknown). Sensitive buckets (training data, model registries) have a short list of
--   readers; anyone else reading is either a new integration or a leak. Findings are
--   grouped per requester, bucket and remote IP per hour (Panther deduplicates the same
--   rule over 60 minutes). Silent when no approved_requesters are configured.
-- false_positives: New pipelines and roles not yet added to the list, role renames,
--   break-glass access.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  CAST(NULL AS varchar) AS account_id,
  min(e.region) AS region,
  e.requester AS principal_arn,
  e.remoteip AS source_ip,
  min(e.useragent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.requestid) AS event_ids,
  e.bucket_name AS resource,
  MAP(
    ARRAY['bucket', 'bucket_owner', 'objects', 'bytes', 'first_key', 'last_key', 'auth_types'],
    ARRAY[
      e.bucket_name,
      min(e.bucketowner),
      CAST(count(*) AS varchar),
      CAST(sum(e.bytes) AS varchar),
      min(e.key),
      max(e.key),
      coalesce(array_join(array_agg(DISTINCT e.authtype), ','), '')]
  ) AS evidence
FROM (
  SELECT
    l.requestid, l.hour_start, l.region, l.requester, l.remoteip, l.useragent, l.bucket_name, l.bucketowner,
    l.key, l.bytes, l.authtype,
    count(r.requester_pattern) AS approved_matches
  FROM (
    SELECT
      requestid,
      date_trunc('hour', requestdatetime_ts) AS hour_start,
      CASE WHEN strpos(concat('.', endpoint), '.s3.') > 0
        THEN nullif(replace(split_part(split_part(concat('.', endpoint), '.s3.', 2), '.amazonaws.com', 1), 'dualstack.', ''), 'amazonaws.com')
      END AS region,
      coalesce(requester, 'anonymous') AS requester,
      remoteip,
      useragent,
      bucket_name,
      bucketowner,
      key,
      coalesce(bytessent, 0) AS bytes,
      authtype
    FROM s3_access
    WHERE operation = 'REST.GET.OBJECT'
      AND errorcode IS NULL
      AND coalesce(httpstatus, 200) < 400
  ) l
  JOIN (SELECT DISTINCT bucket_pattern FROM th_approved_requesters) b
    ON l.bucket_name LIKE b.bucket_pattern
  LEFT JOIN th_approved_requesters r
    ON l.bucket_name LIKE r.bucket_pattern AND l.requester LIKE r.requester_pattern
  GROUP BY l.requestid, l.hour_start, l.region, l.requester, l.remoteip, l.useragent, l.bucket_name, l.bucketowner,
    l.key, l.bytes, l.authtype
) e
WHERE e.approved_matches = 0
GROUP BY e.hour_start, e.requester, e.bucket_name, e.remoteip
