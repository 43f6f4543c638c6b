-- id: ebs_default_encryption_disabled
-- title: EBS encryption by default disabled or its CMK reset
-- severity: medium
-- technique: T1565.001
-- guidance: G9
-- catalogue: 54
-- description: DisableEbsEncryptionByDefault succeeded: new EBS volumes and snapshot
--   copies in that region are no longer encrypted unless each request asks for it.
--   ResetEbsDefaultKmsKeyId is flagged too: the default key goes back from the
--   customer-managed key to the AWS-managed aws/ebs key, against the guidance to encrypt
--   ML storage (training instances, notebooks) with CMKs.
-- false_positives: Region bootstrap scripts that reset settings before applying the
--   organisation baseline; a short-lived test of unencrypted AMIs.
SELECT
  eventtime_ts AS window_start,
  eventtime_ts AS window_end,
  coalesce(recipientaccountid, useridentity.accountid) AS account_id,
  awsregion AS region,
  coalesce(nullif(useridentity.arn, ''), useridentity.principalid) AS principal_arn,
  sourceipaddress AS source_ip,
  useragent AS user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[eventid] AS event_ids,
  CAST(NULL AS varchar) AS resource,
  MAP(
    ARRAY['event_name', 'change'],
    ARRAY[eventname,
          CASE WHEN eventname = 'DisableEbsEncryptionByDefault' THEN 'EBS encryption by default off'
               ELSE 'default EBS key reset to aws/ebs' END]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'ec2.amazonaws.com'
  AND eventname IN ('DisableEbsEncryptionByDefault', 'ResetEbsDefaultKmsKeyId')
  AND coalesce(errorcode, '') = ''
