-- id: tls_legacy_version
-- title: AWS API calls over TLS 1.0 or 1.1
-- severity: low
-- technique: -
-- guidance: G11
-- catalogue: 38
-- description: CloudTrail calls whose tlsDetails.tlsVersion is TLSv1 or TLSv1.1 (matched in
--   any case), per principal per day, any service. The guidance asks for TLS 1.2 at least
--   on endpoints and data access; AWS endpoints now refuse old TLS in most regions, so a
--   call that still negotiated it points at an outdated SDK, an appliance, or a region or
--   endpoint that has not enforced the minimum. evidence lists the services, APIs,
--   endpoints (host headers) and cipher suites.
-- false_positives: Old agents and appliances that the owner knows about; FIPS or legacy
--   endpoints kept for a migration.
SELECT
  e.day_start AS window_start,
  e.day_start + INTERVAL '1' DAY AS window_end,
  e.account_id,
  min(e.region) AS region,
  e.principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['calls', 'tls_versions', 'cipher_suites', 'event_sources', 'event_names', 'host_headers', 'source_ips'],
    ARRAY[
      CAST(count(*) AS varchar),
      array_join(array_agg(DISTINCT e.tls_version), ','),
      coalesce(array_join(array_agg(DISTINCT e.cipher_suite), ','), ''),
      array_join(array_agg(DISTINCT e.eventsource), ','),
      array_join(array_agg(DISTINCT e.eventname), ','),
      coalesce(array_join(array_agg(DISTINCT e.host_header), ','), ''),
      array_join(array_agg(DISTINCT e.source_ip), ',')]
  ) AS evidence
FROM (
  SELECT
    date_trunc('day', eventtime_ts) AS day_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, nullif(useridentity.principalid, ''), useridentity.accountid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventid,
    eventsource,
    eventname,
    tlsdetails.tlsversion AS tls_version,
    tlsdetails.ciphersuite AS cipher_suite,
    tlsdetails.clientprovidedhostheader AS host_header
  FROM cloudtrail
  WHERE upper(tlsdetails.tlsversion) IN ('TLSV1', 'TLSV1.0', 'TLSV1.1', 'SSLV3')
) e
GROUP BY e.day_start, e.account_id, e.principal_arn
