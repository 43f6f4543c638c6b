//! Agreement with the labelled events of the shared corpus: Panther's rule tests
//! (`panther-analysis/labels.jsonl`) and Stratus Red Team detonations (one technique per
//! file). Each Panther rule that one of ours covers is paired with it; every labelled
//! event is run through our rule alone and the verdicts compared. Every Stratus
//! detonation file is run through every paired rule: a rule must fire on the files of
//! its techniques and stay silent on the others. Known, explained disagreements are
//! listed; a listed disagreement that starts agreeing fails too, so the list stays true.

use std::collections::BTreeMap;

use serde_json::Value;
use trailhound::detect::fixtures::{decode_bytes, run_on_memory};
use trailhound::detect::{DetectionSet, RunWindow, SiteConfig};

use crate::{inflate, shared_corpus};

/// Panther rule id -> our detection, and thresholds lowered to 1 where ours aggregates
/// (Panther's tests are single events; the per-event logic is what they check).
const PANTHER: &[(&str, &str, bool)] = &[
    ("AWS.Bedrock.DeleteModelInvocationLoggingConfiguration", "bedrock_invocation_logging_changed", false),
    ("AWS.Bedrock.GuardrailUpdateDelete", "bedrock_guardrail_deleted_or_weakened", false),
    ("AWS.CloudTrail.Stopped", "cloudtrail_logging_stopped", false),
    ("AWS.CloudTrail.EventSelectorsDisabled", "cloudtrail_logging_stopped", false),
    ("AWS.ConfigService.DisabledDeleted", "security_monitoring_disabled", false),
    ("AWS.Console.LoginWithoutMFA", "console_login_without_mfa", false),
    ("AWS.Console.RootLogin", "root_activity", false),
    ("AWS.Console.RootLoginFailed", "root_console_login_failures", true),
    ("AWS.Root.Activity", "root_activity", false),
    ("AWS.CloudTrail.RootAccessKeyCreated", "iam_access_key_created_for_other_user", false),
    ("AWS.IAM.Backdoor.User.Keys", "iam_access_key_created_for_other_user", false),
    ("AWS.IAM.AttachAdminRolePolicy", "iam_admin_policy_attached", false),
    ("AWS.IAM.AttachAdminUserPolicy", "iam_admin_policy_attached", false),
    ("AWS.IAMUser.ReconAccessDenied", "access_denied_burst", true),
    ("AWS.CloudTrail.UnauthorizedAPICall", "access_denied_burst", true),
    ("AWS.KMS.CustomerManagedKeyLoss", "kms_key_disabled_or_deleted", false),
    ("AWS.EC2.EBS.Encryption.Disabled", "ebs_default_encryption_disabled", false),
    ("AWS.EC2.LaunchUnusualEC2Instances", "ec2_gpu_instance_launch", false),
    ("AWS.S3.DeleteBucketEncryption", "s3_bucket_protection_removed", false),
    ("AWS.S3.DeletePublicAccessBlock", "s3_bucket_protection_removed", false),
    ("AWS.S3.DisableBucketLogging", "s3_bucket_protection_removed", false),
    ("AWS.SecretsManager.RetrieveSecrets", "secrets_bulk_retrieval", true),
    ("AWS.SecretsManager.BatchRetrieveSecrets", "secrets_bulk_retrieval", true),
];

/// Stratus technique -> the detections that must fire on its detonation log.
const STRATUS: &[(&str, &[&str])] = &[
    ("aws.defense-evasion.cloudtrail-stop", &["cloudtrail_logging_stopped"]),
    ("aws.defense-evasion.cloudtrail-delete", &["cloudtrail_logging_stopped"]),
    ("aws.defense-evasion.cloudtrail-event-selectors", &["cloudtrail_logging_stopped"]),
    ("aws.defense-evasion.vpc-remove-flow-logs", &["security_monitoring_disabled"]),
    ("aws.initial-access.console-login-without-mfa", &["console_login_without_mfa"]),
    ("aws.credential-access.secretsmanager-retrieve-secrets", &["secrets_bulk_retrieval"]),
    ("aws.credential-access.secretsmanager-batch-retrieve-secrets", &["secrets_bulk_retrieval"]),
    ("aws.execution.ec2-launch-unusual-instances", &["ec2_gpu_instance_launch"]),
    ("aws.persistence.iam-backdoor-user", &["iam_access_key_created_for_other_user"]),
    // The detonation attaches AdministratorAccess and creates a key for the new user (row 48).
    ("aws.persistence.iam-create-admin-user", &["iam_admin_policy_attached", "iam_access_key_created_for_other_user"]),
    // AttachRolePolicy with AdministratorAccess, the event Panther's AttachAdminRolePolicy labels true.
    ("aws.persistence.iam-create-backdoor-role", &["iam_admin_policy_attached"]),
    ("aws.persistence.iam-backdoor-role", &["iam_role_trust_policy_changed"]),
    ("aws.impact.bedrock-invoke-model", &["bedrock_model_access_enabled", "bedrock_llmjacking_recon"]),
];

/// (source, test or file, rule) -> why we disagree with the label, on purpose.
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str)] = &[
    // Panther mocks its account-age helper to call this user new and stays silent; the
    // event is the same as its positive IAM-user case, so ours fires.
    ("panther", "No MFA Login - New User", "console_login_without_mfa"),
];

