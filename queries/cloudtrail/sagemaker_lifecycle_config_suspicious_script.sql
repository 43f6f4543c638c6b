-- id: sagemaker_lifecycle_config_suspicious_script
-- title: SageMaker lifecycle configuration with a suspicious script
-- severity: high
-- technique: T1546
-- guidance: G4
-- catalogue: 8
-- description: A notebook instance lifecycle configuration was created or updated
--   (CreateNotebookInstanceLifecycleConfig, UpdateNotebookInstanceLifecycleConfig), or a
--   Studio lifecycle configuration created, with a script that, base64-decoded,
--   contains a reverse shell (/dev/tcp/, nc -e), instance-metadata credential access
--   (169.254.169.254), download-and-execute (piping into sh or bash), base64 -d
--   payload decoding, a cryptominer (xmrig, stratum+) or persistence
--   (authorized_keys, crontab). Lifecycle scripts run as root with the notebook's
--   execution role at every start (T1546, T1059.004). The first three entries of
--   onStart and onCreate are decoded (the API allows one each) and the Studio
--   studioLifecycleConfigContent; the evidence names the indicators found. CloudTrail
--   is expected to log the content as sent (base64; Elastic's rule for the same events
--   decodes it), but AWS does not document it and may redact it: a value that is not
--   valid base64 (HIDDEN_DUE_TO_SECURITY_REASONS, a truncated value, a requestParameters
--   omitted for size) is not decoded, the call cannot fail on it, and the rule stays
--   silent for that event; sagemaker_lifecycle_config_swap still sees the swap.
--   AWSService callers are excluded.
-- false_positives: Administrative scripts that install an auto-stop cron job (the AWS
--   auto-stop-idle sample uses crontab), add SSH keys for a bastion, or pipe a vendor
--   installer into bash.
SELECT
  l.eventtime_ts AS window_start,
  l.eventtime_ts AS window_end,
  l.account_id,
  l.region,
  l.principal_arn,
  l.source_ip,
  l.user_agent,
  CAST(1 AS bigint) AS event_count,
  ARRAY[l.eventid] AS event_ids,
  l.config_name AS resource,
  MAP(
    ARRAY['event_name', 'indicators', 'script_excerpt', 'script_length'],
    ARRAY[l.eventname,
          array_join(ARRAY[
            CASE WHEN regexp_like(l.script_lc, '/dev/(tcp|udp)/|\bnc(at)?\s+(-[a-z]*\s+)*-e\s') THEN 'reverse_shell' END,
            CASE WHEN regexp_like(l.script_lc, '169\.254\.169\.254') THEN 'imds' END,
            CASE WHEN regexp_like(l.script_lc, '\|\s*(sudo\s+)?(ba|z|da)?sh\b') THEN 'pipe_to_shell' END,
            CASE WHEN regexp_like(l.script_lc, 'base64\s+(-d|--decode)') THEN 'base64_decode' END,
            CASE WHEN regexp_like(l.script_lc, 'xmrig|stratum\+') THEN 'miner' END,
            CASE WHEN regexp_like(l.script_lc, 'authorized_keys') THEN 'ssh_key' END,
            CASE WHEN regexp_like(l.script_lc, 'crontab') THEN 'crontab' END], ','),
          substr(l.script, 1, 1000),
          CAST(length(l.script) AS varchar)]
  ) AS evidence
