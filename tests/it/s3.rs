//! `scan` against a real S3 API (moto's server, on loopback, started here from the
//! `.venv` that scripts/test prepares): the listing plan, reading, writing the lake
//! back to S3 with SSE-KMS, and credential errors.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, OnceLock};

use arrow::array::RecordBatch;
use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::{inflate, repo, walk};

/// A moto server for this test process; it exits when our end of its stdin closes.
pub struct Moto {
    pub endpoint: String,
    log: PathBuf,
    _child: Child,
    _stdin: ChildStdin,
}

fn python() -> PathBuf {
    repo().join(".venv/bin/python")
}

fn start_moto(extra_env: &[(&str, &str)]) -> Option<Moto> {
    start_server(&[repo().join("tests/s3/moto_server.py").to_string_lossy().as_ref()], extra_env)
}

/// Starts a loopback server script that prints `PORT <n>` and exits with its stdin.
fn start_server(args: &[&str], extra_env: &[(&str, &str)]) -> Option<Moto> {
    let has_moto = Command::new(python()).args(["-c", "import moto.server, boto3"]).output().is_ok_and(|o| o.status.success());
    if !has_moto {
        assert!(
            std::env::var_os("TRAILHOUND_REQUIRE_S3").is_none(),
            "TRAILHOUND_REQUIRE_S3 is set but .venv has no moto: run scripts/test"
        );
        eprintln!("SKIPPED: no moto in .venv (scripts/test installs it)");
        return None;
    }
    static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let log = std::env::temp_dir().join(format!("trailhound-server-{}-{n}.log", std::process::id()));
    let mut child = Command::new(python())
        .args(args)
        .envs(extra_env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("moto log"))
        .spawn()
        .expect("start moto");
    let stdin = child.stdin.take().expect("stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("moto port");
    let port = line.trim().strip_prefix("PORT ").unwrap_or_else(|| panic!("{args:?} said {line:?}"));
    Some(Moto { endpoint: format!("http://127.0.0.1:{port}"), log, _child: child, _stdin: stdin })
}

pub fn moto() -> Option<&'static Moto> {
    static MOTO: OnceLock<Option<Moto>> = OnceLock::new();
    MOTO.get_or_init(|| start_moto(&[])).as_ref()
}

impl Moto {
    pub fn util(&self, args: &[&str]) -> String {
        let out = Command::new(python())
            .arg(repo().join("tests/s3/s3util.py"))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .expect("s3util");
        assert!(out.status.success(), "s3util {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf8").trim().to_string()
    }

    pub fn store(&self, bucket: &str) -> Arc<dyn ObjectStore> {
        Arc::new(
            AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_endpoint(&self.endpoint)
                .with_region("us-east-1")
                .with_access_key_id("testing")
                .with_secret_access_key("testing")
                .with_client_options(ClientOptions::new().with_allow_http(true))
                .build()
                .expect("test store"),
        )
    }

    /// The `prefix=` of every LIST request on `bucket` so far.
    pub fn list_prefixes(&self, bucket: &str) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).expect("moto log");
        log.lines()
            .filter(|l| l.contains(&format!("GET /{bucket}?")) && l.contains("list-type=2"))
            .map(|l| {
                let query = l.split_once('?').map(|(_, q)| q).unwrap_or("");
                let prefix = query.split('&').find_map(|p| p.strip_prefix("prefix=")).unwrap_or("");
                prefix.split(' ').next().unwrap_or("").replace("%2F", "/")
            })
            .collect()
    }

    fn scan(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_trailhound"))
            .arg("scan")
            .args(args)
            .args(["--endpoint-url", &self.endpoint])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env.iter().copied())
            .output()
            .expect("run trailhound")
    }
}

const KEYS: &[(&str, &str)] = &[("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")];

/// Copies testdata/sample-trail into `bucket` under `prefix/`.
async fn upload_sample(store: &Arc<dyn ObjectStore>, prefix: &str) {
    let root = repo().join("testdata/sample-trail");
    for path in walk(&root) {
        let rel = path.strip_prefix(&root).expect("under root").to_string_lossy().replace('\\', "/");
        if rel.starts_with('_') {
            continue;
        }
        let body = std::fs::read(&path).expect("read");
        store.put(&Path::from(format!("{prefix}/{rel}")), PutPayload::from(body)).await.expect("upload");
    }
}

