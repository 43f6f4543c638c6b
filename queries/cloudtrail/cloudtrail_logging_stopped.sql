-- id: cloudtrail_logging_stopped
-- title: CloudTrail logging stopped, trail deleted or management events cut
-- severity: high
-- technique: T1562.008
-- guidance: G13, G16
-- catalogue: 44
-- description: A trail stopped logging (StopLogging), was deleted (DeleteTrail), was
--   narrowed (UpdateTrail to a single region or without global service events), or its
--   selectors no longer record management write events: PutEventSelectors where no
--   selector includes management events with readWriteType All or WriteOnly (the API
--   default for includeManagementEvents is true), or advanced selectors
--   (PutAdvancedEventSelectors, or PutEventSelectors given advancedEventSelectors) without
--   any eventCategory Management selector. CloudTrail Lake ingestion stopped or an event
--   data store deleted counts too. Without the trail, the SageMaker and Bedrock calls
--   the other detections read are no longer recorded.
-- false_positives: Trail migrations (a new organisation trail replaces account trails),
--   cost cuts on sandbox accounts, teardown of test trails; check that another trail
--   still covers the account and region.
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
  coalesce(json_extract_scalar(requestparameters, '$.name'),
           json_extract_scalar(requestparameters, '$.trailName'),
           json_extract_scalar(requestparameters, '$.eventDataStore')) AS resource,
  MAP(
    ARRAY['event_name', 'change', 'is_multi_region_trail', 'include_global_service_events'],
    ARRAY[eventname,
          CASE
            WHEN eventname = 'StopLogging' THEN 'logging stopped'
            WHEN eventname = 'DeleteTrail' THEN 'trail deleted'
            WHEN eventname = 'UpdateTrail' THEN 'trail narrowed'
            WHEN json_extract(requestparameters, '$.advancedEventSelectors') IS NOT NULL THEN 'no management event selector'
            WHEN eventname = 'PutEventSelectors' THEN 'management write events not selected'
            WHEN eventname = 'StopEventDataStoreIngestion' THEN 'event data store ingestion stopped'
            ELSE 'event data store deleted'
          END,
          json_extract_scalar(requestparameters, '$.isMultiRegionTrail'),
          json_extract_scalar(requestparameters, '$.includeGlobalServiceEvents')]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'cloudtrail.amazonaws.com'
  AND coalesce(errorcode, '') = ''
  AND (
    eventname IN ('StopLogging', 'DeleteTrail', 'StopEventDataStoreIngestion', 'DeleteEventDataStore')
    OR (eventname = 'UpdateTrail'
      AND (lower(coalesce(json_extract_scalar(requestparameters, '$.isMultiRegionTrail'), '')) = 'false'
        OR lower(coalesce(json_extract_scalar(requestparameters, '$.includeGlobalServiceEvents'), '')) = 'false'))
    OR (eventname = 'PutEventSelectors'
      AND json_extract(requestparameters, '$.eventSelectors') IS NOT NULL
      AND NOT (
        (json_extract(requestparameters, '$.eventSelectors[0]') IS NOT NULL
          AND lower(coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[0].includeManagementEvents'), 'true')) = 'true'
          AND coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[0].readWriteType'), 'All') IN ('All', 'WriteOnly'))
        OR (json_extract(requestparameters, '$.eventSelectors[1]') IS NOT NULL
          AND lower(coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[1].includeManagementEvents'), 'true')) = 'true'
          AND coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[1].readWriteType'), 'All') IN ('All', 'WriteOnly'))
        OR (json_extract(requestparameters, '$.eventSelectors[2]') IS NOT NULL
          AND lower(coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[2].includeManagementEvents'), 'true')) = 'true'
          AND coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[2].readWriteType'), 'All') IN ('All', 'WriteOnly'))
        OR (json_extract(requestparameters, '$.eventSelectors[3]') IS NOT NULL
          AND lower(coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[3].includeManagementEvents'), 'true')) = 'true'
          AND coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[3].readWriteType'), 'All') IN ('All', 'WriteOnly'))
        OR (json_extract(requestparameters, '$.eventSelectors[4]') IS NOT NULL
          AND lower(coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[4].includeManagementEvents'), 'true')) = 'true'
          AND coalesce(json_extract_scalar(requestparameters, '$.eventSelectors[4].readWriteType'), 'All') IN ('All', 'WriteOnly'))
      ))
    OR (eventname IN ('PutEventSelectors', 'PutAdvancedEventSelectors')
      AND json_extract(requestparameters, '$.advancedEventSelectors') IS NOT NULL
      AND NOT regexp_like(json_extract(requestparameters, '$.advancedEventSelectors'), '"[Ee]quals"\s*:\s*\[[^\]]*"Management"'))
  )
