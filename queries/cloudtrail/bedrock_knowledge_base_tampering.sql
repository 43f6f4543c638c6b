-- id: bedrock_knowledge_base_tampering
-- title: Bedrock knowledge base or RAG data source tampering
-- severity: medium
-- technique: T1565.001
-- guidance: G6
-- catalogue: 27
-- description: Documents were ingested into or deleted from a Bedrock knowledge base, a
--   knowledge base was updated or deleted, a data source was created, changed or deleted,
--   or an ingestion job was started. Whoever controls what a RAG knowledge base ingests
--   controls what the model answers (poisoning, planted instructions); deletions remove
--   grounding data. Reported per event; the evidence names the knowledge base, the data
--   source and, where logged, its S3 bucket.
-- false_positives: Scheduled ingestion jobs and content pipelines; suppress their roles.
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
  coalesce(json_extract_scalar(requestparameters, '$.knowledgeBaseId'),
           json_extract_scalar(responseelements, '$.knowledgeBase.knowledgeBaseId'),
           json_extract_scalar(responseelements, '$.dataSource.knowledgeBaseId')) AS resource,
  MAP(
    ARRAY['event_name', 'knowledge_base_id', 'data_source_id', 'data_source_bucket', 'data_deletion_policy', 'documents'],
    ARRAY[eventname,
          coalesce(json_extract_scalar(requestparameters, '$.knowledgeBaseId'),
                   json_extract_scalar(responseelements, '$.knowledgeBase.knowledgeBaseId'),
                   json_extract_scalar(responseelements, '$.dataSource.knowledgeBaseId')),
          coalesce(json_extract_scalar(requestparameters, '$.dataSourceId'),
                   json_extract_scalar(responseelements, '$.dataSource.dataSourceId')),
          json_extract_scalar(requestparameters, '$.dataSourceConfiguration.s3Configuration.bucketArn'),
          json_extract_scalar(requestparameters, '$.dataDeletionPolicy'),
          CAST(coalesce(json_array_length(json_extract(requestparameters, '$.documents')),
                        json_array_length(json_extract(requestparameters, '$.documentIdentifiers'))) AS varchar)]
  ) AS evidence
FROM cloudtrail
WHERE eventsource = 'bedrock.amazonaws.com'
  AND eventname IN ('IngestKnowledgeBaseDocuments', 'DeleteKnowledgeBaseDocuments', 'UpdateKnowledgeBase',
                    'DeleteKnowledgeBase', 'CreateDataSource', 'UpdateDataSource', 'DeleteDataSource',
                    'StartIngestionJob')
  AND coalesce(errorcode, '') = ''