fn one_event_lake(event: &Value) -> Option<(trailhound::detect::lake::MemoryLake, RunWindow)> {
    let doc = serde_json::json!({ "Records": [event] });
    let lake = decode_bytes("label", doc.to_string().as_bytes()).ok()?;
    let days = lake.days();
    let (first, last) = (*days.first()?, *days.last()?);
    Some((lake, RunWindow { start_ms: first * 86_400_000, end_ms: (last + 1) * 86_400_000, history_days_available: 0 }))
}

fn config(lower_thresholds: bool) -> SiteConfig {
    let mut c = SiteConfig::default();
    if lower_thresholds {
        for (name, _, _) in trailhound::detect::config::DEFAULT_THRESHOLDS {
            c.thresholds.insert(name.to_string(), 1);
        }
    }
    c
}

type LabelId = (String, String, String);

/// Counts one verdict in `row` ([agree, disagree, no time, known]); a disagreement not
/// listed as known, or a known one that agrees now, is a problem.
fn tally(
    row: &mut [usize; 4],
    agrees: bool,
    id: LabelId,
    known: &BTreeMap<LabelId, &str>,
    seen_known: &mut Vec<LabelId>,
    problems: &mut Vec<String>,
    what: String,
) {
    match (agrees, known.contains_key(&id)) {
        (true, false) => row[0] += 1,
        (false, true) => {
            row[3] += 1;
            seen_known.push(id);
        }
        (false, false) => {
            row[1] += 1;
            problems.push(what);
        }
        (true, true) => problems.push(format!("{what}: listed as a known disagreement but agrees now")),
    }
}

#[test]
fn panther_and_stratus_labels_agree() {
    let Some(corpus) = shared_corpus() else { return };
    let pack = DetectionSet::builtin().expect("pack");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let known: BTreeMap<(String, String, String), &str> =
        KNOWN_DISAGREEMENTS.iter().map(|(s, t, r)| ((s.to_string(), t.to_string(), r.to_string()), "")).collect();
    let mut table: BTreeMap<String, [usize; 4]> = BTreeMap::new(); // rule -> [agree, disagree, skipped (no time), known]
    let mut problems = Vec::new();
    let mut seen_known = Vec::new();

    let labels = std::fs::read_to_string(corpus.join("cloudtrail/panther-analysis/labels.jsonl")).expect("labels");
    let mut files: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in labels.lines() {
        let label: Value = serde_json::from_str(line).expect("label");
        let rule_id = label["rule_id"].as_str().unwrap_or_default();
        let Some((_, ours, lower)) = PANTHER.iter().find(|(p, _, _)| *p == rule_id) else { continue };
        let file = label["event_file"].as_str().expect("event_file").to_string();
        let records = files.entry(file.clone()).or_insert_with(|| {
            let doc: Value = serde_json::from_slice(&inflate(&std::fs::read(corpus.join(&file)).expect("event file"))).expect("json");
            doc["Records"].as_array().cloned().unwrap_or_default()
        });
        let event = &records[label["event_index"].as_u64().expect("index") as usize];
        let key = format!("{rule_id} -> {ours}");
        let row = table.entry(key).or_default();
        let Some((lake, window)) = one_event_lake(event) else {
            row[2] += 1;
            continue;
        };
        let set = pack.clone().select(&[ours.to_string()]).expect("paired rule exists");
        let fired = !runtime.block_on(run_on_memory(&set, &config(*lower), &window, &lake)).expect("runs").findings.is_empty();
        let expected = label["expected"].as_bool().expect("expected");
        let test = label["test_name"].as_str().unwrap_or_default().to_string();
        let id = ("panther".to_string(), test.clone(), ours.to_string());
        let what = format!("panther {rule_id} {test:?} / {ours}: expected {expected}, fired {fired}");
        tally(row, fired == expected, id, &known, &mut seen_known, &mut problems, what);
    }

    let stratus_dir = corpus.join("cloudtrail/stratus-red-team-detonation-logs");
    let mut rules: Vec<&str> = STRATUS.iter().flat_map(|(_, r)| r.iter().copied()).collect();
    rules.sort();
    rules.dedup();
    for path in crate::walk(&stratus_dir) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().trim_end_matches(".json.gz").to_string();
        let lake = decode_bytes(&name, &std::fs::read(&path).expect("file")).expect("decodes");
        let days = lake.days();
        let window = RunWindow {
            start_ms: days[0] * 86_400_000,
            end_ms: (days[days.len() - 1] + 1) * 86_400_000,
            history_days_available: 0,
        };
        let expected: &[&str] = STRATUS.iter().find(|(t, _)| *t == name).map_or(&[], |(_, r)| r);
        for rule in &rules {
            let set = pack.clone().select(&[rule.to_string()]).expect("paired rule exists");
            let fired = !runtime.block_on(run_on_memory(&set, &SiteConfig::default(), &window, &lake)).expect("runs").findings.is_empty();
            let want = expected.contains(rule);
            let row = table.entry(format!("stratus -> {rule}")).or_default();
            let id = ("stratus".to_string(), name.clone(), rule.to_string());
            let what = format!("stratus {name} / {rule}: expected {want}, fired {fired}");
            tally(row, fired == want, id, &known, &mut seen_known, &mut problems, what);
        }
    }
    eprintln!("{:<90} agree disagree no-time known", "labels -> rule");
    for (k, [a, d, s, kn]) in &table {
        eprintln!("{k:<90} {a:>5} {d:>8} {s:>7} {kn:>5}");
    }
    for id in known.keys() {
        assert!(seen_known.contains(id), "known disagreement {id:?} was never evaluated");
    }
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
}
