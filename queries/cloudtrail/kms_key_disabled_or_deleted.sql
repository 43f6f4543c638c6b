-- id: kms_key_disabled_or_deleted
-- title: KMS key disabled or scheduled for deletion
-- severity: high
-- technique: T1485
-- guidance: G9, G16
-- catalogue: 53
-- description: A KMS key was disabled (DisableKey), scheduled for deletion
--   (ScheduleKeyDeletion) or lost its imported key material (DeleteImportedKeyMaterial).
--   Training data, model artifacts and notebook volumes encrypted with the key become
--   unreadable: a destructive or ransom action, or a way to break the CMK encryption the
--   guidance requires. The evidence gives the deletion window.
-- false_positives: Planned key retirement after data was re-encrypted under a new key;
--   cleanup of test keys.
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
  coalesce(json_extract_scalar(responseelements, '$.keyId'), json_extract_scalar(requestparameters, '$.keyId')) AS resource,
  MAP(
    ARRAY['event_name', 'key_id', 'pending_window_days', 'deletion_date'],
    ARRAY[eventname,
          json_extract_scalar(requestparameters, '$.keyId'),
          json_extract_scalar(requestparameters, '$.pendingWindowInDays'),
          json_extract_scalar(responseelements, '$.deletionDate')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'kms.amazonaws.com'
  AND eventname IN ('DisableKey', 'ScheduleKeyDeletion', 'DeleteImportedKeyMaterial')
  AND coalesce(errorcode, '') = ''
