-- id: rekognition_face_search_burst
-- title: Burst of Rekognition face API calls
-- severity: medium
-- technique: T1119
-- guidance: G8
-- catalogue: 33
-- description: One principal made at least rekognition_face_calls_per_hour successful
--   Rekognition face-biometrics calls (DetectFaces, CompareFaces, IndexFaces, SearchFaces,
--   SearchFacesByImage, face collections and users, face video analysis, celebrity
--   recognition) in an hour, approved or not. Mass indexing and searching of faces is
--   the signature of identifying people at scale, whether by a stolen key or an approved
--   application drifting from its use case. evidence counts the calls per API and names
--   the collections searched.
-- false_positives: Approved identity-verification or photo-library applications at peak
--   load; raise the threshold for them.
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
    ARRAY['calls', 'apis', 'search_calls', 'index_calls', 'detect_calls', 'collections', 'source_ips', 'threshold'],
    ARRAY[
      CAST(count(*) AS varchar),
      array_join(array_agg(DISTINCT e.eventname), ','),
      CAST(sum(CASE WHEN e.eventname IN ('SearchFaces', 'SearchFacesByImage', 'SearchUsers', 'SearchUsersByImage', 'CompareFaces') THEN 1 ELSE 0 END) AS varchar),
      CAST(sum(CASE WHEN e.eventname IN ('IndexFaces', 'AssociateFaces') THEN 1 ELSE 0 END) AS varchar),
      CAST(sum(CASE WHEN e.eventname = 'DetectFaces' THEN 1 ELSE 0 END) AS varchar),
      coalesce(array_join(array_agg(DISTINCT e.collection_id), ','), ''),
      array_join(array_agg(DISTINCT e.source_ip), ','),
      CAST(max(p.rekognition_face_calls_per_hour) AS varchar)]
  ) AS evidence
FROM (
  SELECT
    eventid,
    date_trunc('hour', eventtime_ts) AS hour_start,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    eventname,
    json_extract_scalar(requestparameters, '$.collectionId') AS collection_id
  FROM cloudtrail
  WHERE eventsource = 'rekognition.amazonaws.com'
    AND eventname IN ('DetectFaces', 'CompareFaces', 'IndexFaces', 'SearchFaces', 'SearchFacesByImage',
                      'CreateCollection', 'ListFaces', 'DeleteFaces', 'CreateUser', 'AssociateFaces',
                      'SearchUsers', 'SearchUsersByImage', 'StartFaceDetection', 'GetFaceDetection',
                      'StartFaceSearch', 'GetFaceSearch', 'RecognizeCelebrities',
                      'StartCelebrityRecognition', 'GetCelebrityRecognition',
                      'CreateFaceLivenessSession', 'GetFaceLivenessSessionResults')
    AND coalesce(errorcode, '') = ''
) e
CROSS JOIN th_params p
GROUP BY e.hour_start, e.account_id, e.principal_arn
HAVING count(*) >= max(p.rekognition_face_calls_per_hour)