FROM (
  SELECT d.*, lower(d.script) AS script_lc
  FROM (
    SELECT
      eventtime_ts,
      eventname,
      coalesce(recipientaccountid, useridentity.accountid) AS account_id,
      awsregion AS region,
      coalesce(useridentity.arn, useridentity.principalid) AS principal_arn,
      sourceipaddress AS source_ip,
      useragent AS user_agent,
      eventid,
      coalesce(json_extract_scalar(requestparameters, '$.notebookInstanceLifecycleConfigName'),
               json_extract_scalar(requestparameters, '$.studioLifecycleConfigName')) AS config_name,
      concat(
      CASE WHEN regexp_like(coalesce(coalesce(json_extract_scalar(requestparameters, '$.onStart[0].content'), json_extract_scalar(requestparameters, '$.onStart[0].Content')), '-'), '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$')
           THEN concat(coalesce(from_utf8(from_base64(coalesce(json_extract_scalar(requestparameters, '$.onStart[0].content'), json_extract_scalar(requestparameters, '$.onStart[0].Content')))), ''), ' ;; ') ELSE '' END,
      CASE WHEN regexp_like(coalesce(coalesce(json_extract_scalar(requestparameters, '$.onStart[1].content'), json_extract_scalar(requestparameters, '$.onStart[1].Content')), '-'), '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$')
           THEN concat(coalesce(from_utf8(from_base64(coalesce(json_extract_scalar(requestparameters, '$.onStart[1].content'), json_extract_scalar(requestparameters, '$.onStart[1].Content')))), ''), ' ;; ') ELSE '' END,
      CASE WHEN regexp_like(coalesce(coalesce(json_extract_scalar(requestparameters, '$.onStart[2].content'), json_extract_scalar(requestparameters, '$.onStart[2].Content')), '-'), '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$')
           THEN concat(coalesce(from_utf8(from_base64(coalesce(json_extract_scalar(requestparameters, '$.onStart[2].content'), json_extract_scalar(requestparameters, '$.onStart[2].Content')))), ''), ' ;; ') ELSE '' END,
      CASE WHEN regexp_like(coalesce(coalesce(json_extract_scalar(requestparameters, '$.onCreate[0].content'), json_extract_scalar(requestparameters, '$.onCreate[0].Content')), '-'), '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$')
           THEN concat(coalesce(from_utf8(from_base64(coalesce(json_extract_scalar(requestparameters, '$.onCreate[0].content'), json_extract_scalar(requestparameters, '$.onCreate[0].Content')))), ''), ' ;; ') ELSE '' END,
      CASE WHEN regexp_like(coalesce(coalesce(json_extract_scalar(requestparameters, '$.onCreate[1].content'), json_extract_scalar(requestparameters, '$.onCreate[1].Content')), '-'), '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$')
           THEN concat(coalesce(from_utf8(from_base64(coalesce(json_extract_scalar(requestparameters, '$.onCreate[1].content'), json_extract_scalar(requestparameters, '$.onCreate[1].Content')))), ''), ' ;; ') ELSE '' END,
      CASE WHEN regexp_like(coalesce(coalesce(json_extract_scalar(requestparameters, '$.onCreate[2].content'), json_extract_scalar(requestparameters, '$.onCreate[2].Content')), '-'), '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$')
           THEN concat(coalesce(from_utf8(from_base64(coalesce(json_extract_scalar(requestparameters, '$.onCreate[2].content'), json_extract_scalar(requestparameters, '$.onCreate[2].Content')))), ''), ' ;; ') ELSE '' END,
      CASE WHEN regexp_like(coalesce(json_extract_scalar(requestparameters, '$.studioLifecycleConfigContent'), '-'), '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$')
           THEN concat(coalesce(from_utf8(from_base64(json_extract_scalar(requestparameters, '$.studioLifecycleConfigContent'))), ''), ' ;; ') ELSE '' END) AS script
    FROM cloudtrail
    WHERE eventsource = 'sagemaker.amazonaws.com'
      AND eventname IN ('CreateNotebookInstanceLifecycleConfig', 'UpdateNotebookInstanceLifecycleConfig',
                        'CreateStudioLifecycleConfig')
      AND coalesce(errorcode, '') = ''
      AND coalesce(useridentity.type, '') <> 'AWSService'
  ) d
) l
WHERE regexp_like(l.script_lc, '(/dev/(tcp|udp)/|\bnc(at)?\s+(-[a-z]*\s+)*-e\s|169\.254\.169\.254|\|\s*(sudo\s+)?(ba|z|da)?sh\b|base64\s+(-d|--decode)|xmrig|stratum\+|authorized_keys|crontab)')