async fn read_lake(store: &Arc<dyn ObjectStore>, prefix: &str, table: &str) -> Vec<(String, RecordBatch)> {
    let metas: Vec<_> = store.list(Some(&Path::from(format!("{prefix}/{table}")))).try_collect().await.expect("list lake");
    let mut out = Vec::new();
    for meta in metas {
        let key = meta.location.to_string();
        let bytes = store.get(&meta.location).await.expect("get").bytes().await.expect("bytes");
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).expect("parquet").build().expect("reader");
        for batch in reader {
            out.push((key.clone(), batch.expect("batch")));
        }
    }
    out
}

/// Records of the sample trail on `day`, optionally only one account's and region's.
fn sample_records(day: &str, account_region: Option<(&str, &str)>) -> usize {
    let mut n = 0;
    for path in walk(&repo().join("testdata/sample-trail/AWSLogs")) {
        let key = path.to_string_lossy();
        if !key.contains("/CloudTrail/") {
            continue;
        }
        if let Some((account, region)) = account_region {
            if !key.contains(&format!("/{account}/CloudTrail/{region}/")) {
                continue;
            }
        }
        let doc: Value = serde_json::from_slice(&inflate(&std::fs::read(&path).expect("read"))).expect("json");
        n += doc["Records"].as_array().expect("Records").iter().filter(|r| r["eventTime"].as_str().is_some_and(|t| t.starts_with(day))).count();
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_scan_lists_only_the_needed_prefixes_and_writes_an_encrypted_lake() {
    let Some(moto) = moto() else { return };
    moto.util(&["mkbucket", "plan-src"]);
    moto.util(&["mkbucket", "plan-lake"]);
    let key = moto.util(&["mkkey"]);
    let src = moto.store("plan-src");
    upload_sample(&src, "org").await;

    let out = moto.scan(
        &["s3://plan-src/org/AWSLogs", "--date", "2026-11-25", "--accounts", "111122223333", "--regions", "us-east-1",
          "--out", "s3://plan-lake/lake", "--kms-key-id", &key],
        KEYS,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // Exactly: AWSLogs/ (to find the organisation id), then the 25th and the 26th (late
    // deliveries) of the one account and region.
    let mut prefixes = moto.list_prefixes("plan-src");
    prefixes.sort();
    assert_eq!(
        prefixes,
        [
            "org/AWSLogs/",
            "org/AWSLogs/o-sample1234/111122223333/CloudTrail/us-east-1/2026/11/25/",
            "org/AWSLogs/o-sample1234/111122223333/CloudTrail/us-east-1/2026/11/26/",
        ],
        "LIST requests"
    );

    let lake = moto.store("plan-lake");
    let batches = read_lake(&lake, "lake", "cloudtrail").await;
    let rows: usize = batches.iter().map(|(_, b)| b.num_rows()).sum();
    assert_eq!(rows, sample_records("2026-11-25", Some(("111122223333", "us-east-1"))));
    assert!(rows > 100);
    assert!(batches.iter().all(|(k, _)| k.starts_with("lake/cloudtrail/dt=2026-11-25/")));

    let all_runs: Vec<object_store::ObjectMeta> = lake.list(Some(&Path::from("lake/_runs"))).try_collect().await.expect("runs");
    let (detect_runs, runs): (Vec<_>, Vec<_>) = all_runs.into_iter().partition(|m| m.location.as_ref().ends_with(".detect.json"));
    assert_eq!(runs.len(), 1);
    assert_eq!(detect_runs.len(), 1, "the detections ran over the S3 lake and recorded it there");
    let manifest: Value = serde_json::from_slice(&lake.get(&runs[0].location).await.expect("get").bytes().await.expect("bytes")).expect("json");
    assert_eq!(manifest["totals"]["list_calls"].as_u64(), Some(3));
    assert_eq!(manifest["totals"]["rows_written"].as_u64(), Some(rows as u64));

    // SSE-KMS with the customer-managed key on what was written (data files are moved
    // from staging at the commit: the copy keeps the key).
    for object in [batches[0].0.clone(), runs[0].location.to_string(), detect_runs[0].location.to_string()] {
        let head: Value = serde_json::from_str(&moto.util(&["head", "plan-lake", &object])).expect("head json");
        assert_eq!(head["ServerSideEncryption"], "aws:kms", "{object}: {head}");
        assert_eq!(head["SSEKMSKeyId"], Value::from(key.as_str()), "{object}: {head}");
    }

    // The same night again: the same rows, in new keys; the old files are gone, nothing
    // is left in staging and the lock is released.
    let again = moto.scan(
        &["s3://plan-src/org/AWSLogs", "--date", "2026-11-25", "--accounts", "111122223333", "--regions", "us-east-1",
          "--out", "s3://plan-lake/lake", "--kms-key-id", &key, "--no-detect"],
        KEYS,
    );
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
    let rerun = read_lake(&lake, "lake", "cloudtrail").await;
    assert_eq!(rerun.iter().map(|(_, b)| b.num_rows()).sum::<usize>(), rows, "a re-run doubles nothing");
    let old: std::collections::BTreeSet<&str> = batches.iter().map(|(k, _)| k.as_str()).collect();
    assert!(rerun.iter().all(|(k, _)| !old.contains(k.as_str())), "new keys only; the superseded file is deleted");
    let leftovers: Vec<_> = lake.list(Some(&Path::from("lake/_staging"))).try_collect().await.expect("list staging");
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(lake.head(&Path::from("lake/_runs/_lock")).await.is_err(), "the lock is released");
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_scan_discovers_accounts_regions_and_access_logs() {
    let Some(moto) = moto() else { return };
    moto.util(&["mkbucket", "disc-src"]);
    moto.util(&["mkbucket", "disc-lake"]);
    let src = moto.store("disc-src");
    upload_sample(&src, "all").await;
    let out = moto.scan(&["s3://disc-src/all", "--date", "2026-11-25", "--out", "s3://disc-lake/x"], KEYS);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let lake = moto.store("disc-lake");
    let rows: usize = read_lake(&lake, "x", "cloudtrail").await.iter().map(|(_, b)| b.num_rows()).sum();
    assert_eq!(rows, sample_records("2026-11-25", None));
    let access: usize = read_lake(&lake, "x", "s3_access").await.iter().map(|(_, b)| b.num_rows()).sum();
    let expected: Value = serde_json::from_slice(&std::fs::read(repo().join("testdata/sample-trail/_expected.json")).expect("read")).expect("json");
    assert_eq!(access as u64, expected["s3_access"]["lines_by_day"]["2026-11-25"].as_u64().expect("count"));
    // Never a listing of the digest or Insights folders, nor of other days.
    let prefixes = moto.list_prefixes("disc-src");
    assert!(prefixes.iter().all(|p| !p.contains("CloudTrail-Digest") && !p.contains("CloudTrail-Insight")), "{prefixes:?}");
    assert!(prefixes.iter().all(|p| !p.contains("/2026/11/24/")), "{prefixes:?}");
}

#[test]
fn s3_missing_credentials_are_one_clear_error() {
    let Some(moto) = moto() else { return };
    let started = std::time::Instant::now();
    let out = moto.scan(&["s3://nobucket-x/y", "--out", "/tmp/unused-trailhound"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    assert!(started.elapsed().as_secs() < 10);

    let out = moto.scan(&["s3://nobucket-x/y", "--out", "/tmp/unused-trailhound"], &[("AWS_PROFILE", "nope"), ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("profile nope") && stderr.contains("is in neither"), "{stderr}");
}

#[test]
fn s3_rejected_credentials_are_one_clear_error_without_retry_storms() {
    // A second server that checks credentials: none exist, so every key is wrong.
    let Some(strict) = start_moto(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]) else { return };
    let started = std::time::Instant::now();
    let out = strict.scan(&["s3://any-bucket/prefix", "--out", "/tmp/unused-trailhound"], KEYS);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("credentials for s3://any-bucket/prefix: S3 refused the request"), "{stderr}");
    assert_eq!(stderr.lines().filter(|l| l.starts_with("error:")).count(), 1, "{stderr}");
    assert!(started.elapsed().as_secs() < 10, "no retry storm: {:?}", started.elapsed());
    assert_eq!(strict.list_prefixes("any-bucket").len(), 1, "a 403 is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_named_profiles_provide_credentials() {
    let Some(moto) = moto() else { return };
    moto.util(&["mkbucket", "profile-src"]);
    let src = moto.store("profile-src");
    upload_sample(&src, "p").await;
    let dir = tempfile::tempdir().expect("tmp");
    let credentials = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(&credentials, "[static]\naws_access_key_id = testing\naws_secret_access_key = testing\n").expect("write");
    std::fs::write(
        &config,
        "[profile proc]\nregion = us-east-1\ncredential_process = printf '{\"Version\":1,\"AccessKeyId\":\"testing\",\"SecretAccessKey\":\"testing\"}'\n",
    )
    .expect("write");
    for profile in ["static", "proc"] {
        let out_dir = dir.path().join(profile);
        let out = moto.scan(
            &["s3://profile-src/p/AWSLogs", "--date", "2026-11-24", "--regions", "eu-west-1", "--out", out_dir.to_str().expect("utf8")],
            &[("AWS_PROFILE", profile), ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().expect("utf8")), ("AWS_CONFIG_FILE", config.to_str().expect("utf8"))],
        );
        assert_eq!(out.status.code(), Some(0), "{profile}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(walk(&out_dir.join("cloudtrail")).iter().any(|p| p.to_string_lossy().ends_with(".parquet")), "{profile}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_faults_are_retried_then_reported_per_object() {
    let Some(moto) = moto() else { return };
    moto.util(&["mkbucket", "fault-src"]);
    upload_sample(&moto.store("fault-src"), "f").await;
    let day = repo().join("testdata/sample-trail/AWSLogs/o-sample1234/111122223333/CloudTrail/us-east-1/2026/11/25");
    let mut names: Vec<String> = walk(&day).iter().map(|p| p.file_name().expect("name").to_string_lossy().into_owned()).collect();
    names.sort();
    let [slow, broken, gone, reset, stall, cut, short] = std::array::from_fn(|i| names[i].clone());
    let rules = serde_json::json!([
        {"key": slow, "fault": "slowdown", "times": 2},
        {"key": broken, "fault": "error500", "times": 1000},
        {"key": gone, "fault": "delete", "times": 1},
        {"key": reset, "fault": "reset", "times": 2},
        {"key": stall, "fault": "stall", "seconds": 4, "times": 1},
        {"key": cut, "fault": "truncate", "times": 1},
        {"key": short, "fault": "short", "times": 1000},
    ]);
    let dir = tempfile::tempdir().expect("tmp");
    let rules_file = dir.path().join("rules.json");
    std::fs::write(&rules_file, rules.to_string()).expect("rules");
    let proxy = start_server(
        &[repo().join("tests/s3/fault_proxy.py").to_str().expect("utf8"), &moto.endpoint, rules_file.to_str().expect("utf8")],
        &[],
    )
    .expect("proxy");

    // Credentials that must never be written anywhere, even with every log on.
    const SECRET: &str = "faultSecretMustNotAppear0123456789abcdef";
    const TOKEN: &str = "faultSessionTokenMustNotAppear0123456789";
    let out = dir.path().join("lake");
    let started = std::time::Instant::now();
    let result = Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["scan", "s3://fault-src/f/AWSLogs", "--date", "2026-11-25", "--accounts", "111122223333", "--regions", "us-east-1"])
        .args(["--max-retries", "3", "--s3-timeout", "1", "--endpoint-url", &proxy.endpoint, "--out", out.to_str().expect("utf8")])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("TRAILHOUND_LOG", "trace")
        .env("AWS_ACCESS_KEY_ID", "AKIAFAULTTEST0000001")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(3), "finished with rejects: {}", &stderr[stderr.len().saturating_sub(4000)..]);
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());

    let runs: Vec<_> = walk(&out.join("_runs")).into_iter().filter(|p| !p.to_string_lossy().ends_with(".detect.json")).collect();
    let manifest: Value = serde_json::from_slice(&std::fs::read(&runs[0]).expect("manifest")).expect("json");
    let object = |name: &str| -> Value {
        manifest["objects"].as_array().expect("objects").iter().find(|o| o["key"].as_str().is_some_and(|k| k.ends_with(name))).cloned().unwrap_or_else(|| panic!("{name} not in the manifest"))
    };
    let records_in = |name: &str| -> u64 {
        let doc: Value = serde_json::from_slice(&inflate(&std::fs::read(day.join(name)).expect("sample file"))).expect("json");
        doc["Records"].as_array().expect("records").len() as u64
    };
    for (name, why) in [(&slow, "two SlowDowns"), (&reset, "two resets"), (&stall, "a stalled request"), (&cut, "a body cut short")] {
        let o = object(name);
        assert_eq!(o["status"], "decoded", "{why}, then a success: {o}");
        assert_eq!(o["records_read"].as_u64(), Some(records_in(name)), "{why}: every record read once");
    }
    let reason = |name: &str| object(name)["reason"].as_str().unwrap_or("").to_string();
    assert_eq!(object(&broken)["status"], "failed", "{}", object(&broken));
    assert!(reason(&broken).contains("InternalError"), "{}", reason(&broken));
    assert_eq!(object(&gone)["status"], "failed", "{}", object(&gone));
    assert!(reason(&gone).contains("deleted before it was read"), "{}", reason(&gone));
    assert_eq!(object(&short)["status"], "failed", "{}", object(&short));
    assert!(reason(&short).contains("cut short"), "{}", reason(&short));
    for name in [&broken, &gone, &short] {
        assert!(stderr.contains(&format!("failed: s3://fault-src/f/AWSLogs/o-sample1234/111122223333/CloudTrail/us-east-1/2026/11/25/{name}")), "{name} is named");
    }
    assert_eq!(manifest["totals"]["objects_failed"], 3);
    let mut read = 0;
    for o in manifest["objects"].as_array().expect("objects") {
        let n = |k: &str| o[k].as_u64().expect(k);
        assert_eq!(n("records_read"), n("rows_written") + n("rows_quarantined") + n("rows_out_of_range") + n("rows_filtered"), "{o}");
        read += n("records_read");
    }
    assert_eq!(manifest["totals"]["records_read"].as_u64(), Some(read));
    let quarantine: String = walk(&out.join("_quarantine")).iter().map(|p| std::fs::read_to_string(p).expect("quarantine")).collect();
    assert_eq!(quarantine.lines().count(), 3, "one entry per failed object: {quarantine}");

    // Retries, as the proxy saw them: 2 faults + 1 success; 1 + 3 retries for the 500s;
    // a 404 is final; a stalled request is abandoned after --s3-timeout and sent again;
    // a cut body is resumed from where it stopped with a range request.
    let log = std::fs::read_to_string(&proxy.log).expect("proxy log");
    let gets = |name: &str| log.lines().filter(|l| l.starts_with("GET ") && l.contains(name)).count();
    assert_eq!(gets(&slow), 3, "{log}");
    assert_eq!(gets(&broken), 4, "{log}");
    assert_eq!(gets(&gone), 1, "{log}");
    assert_eq!(gets(&reset), 3, "{log}");
    assert_eq!(gets(&stall), 2, "{log}");
    assert_eq!(gets(&cut), 2, "{log}");
    assert_eq!(gets(&short), 1, "{log}");

    // Nothing the run wrote holds the secret key or the session token.
    let mut written = stderr.to_string();
    for path in walk(&out) {
        written.push_str(&String::from_utf8_lossy(&std::fs::read(path).expect("lake file")));
    }
    assert!(!written.contains(SECRET) && !written.contains(TOKEN), "credentials leaked into the logs or the lake");
    assert!(stderr.len() > 10_000, "trace logging was on: {} bytes", stderr.len());
}

#[test]
fn s3_object_keys_cannot_steer_where_the_lake_is_written() {
    let Some(moto) = moto() else { return };
    moto.util(&["mkbucket", "odd-keys"]);
    let file = walk(&repo().join("testdata/real-trail")).into_iter().find(|p| p.to_string_lossy().ends_with(".json.gz")).expect("a real log file");
    let records = {
        let doc: Value = serde_json::from_slice(&inflate(&std::fs::read(&file).expect("file"))).expect("json");
        doc["Records"].as_array().expect("records").len() as u64
    };
    // Keys an attacker who can write to the trail bucket might choose: traversal
    // spelled every way S3 allows, absolute and Windows paths, odd bytes.
    let keys = [
        "odd/..%2F..%2F..%2Fescape.json.gz",
        "odd/back\\slash\\..\\..\\..\\evil.json.gz",
        "odd/C:\\Windows\\System32\\x.json.gz",
        "odd/\u{2025}\u{2215}\u{2025}\u{2215}lookalike.json.gz",
        "odd/sp ace/ünï cödé/日本語.json.gz",
        "odd/..json.gz",
        "odd/%00nul%2e%2e.json.gz",
        "odd/~/$HOME/`id`/x.json.gz",
    ];
    // Keys object_store cannot represent (an empty segment, a `..` segment, a control
    // character): each is reported as failed, by its exact key, and the rest is read.
    let unreadable = ["odd/x//double-slash.json.gz", "odd/../up.json.gz", "odd/ctl\u{1}.json.gz"];
    for key in keys.iter().chain(&unreadable) {
        moto.util(&["put", "odd-keys", key, file.to_str().expect("utf8")]);
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("inner/lake");
    let result = moto.scan(&["s3://odd-keys/odd", "--out", out.to_str().expect("utf8"), "--no-detect"], KEYS);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(3), "finished, with the unreadable keys failed: {stderr}");

    // Everything written is under --out, and only the lake's own names are used.
    for path in walk(tmp.path()) {
        let rel = path.strip_prefix(&out).unwrap_or_else(|_| panic!("{} is outside --out", path.display()));
        let top = rel.components().next().expect("a component").as_os_str().to_string_lossy().into_owned();
        assert!(["cloudtrail", "_runs", "_ledger", "_quarantine"].contains(&top.as_str()), "{}", rel.display());
        assert!(rel.to_string_lossy().chars().all(|c| c.is_ascii_alphanumeric() || "/_-=.".contains(c)), "{}", rel.display());
    }
    // Each key is read once, named exactly, and all its records written.
    let runs: Vec<_> = walk(&out.join("_runs")).into_iter().filter(|p| !p.to_string_lossy().ends_with(".detect.json")).collect();
    let manifest: Value = serde_json::from_slice(&std::fs::read(&runs[0]).expect("manifest")).expect("json");
    let objects = manifest["objects"].as_array().expect("objects");
    let failed: Vec<&Value> = objects.iter().filter(|o| o["status"] == "failed").collect();
    let mut named: Vec<String> = objects.iter().filter(|o| o["status"] != "failed").map(|o| o["key"].as_str().expect("key").to_string()).collect();
    named.sort();
    let failed_keys: Vec<&str> = failed.iter().map(|o| o["key"].as_str().expect("key")).collect();
    let mut want_failed: Vec<String> = unreadable.iter().map(|k| format!("s3://odd-keys/{k}")).collect();
    want_failed.sort();
    let mut failed_keys: Vec<String> = failed_keys.iter().map(|k| k.to_string()).collect();
    failed_keys.sort();
    assert_eq!(failed_keys, want_failed, "each unreadable key is named exactly");
    assert!(failed.iter().all(|o| o["reason"].as_str().is_some_and(|r| r.starts_with("the key cannot be read"))), "{failed:?}");
    assert!(stderr.contains("failed: s3://odd-keys/odd/x//double-slash.json.gz: the key cannot be read"), "{stderr}");
    // Names starting with a dot are hidden files: not read, but counted.
    let hidden = |k: &&str| k.rsplit('/').next().is_some_and(|n| n.starts_with('.'));
    let mut want: Vec<String> = keys.iter().filter(|k| !hidden(k)).map(|k| format!("s3://odd-keys/{k}")).collect();
    want.sort();
    assert_eq!(named, want);
    assert_eq!(manifest["totals"]["files_ignored"].as_u64(), Some(keys.iter().filter(|k| hidden(k)).count() as u64));
    assert_eq!(manifest["totals"]["rows_written"].as_u64(), Some(records * want.len() as u64));
}
