-- id: rekognition_face_api_unapproved
-- title: Rekognition face API used by an unapproved principal
-- severity: medium
-- technique: T1119
-- guidance: G8
-- catalogue: 33
-- description: Successful Rekognition face-biometrics calls (DetectFaces, CompareFaces,
--   IndexFaces, SearchFaces, SearchFacesByImage, face collections and users, face video
--   analysis, celebrity recognition, face liveness), aggregated per principal per hour,
--   by a principal matching none of the approved_principals 'rekognition' patterns. Face
--   search and indexing are approved-use-case only: a developer key building a face
--   collection outside the approved application is biometric collection. Silent when no
--   rekognition pattern is configured. Rekognition's developer guide lists these calls
--   as CloudTrail events (older versions listed only the collection and stream-processor
--   APIs; current logs carry DetectFaces and DetectLabels too). evidence names the APIs,
--   collections and image buckets touched.
-- false_positives: A new application or a developer testing the approved app with their own
--   credentials; add its role to approved_principals rekognition.
SELECT
  e.hour_start AS window_start,
  e.hour_start + INTERVAL '1' HOUR AS window_end,
  e.account_id,
  min(e.region) AS region,
  e.principal_arn,
  min(e.source_ip) AS source_ip,
  min(e.user_agent) AS user_agent,
  count(*) AS event_count,
  array_agg(e.eventid) AS event_ids,
  min(e.collection_id) AS resource,
  MAP(
    ARRAY['calls', 'apis', 'collections', 'image_buckets', 'source_ips'],
    ARRAY[
      CAST(count(*) AS varchar),
      array_join(array_agg(DISTINCT e.eventname), ','),
      coalesce(array_join(array_agg(DISTINCT e.collection_id), ','), ''),
      coalesce(array_join(array_agg(DISTINCT e.image_bucket), ','), ''),
      array_join(array_agg(DISTINCT e.source_ip), ',')]
  ) AS evidence
FROM (
  SELECT
    c.eventid, c.hour_start, c.account_id, c.region, c.principal_arn, c.source_ip, c.user_agent, c.eventname,
    c.collection_id, c.image_bucket,
    count(a.pattern) AS approved_matches
  FROM (
    SELECT
      eventid,
      date_trunc('hour', eventtime_ts) AS hour_start,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      coalesce(useridentity.sessioncontext.sessionissuer.arn, '') AS issuer_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventname,
      json_extract_scalar(requestparameters, '$.collectionId') AS collection_id,
      coalesce(
        json_extract_scalar(requestparameters, '$.image.s3Object.bucket'),
        json_extract_scalar(requestparameters, '$.sourceImage.s3Object.bucket'),
        json_extract_scalar(requestparameters, '$.targetImage.s3Object.bucket'),
        json_extract_scalar(requestparameters, '$.video.s3Object.bucket')) AS image_bucket
    FROM cloudtrail
    WHERE eventsource = 'rekognition.amazonaws.com'
      AND eventname IN ('DetectFaces', 'CompareFaces', 'IndexFaces', 'SearchFaces', 'SearchFacesByImage',
                        'CreateCollection', 'ListFaces', 'DeleteFaces', 'CreateUser', 'AssociateFaces',
                        'SearchUsers', 'SearchUsersByImage', 'StartFaceDetection', 'GetFaceDetection',
                        'StartFaceSearch', 'GetFaceSearch', 'RecognizeCelebrities',
                        'StartCelebrityRecognition', 'GetCelebrityRecognition',
                        'CreateFaceLivenessSession', 'GetFaceLivenessSessionResults')
      AND coalesce(errorcode, '') = ''
  ) c
  LEFT JOIN th_approved_principals a
    ON a.service = 'rekognition' AND (c.principal_arn LIKE a.pattern OR c.issuer_arn LIKE a.pattern)
  GROUP BY c.eventid, c.hour_start, c.account_id, c.region, c.principal_arn, c.source_ip, c.user_agent, c.eventname,
    c.collection_id, c.image_bucket
) e
CROSS JOIN (SELECT count(*) AS patterns FROM th_approved_principals WHERE service = 'rekognition') k
GROUP BY e.hour_start, e.account_id, e.principal_arn
HAVING max(k.patterns) > 0 AND max(e.approved_matches) = 0
