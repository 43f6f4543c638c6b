-- id: s3_bucket_policy_public
-- title: S3 bucket made public by bucket policy or ACL
-- severity: high
-- technique: T1530
-- guidance: G9, G14
-- catalogue: 41
-- description: A successful PutBucketPolicy whose policy has an Allow statement for
--   everyone (Principal "*", {"AWS": "*"} or a list holding "*", or an Allow with
--   NotPrincipal) and no condition that pins the caller down (aws:PrincipalOrgID,
--   PrincipalAccount, PrincipalArn, SourceVpc(e), SourceIp, SourceAccount, SourceArn,
--   userid, access-point account), or a successful PutBucketAcl granting the AllUsers or
--   AuthenticatedUsers group (grants or canned ACL public-read, public-read-write,
--   authenticated-read). A public training-data or model bucket is data exposure in
--   one call. CloudTrail logs requestParameters.bucketPolicy as a JSON object (a JSON
--   string is parsed too); Statement may be an object or a list, of which the first 12
--   statements are read. evidence names the public statements (Sid, actions) or grants.
-- false_positives: Buckets meant to be public (static websites, public datasets, software
--   downloads); policies whose only public statement is restricted by a condition this
--   rule does not know (it then fires: check the Condition in the request).
SELECT
  e.eventtime_ts AS window_start,
  e.eventtime_ts AS window_end,
  e.account_id,
  e.region,
  e.principal_arn,
  e.source_ip,
  e.user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[e.eventid] AS event_ids,
  e.bucket AS resource,
  MAP(
    ARRAY['event_name', 'bucket', 'public_statements', 'public_statement_sids', 'public_actions', 'acl_public_grant', 'canned_acl'],
    ARRAY[
      e.eventname,
      coalesce(e.bucket, ''),
      CAST(e.public_statements AS varchar),
      e.public_sids,
      e.public_actions,
      CASE WHEN e.acl_public = 1 THEN 'true' ELSE 'false' END,
      coalesce(e.canned_acl, '')]
  ) AS evidence
FROM (
  SELECT
    s.eventid, s.eventtime_ts, s.account_id, s.region, s.principal_arn, s.source_ip, s.user_agent,
    s.eventname, s.bucket, s.canned_acl, s.acl_public,
    sum(s.public_stmt) AS public_statements,
    coalesce(array_join(array_agg(DISTINCT CASE WHEN s.public_stmt = 1 THEN coalesce(s.sid, concat('#', CAST(s.i AS varchar))) END), ','), '') AS public_sids,
    coalesce(array_join(array_agg(DISTINCT CASE WHEN s.public_stmt = 1 THEN s.actions END), ' '), '') AS public_actions
  FROM (
    SELECT
      t.*,
      json_extract_scalar(t.stmt, '$.Sid') AS sid,
      json_format(json_extract(t.stmt, '$.Action')) AS actions,
      CASE
        WHEN t.stmt IS NOT NULL
         AND lower(coalesce(json_extract_scalar(t.stmt, '$.Effect'), '')) = 'allow'
         AND (
           trim(coalesce(json_format(json_extract(t.stmt, '$.Principal')), '')) = '"*"'
           OR regexp_like(coalesce(json_format(json_extract(t.stmt, '$.Principal')), ''), '"AWS"\s*:\s*("\*"|\[[^\]]*"\*")')
           OR json_extract(t.stmt, '$.NotPrincipal') IS NOT NULL
         )
         AND NOT regexp_like(lower(coalesce(json_format(json_extract(t.stmt, '$.Condition')), '')),
           'aws:(principalorgid|principalorgpaths|principalaccount|principalarn|sourcevpce?|sourceip|vpcsourceip|sourceaccount|sourcearn|sourceorgid|sourceorgpaths|userid|principalservicename)"|s3:dataaccesspoint(account|arn)"')
        THEN 1 ELSE 0
      END AS public_stmt
    FROM (
      SELECT
        x.*,
        ix.i,
        CASE
          WHEN substr(trim(coalesce(json_format(json_extract(x.policy, '$.Statement')), '')), 1, 1) = '{' THEN
            CASE WHEN ix.i = 0 THEN json_format(json_extract(x.policy, '$.Statement')) END
          ELSE CASE ix.i
          WHEN 0 THEN json_format(json_extract(x.policy, '$.Statement[0]'))
          WHEN 1 THEN json_format(json_extract(x.policy, '$.Statement[1]'))
          WHEN 2 THEN json_format(json_extract(x.policy, '$.Statement[2]'))
          WHEN 3 THEN json_format(json_extract(x.policy, '$.Statement[3]'))
          WHEN 4 THEN json_format(json_extract(x.policy, '$.Statement[4]'))
          WHEN 5 THEN json_format(json_extract(x.policy, '$.Statement[5]'))
          WHEN 6 THEN json_format(json_extract(x.policy, '$.Statement[6]'))
          WHEN 7 THEN json_format(json_extract(x.policy, '$.Statement[7]'))
          WHEN 8 THEN json_format(json_extract(x.policy, '$.Statement[8]'))
          WHEN 9 THEN json_format(json_extract(x.policy, '$.Statement[9]'))
          WHEN 10 THEN json_format(json_extract(x.policy, '$.Statement[10]'))
          WHEN 11 THEN json_format(json_extract(x.policy, '$.Statement[11]'))
          END
        END AS stmt
      FROM (
        SELECT
          eventid,
          eventtime_ts,
          coalesce(recipientaccountid, useridentity.accountid) AS account_id,
          awsregion AS region,
          coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
          sourceipaddress AS source_ip,
          useragent AS user_agent,
          eventname,
          json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
          CASE
            WHEN eventname <> 'PutBucketPolicy' THEN NULL
            WHEN substr(trim(coalesce(json_format(json_extract(requestparameters, '$.bucketPolicy')), '')), 1, 1) = '{'
              THEN json_format(json_extract(requestparameters, '$.bucketPolicy'))
            ELSE json_extract_scalar(requestparameters, '$.bucketPolicy')
          END AS policy,
          json_format(json_extract(requestparameters, '$["x-amz-acl"]')) AS canned_acl,
          CASE
            WHEN eventname = 'PutBucketAcl'
             AND (regexp_like(requestparameters, 'acs\.amazonaws\.com\\?/groups\\?/global\\?/(AllUsers|AuthenticatedUsers)')
                  OR regexp_like(lower(coalesce(json_format(json_extract(requestparameters, '$["x-amz-acl"]')), '')), 'public-read|authenticated-read'))
            THEN 1 ELSE 0
          END AS acl_public
        FROM cloudtrail
        WHERE eventsource = 's3.amazonaws.com'
          AND eventname IN ('PutBucketPolicy', 'PutBucketAcl')
          AND coalesce(errorcode, '') = ''
      ) x
      CROSS JOIN (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11)) AS ix(i)
    ) t
  ) s
  GROUP BY s.eventid, s.eventtime_ts, s.account_id, s.region, s.principal_arn, s.source_ip, s.user_agent,
    s.eventname, s.bucket, s.canned_acl, s.acl_public
) e
WHERE e.public_statements > 0 OR e.acl_public = 1
