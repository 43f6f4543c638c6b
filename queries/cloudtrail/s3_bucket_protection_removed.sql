-- id: s3_bucket_protection_removed
-- title: S3 bucket protection removed (public access block, encryption, logging, replication out)
-- severity: high
-- technique: T1562.008
-- guidance: G9
-- catalogue: 42
-- description: A successful S3 call that takes a protection off a bucket or the account:
--   the public access block deleted (DeleteBucketPublicAccessBlock, DeletePublicAccessBlock,
--   DeleteAccountPublicAccessBlock) or rewritten with a setting turned off
--   (Put*PublicAccessBlock with BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy or
--   RestrictPublicBuckets false); default encryption deleted (DeleteBucketEncryption);
--   server access logging switched off (PutBucketLogging whose BucketLoggingStatus has no
--   LoggingEnabled); or replication set up to a bucket of another account
--   (PutBucketReplication whose rule Destination.Account differs from the bucket's
--   account). Each clears the way for exposure or quiet exfiltration of training data
--   and models. evidence.action names which; Panther's DeleteBucketEncryption,
--   DeletePublicAccessBlock and DisableBucketLogging rules agree with it on their tests.
-- false_positives: Bucket decommissioning, buckets moving to an organisation-level public
--   access block, logging reconfigured to a new target in two steps, approved
--   cross-account backup replication.
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
    ARRAY['action', 'event_name', 'bucket', 'destination_account', 'destination_bucket', 'public_access_block'],
    ARRAY[
      e.action,
      e.eventname,
      coalesce(e.bucket, ''),
      coalesce(e.dest_account, ''),
      coalesce(e.dest_bucket, ''),
      coalesce(e.pab, '')]
  ) AS evidence
FROM (
  SELECT
    r.*,
    CASE
      WHEN r.eventname IN ('DeleteBucketPublicAccessBlock', 'DeletePublicAccessBlock', 'DeleteAccountPublicAccessBlock')
        THEN 'public_access_block_deleted'
      WHEN r.eventname IN ('PutBucketPublicAccessBlock', 'PutPublicAccessBlock', 'PutAccountPublicAccessBlock')
       AND (r.pab_acls = 'false' OR r.pab_ignore = 'false' OR r.pab_policy = 'false' OR r.pab_restrict = 'false')
        THEN 'public_access_block_disabled'
      WHEN r.eventname = 'DeleteBucketEncryption'
        THEN 'encryption_deleted'
      WHEN r.eventname = 'PutBucketLogging'
       AND json_extract(r.requestparameters, '$.BucketLoggingStatus') IS NOT NULL
       AND json_extract(r.requestparameters, '$.BucketLoggingStatus.LoggingEnabled') IS NULL
        THEN 'logging_disabled'
      WHEN r.eventname = 'PutBucketReplication'
       AND r.dest_account IS NOT NULL AND r.dest_account <> r.account_id
        THEN 'replication_external_account'
    END AS action,
    concat('BlockPublicAcls=', coalesce(r.pab_acls, '-'), ',IgnorePublicAcls=', coalesce(r.pab_ignore, '-'),
           ',BlockPublicPolicy=', coalesce(r.pab_policy, '-'), ',RestrictPublicBuckets=', coalesce(r.pab_restrict, '-')) AS pab
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
      requestparameters,
      json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
      lower(json_extract_scalar(requestparameters, '$.PublicAccessBlockConfiguration.BlockPublicAcls')) AS pab_acls,
      lower(json_extract_scalar(requestparameters, '$.PublicAccessBlockConfiguration.IgnorePublicAcls')) AS pab_ignore,
      lower(json_extract_scalar(requestparameters, '$.PublicAccessBlockConfiguration.BlockPublicPolicy')) AS pab_policy,
      lower(json_extract_scalar(requestparameters, '$.PublicAccessBlockConfiguration.RestrictPublicBuckets')) AS pab_restrict,
      -- the first rule whose destination names an account other than the bucket's
      CASE
        WHEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule.Destination.Account') <> coalesce(recipientaccountid, useridentity.accountid)
          THEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule.Destination.Account')
        WHEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[0].Destination.Account') <> coalesce(recipientaccountid, useridentity.accountid)
          THEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[0].Destination.Account')
        WHEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[1].Destination.Account') <> coalesce(recipientaccountid, useridentity.accountid)
          THEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[1].Destination.Account')
        WHEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[2].Destination.Account') <> coalesce(recipientaccountid, useridentity.accountid)
          THEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[2].Destination.Account')
        WHEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[3].Destination.Account') <> coalesce(recipientaccountid, useridentity.accountid)
          THEN json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[3].Destination.Account')
      END AS dest_account,
      coalesce(
        json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule.Destination.Bucket'),
        json_extract_scalar(requestparameters, '$.ReplicationConfiguration.Rule[0].Destination.Bucket')) AS dest_bucket
    FROM cloudtrail
    WHERE eventsource = 's3.amazonaws.com'
      AND eventname IN ('DeleteBucketPublicAccessBlock', 'DeletePublicAccessBlock', 'DeleteAccountPublicAccessBlock',
                        'PutBucketPublicAccessBlock', 'PutPublicAccessBlock', 'PutAccountPublicAccessBlock',
                        'DeleteBucketEncryption', 'PutBucketLogging', 'PutBucketReplication')
      AND coalesce(errorcode, '') = ''
  ) r
) e
WHERE e.action IS NOT NULL
