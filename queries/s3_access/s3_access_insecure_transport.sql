-- id: s3_access_insecure_transport
-- title: S3 object access over plain HTTP or TLS older than 1.2
-- severity: medium
-- technique: -
-- guidance: G11
-- catalogue: 38
-- description: S3 server access logs: successful object operations (REST.*OBJECT*,
--   multipart upload parts) that arrived over plain HTTP (no cipher suite or TLS version
--   logged) or over a TLS version below 1.2 (TLSv1, TLSv1.1; matched in any case, since
--   real logs write TLSV1.1), per bucket, requester and remote IP per day. The guidance
--   asks for TLS 1.2 minimum on data access; a bucket whose policy denies
--   aws:SecureTransport false or s3:TlsVersion below 1.2 answers such requests with 403,
--   so only successful ones are findings: they prove the bucket accepts them. Lines in
--   the old log format without the TLS fields (no Host header field) are skipped rather
--   than read as plain HTTP. evidence.reasons is plain_http and/or legacy_tls.
-- false_positives: Legacy clients and appliances inside a VPC endpoint that cannot do TLS
--   1.2; health checks over HTTP.
SELECT
  e.day_start AS window_start,
  e.day_start + INTERVAL '1' DAY AS window_end,
  CAST(NULL AS varchar) AS account_id,
  min(e.region) AS region,
  e.requester AS principal_arn,
  e.remoteip AS source_ip,
  min(e.useragent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.requestid) AS event_ids,
  e.bucket_name AS resource,
  MAP(
    ARRAY['reasons', 'bucket', 'requests', 'plain_http_requests', 'legacy_tls_requests', 'tls_versions', 'operations', 'first_key'],
    ARRAY[
      concat(
        CASE WHEN sum(e.plain) > 0 THEN 'plain_http' ELSE '' END,
        CASE WHEN sum(e.plain) > 0 AND sum(e.legacy) > 0 THEN ',' ELSE '' END,
        CASE WHEN sum(e.legacy) > 0 THEN 'legacy_tls' ELSE '' END),
      e.bucket_name,
      CAST(count(*) AS varchar),
      CAST(sum(e.plain) AS varchar),
      CAST(sum(e.legacy) AS varchar),
      coalesce(array_join(array_agg(DISTINCT e.tlsversion), ','), ''),
      array_join(array_agg(DISTINCT e.operation), ','),
      min(e.key)]
  ) AS evidence
FROM (
  SELECT
    requestid,
    date_trunc('day', requestdatetime_ts) AS day_start,
    CASE WHEN strpos(concat('.', endpoint), '.s3.') > 0
      THEN nullif(replace(split_part(split_part(concat('.', endpoint), '.s3.', 2), '.amazonaws.com', 1), 'dualstack.', ''), 'amazonaws.com')
    END AS region,
    coalesce(requester, 'anonymous') AS requester,
    remoteip,
    useragent,
    bucket_name,
    operation,
    key,
    tlsversion,
    CASE WHEN ciphersuite IS NULL OR tlsversion IS NULL THEN 1 ELSE 0 END AS plain,
    CASE WHEN upper(tlsversion) IN ('TLSV1', 'TLSV1.0', 'TLSV1.1', 'SSLV3') THEN 1 ELSE 0 END AS legacy
  FROM s3_access
  WHERE operation LIKE 'REST.%'
    AND (operation LIKE '%OBJECT%' OR operation LIKE '%UPLOAD%' OR operation = 'REST.PUT.PART')
    AND endpoint IS NOT NULL
    AND errorcode IS NULL
    AND coalesce(httpstatus, 0) BETWEEN 200 AND 399
    AND (ciphersuite IS NULL OR tlsversion IS NULL OR upper(tlsversion) IN ('TLSV1', 'TLSV1.0', 'TLSV1.1', 'SSLV3'))
) e
GROUP BY e.day_start, e.bucket_name, e.requester, e.remoteip
