-- id: cloudtrail_oversize_request_parameters
-- title: Policy or IAM call whose request parameters CloudTrail omitted as too large
-- severity: medium
-- technique: T1562.008
-- guidance: G16
-- catalogue: 45
-- description: CloudTrail replaces requestParameters larger than its limit with
--   {"reason": "requestParameters too large", "omitted": true, "originalSize": N}. Padding
--   an IAM or resource policy past that size (about 100 KB of whitespace or dummy
--   statements) hides what the policy grants from every log-based control. Flags
--   successful IAM calls and successful *Policy* calls of any service (bucket, key,
--   secret, repository policies) whose parameters were omitted.
-- false_positives: Very large generated policies (many ARNs listed one by one) from
--   infrastructure-as-code; those should be rewritten with wildcards or split anyway.
SELECT
  eventtime_ts AS window_start,
  eventtime_ts AS window_end,
  coalesce(recipientaccountid, useridentity.accountid) AS account_id,
  awsregion AS region,
  coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
  sourceipaddress AS source_ip,
  useragent AS user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[eventid] AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['event_source', 'event_name', 'reason', 'original_size'],
    ARRAY[eventsource,
          eventname,
          coalesce(json_extract_scalar(requestparameters, '$.reason'), '(omitted)'),
          json_extract_scalar(requestparameters, '$.originalSize')]
  ) AS evidence
FROM cloudtrail
WHERE coalesce(errorcode, '') = ''
  AND (eventsource = 'iam.amazonaws.com' OR eventname LIKE '%Policy%')
  AND (
    lower(coalesce(json_extract_scalar(requestparameters, '$.reason'), '')) = 'requestparameters too large'
    OR lower(coalesce(json_extract_scalar(requestparameters, '$.omitted'), '')) = 'true'
  )
