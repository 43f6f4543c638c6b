-- id: sagemaker_execution_role_shared
-- title: One execution role shared across SageMaker components
-- severity: low
-- technique: T1078.004
-- guidance: G2
-- catalogue: 11
-- description: One IAM role was passed as the execution role of at least
--   roles_shared_min_components different kinds of SageMaker component in the run's
--   days: notebook instances, training, tuning, processing, AutoML and compilation
--   jobs, models (executionRoleArn), pipelines, Studio domains and user profiles,
--   labeling jobs, feature groups, monitoring. The guidance asks for a dedicated,
--   scoped role per component; a role that serves them all carries the union of their
--   permissions, so whoever controls any one component can use all of it. Only the
--   run's own days are read (no history), so the rule works from the first run; a
--   longer run (scan of several days) catches roles whose uses are spread out.
--   principal_arn is the caller when a single principal made every call, else empty;
--   the evidence lists the components and callers.
-- false_positives: Small teams and proofs of concept that deliberately use one
--   SageMaker role; AWS quick-start templates that create a single
--   AmazonSageMaker-ExecutionRole for everything.
SELECT
  min(r.eventtime_ts) AS window_start,
  max(r.eventtime_ts) AS window_end,
  r.account_id,
  min(r.region) AS region,
  CASE WHEN count(DISTINCT r.principal_arn) = 1 THEN min(r.principal_arn) END AS principal_arn,
  CASE WHEN count(DISTINCT r.source_ip) = 1 THEN min(r.source_ip) END AS source_ip,
  CASE WHEN count(DISTINCT r.user_agent) = 1 THEN min(r.user_agent) END AS user_agent,
  count(*) AS event_count,
  array_agg(r.eventid) AS event_ids,
  r.role_arn AS resource,
  MAP(
    ARRAY['role_arn', 'components', 'component_count', 'apis', 'callers'],
    ARRAY[r.role_arn,
          array_join(array_agg(DISTINCT r.component), ','),
          CAST(count(DISTINCT r.component) AS varchar),
          array_join(array_agg(DISTINCT r.eventname), ','),
          array_join(array_agg(DISTINCT r.principal_arn), ',')]
  ) AS evidence
FROM (
  SELECT
    eventtime_ts,
    eventid,
    eventname,
    coalesce(recipientaccountid, useridentity.accountid) AS account_id,
    awsregion AS region,
    coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    coalesce(
      json_extract_scalar(requestparameters, '$.roleArn'),
      json_extract_scalar(requestparameters, '$.executionRoleArn'),
      json_extract_scalar(requestparameters, '$.trainingJobDefinition.roleArn'),
      json_extract_scalar(requestparameters, '$.trainingJobDefinitions[0].roleArn'),
      json_extract_scalar(requestparameters, '$.defaultUserSettings.executionRole'),
      json_extract_scalar(requestparameters, '$.userSettings.executionRole'),
      json_extract_scalar(requestparameters, '$.monitoringScheduleConfig.monitoringJobDefinition.roleArn')) AS role_arn,
    CASE
      WHEN eventname = 'CreateNotebookInstance' THEN 'notebook'
      WHEN eventname = 'CreateTrainingJob' THEN 'training'
      WHEN eventname = 'CreateHyperParameterTuningJob' THEN 'tuning'
      WHEN eventname = 'CreateProcessingJob' THEN 'processing'
      WHEN eventname IN ('CreateAutoMLJob', 'CreateAutoMLJobV2') THEN 'automl'
      WHEN eventname = 'CreateModel' THEN 'model'
      WHEN eventname = 'CreatePipeline' THEN 'pipeline'
      WHEN eventname = 'CreateCompilationJob' THEN 'compilation'
      WHEN eventname IN ('CreateDomain', 'CreateUserProfile') THEN 'studio'
      WHEN eventname = 'CreateLabelingJob' THEN 'labeling'
      WHEN eventname = 'CreateFeatureGroup' THEN 'feature_store'
      WHEN eventname IN ('CreateMonitoringSchedule', 'CreateDataQualityJobDefinition', 'CreateModelQualityJobDefinition',
                         'CreateModelBiasJobDefinition', 'CreateModelExplainabilityJobDefinition') THEN 'monitoring'
      WHEN eventname = 'CreateInferenceRecommendationsJob' THEN 'inference_recommender'
    END AS component
  FROM cloudtrail
  WHERE eventsource = 'sagemaker.amazonaws.com'
    AND eventname IN ('CreateNotebookInstance', 'CreateTrainingJob', 'CreateHyperParameterTuningJob', 'CreateProcessingJob',
                      'CreateAutoMLJob', 'CreateAutoMLJobV2', 'CreateModel', 'CreatePipeline', 'CreateCompilationJob',
                      'CreateDomain', 'CreateUserProfile', 'CreateLabelingJob', 'CreateFeatureGroup',
                      'CreateMonitoringSchedule', 'CreateDataQualityJobDefinition', 'CreateModelQualityJobDefinition',
                      'CreateModelBiasJobDefinition', 'CreateModelExplainabilityJobDefinition',
                      'CreateInferenceRecommendationsJob')
    AND coalesce(errorcode, '') = ''
) r
CROSS JOIN th_params p
WHERE r.role_arn IS NOT NULL
GROUP BY r.account_id, r.role_arn
HAVING count(DISTINCT r.component) >= max(p.roles_shared_min_components)
