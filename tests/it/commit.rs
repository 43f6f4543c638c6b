//! The commit protocol end to end: consecutive nightly runs over late deliveries,
//! re-runs, runs killed with SIGKILL at every step, the lock, forensic filters.
//!
//! The trail is generated here so that which events are late, and when each object
//! "arrives", is known exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{AsArray, RecordBatch};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{json, Value};

use crate::walk;

fn trailhound(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhound"));
    cmd.args(args).env_remove("TRAILHOUND_LOG").env_remove("TRAILHOUND_FAILPOINT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run trailhound")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

/// One generated source object: where it goes, when it is delivered, what it holds.
struct Object {
    /// Key under the source root.
    key: String,
    body: Vec<u8>,
    /// Event ids (CloudTrail) or request ids (access logs) with their UTC day.
    events: Vec<(String, String)>,
    /// Delivered after the first night's run.
    late: bool,
}

const ACCOUNT: &str = "111122223333";

fn cloudtrail_object(region: &str, folder: &str, stamp: &str, n: usize, times: &[&str], late: bool) -> Object {
    let (y, m, d) = (&folder[0..4], &folder[5..7], &folder[8..10]);
    let key = format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/{region}/{y}/{m}/{d}/{ACCOUNT}_CloudTrail_{region}_{stamp}_{:016}.json.gz",
        n
    );
    let mut records = Vec::new();
    let mut events = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let id = format!("{:08}-0000-4000-8000-{:012}", n, i);
        records.push(json!({
            "eventVersion": "1.09",
            "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": format!("arn:aws:iam::{ACCOUNT}:user/analyst"),
                             "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLE", "userName": "analyst"},
            "eventTime": t,
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "awsRegion": region,
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.17.0",
            "requestParameters": {"bucketName": "acme-ml-data", "key": format!("train/{n}/{i}.csv")},
            "responseElements": null,
            "eventID": id,
            "readOnly": true,
            "eventType": "AwsApiCall",
            "managementEvent": false,
            "recipientAccountId": ACCOUNT,
            "eventCategory": "Data"
        }));
        events.push((id, t[..10].to_string()));
    }
    let doc = serde_json::to_vec(&json!({ "Records": records })).expect("json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&doc).expect("gzip");
    Object { key, body: gz.finish().expect("gzip"), events, late }
}

fn access_log_object(name: &str, times: &[&str], late: bool) -> Object {
    let mut body = String::new();
    let mut events = Vec::new();
    for (i, t) in times.iter().enumerate() {
        // t: "25/Nov/2026:23:50:00"
        let id = format!("REQ{}{:04}", name.replace('-', ""), i);
        body.push_str(&format!(
            "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be acme-ml-models [{t} +0000] 198.51.100.40 \
             arn:aws:sts::{ACCOUNT}:assumed-role/ml-pipeline-role/i-0a4f2c9e71b3d5e68 {id} REST.GET.OBJECT models/m{i}.tar.gz \
             \"GET /models/m{i}.tar.gz HTTP/1.1\" 200 - 1024 1024 12 11 \"-\" \"aws-cli/2.17.0\" - \
             aGVsbG8gd29ybGQ= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader acme-ml-models.s3.us-east-1.amazonaws.com TLSv1.2 - -\n"
        ));
        let day = chrono::NaiveDateTime::parse_from_str(t, "%d/%b/%Y:%H:%M:%S").expect("time").format("%Y-%m-%d").to_string();
        events.push((id, day));
    }
    Object { key: format!("access/{name}"), body: body.into_bytes(), events, late }
}

/// Two days of a trail: the 25th, and the 26th whose folder also holds events of the
/// 25th, some delivered before the first nightly run (02:00 on the 26th), some after.
fn two_day_trail() -> Vec<Object> {
    let d25 = "2026-11-25";
    let d26 = "2026-11-26";
    vec![
        cloudtrail_object("us-east-1", d25, "20261125T0100Z", 1, &["2026-11-25T00:55:00Z", "2026-11-25T00:58:00Z"], false),
        cloudtrail_object("us-east-1", d25, "20261125T1200Z", 2, &["2026-11-25T11:55:00Z", "2026-11-25T11:56:00Z", "2026-11-25T11:57:00Z"], false),
        cloudtrail_object("eu-west-1", d25, "20261125T2300Z", 3, &["2026-11-25T22:55:00Z"], false),
        // Delivered at 00:10 on the 26th, before the first night's run: mixed days.
        cloudtrail_object("us-east-1", d26, "20261126T0010Z", 4, &["2026-11-25T23:58:00Z", "2026-11-26T00:02:00Z"], false),
        // Delivered late, after the first night's run: events of the 25th too.
        cloudtrail_object("us-east-1", d26, "20261126T0305Z", 5, &["2026-11-25T23:59:30Z", "2026-11-26T02:58:00Z"], true),
        cloudtrail_object("eu-west-1", d26, "20261126T0400Z", 6, &["2026-11-25T23:50:00Z"], true),
        cloudtrail_object("eu-west-1", d26, "20261126T1500Z", 7, &["2026-11-26T14:55:00Z", "2026-11-26T14:56:00Z"], true),
        access_log_object("2026-11-25-12-00-00-AAAAAAAAAAAAAAAA", &["25/Nov/2026:11:00:00", "25/Nov/2026:11:30:00"], false),
        access_log_object("2026-11-26-01-00-00-BBBBBBBBBBBBBBBB", &["25/Nov/2026:23:40:00", "26/Nov/2026:00:20:00"], false),
        access_log_object("2026-11-26-05-00-00-CCCCCCCCCCCCCCCC", &["25/Nov/2026:23:55:00", "26/Nov/2026:04:00:00"], true),
    ]
}

fn deliver(root: &Path, objects: &[Object], late: bool) {
    for o in objects.iter().filter(|o| o.late == late) {
        let path = root.join(&o.key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &o.body).expect("write object");
    }
}

/// The (id, source key) of every event of `day` in the source.
fn source_events<'a>(root: &Path, objects: impl IntoIterator<Item = &'a Object>, days: &[&str]) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for o in objects {
        let key = format!("{}/{}", s(root), o.key);
        for (id, day) in &o.events {
            if days.contains(&day.as_str()) {
                out.entry(day.clone()).or_default().push((id.clone(), key.clone()));
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

/// Every Parquet file under the tables' folders: what Athena would read.
fn visible_files(lake: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for table in ["cloudtrail", "s3_access", "findings"] {
        let dir = lake.join(table);
        if dir.is_dir() {
            for p in walk(&dir) {
                out.insert(p.strip_prefix(lake).expect("under lake").to_string_lossy().into_owned());
            }
        }
    }
    out
}

/// The live files by the manifests, computed here independently of the library.
fn live_files(lake: &Path) -> BTreeSet<String> {
    let mut files = BTreeSet::new();
    let mut superseded = BTreeSet::new();
    let runs = lake.join("_runs");
    if !runs.is_dir() {
        return files;
    }
    for p in walk(&runs) {
        if p.extension().is_some_and(|e| e == "json") {
            let m: Value = serde_json::from_slice(&std::fs::read(&p).expect("manifest")).expect("manifest JSON");
            for f in m["files"].as_array().into_iter().flatten() {
                files.insert(f["key"].as_str().expect("key").to_string());
            }
            for k in m["supersedes"].as_array().into_iter().flatten() {
                superseded.insert(k.as_str().expect("key").to_string());
            }
        }
    }
    files.retain(|f| !superseded.contains(f));
    files
}

fn read_batches(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).expect("open parquet");
    ParquetRecordBatchReaderBuilder::try_new(file).expect("footer").build().expect("reader").map(|b| b.expect("batch")).collect()
}

/// Every row of the files as text, all columns, sorted: equal for equal lakes
/// whatever the file names and row order.
fn canonical_rows(lake: &Path, files: &BTreeSet<String>) -> Vec<String> {
    let mut rows = Vec::new();
    for f in files {
        let dt = f.split('/').nth(1).unwrap_or_default().to_string();
        for batch in read_batches(&lake.join(f)) {
            let options = FormatOptions::default().with_null("∅");
            let formatters: Vec<ArrayFormatter> =
                batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formatter")).collect();
            for i in 0..batch.num_rows() {
                let mut row = format!("{} {dt}", f.split('/').next().unwrap_or_default());
                for fmt in &formatters {
                    row.push('|');
                    row.push_str(&fmt.value(i).to_string());
                }
                rows.push(row);
            }
        }
    }
    rows.sort();
    rows
}

/// (id, source key) per partition of a table, from the given files.
fn ids_by_day(lake: &Path, files: &BTreeSet<String>, table: &str, id_column: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for f in files.iter().filter(|f| f.starts_with(&format!("{table}/"))) {
        let day = f.split('/').nth(1).and_then(|d| d.strip_prefix("dt=")).expect("dt=").to_string();
        for b in read_batches(&lake.join(f)) {
            let ids = b.column_by_name(id_column).expect("id").as_string::<i32>();
            let keys = b.column_by_name("source_key").expect("key").as_string::<i32>();
            for i in 0..b.num_rows() {
                out.entry(day.clone()).or_default().push((ids.value(i).to_string(), keys.value(i).to_string()));
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn scan(source: &Path, lake: &Path, date: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["scan", s(source), "--date", date, "--out", s(lake), "--no-detect"];
    args.extend_from_slice(extra);
    trailhound(&args, env)
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

fn assert_clean(lake: &Path) {
    assert_eq!(visible_files(lake), live_files(lake), "what Athena sees is exactly the live files");
    assert!(!lake.join("_staging").exists(), "no staging left: {:?}", lake.join("_staging").read_dir().map(|d| d.count()));
    assert!(!lake.join("_runs/_lock").exists(), "the lock is released");
}

#[test]
fn consecutive_nightly_runs_write_every_event_once_including_late_deliveries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (source, lake) = (tmp.path().join("trail"), tmp.path().join("lake"));
    let objects = two_day_trail();

    // 02:00 on the 26th: the nightly run over the 25th.
    deliver(&source, &objects, false);
    let night1 = scan(&source, &lake, "2026-11-25", &[], &[]);
    ok(&night1);
    assert_clean(&lake);
    // Then the late objects arrive; 02:00 on the 27th: the run over the 26th.
    deliver(&source, &objects, true);
    let night2 = scan(&source, &lake, "2026-11-26", &[], &[]);
    ok(&night2);
    assert_clean(&lake);

    let live = live_files(&lake);
    let days = ["2026-11-25", "2026-11-26"];
    let want_ct = source_events(&source, objects.iter().filter(|o| o.key.starts_with("AWSLogs")), &days);
    let want_access = source_events(&source, objects.iter().filter(|o| o.key.starts_with("access/")), &days);
    // Exactly the source's events, each once, each in its own day's partition: the
    // 25th's late deliveries (objects 5 and 6, access log C) were written by the second night.
    assert_eq!(ids_by_day(&lake, &live, "cloudtrail", "eventid"), want_ct);
    assert_eq!(ids_by_day(&lake, &live, "s3_access", "requestid"), want_access);
    let m2: Value = serde_json::from_slice(&std::fs::read(manifest_path(&lake, &night2)).expect("manifest")).expect("json");
    assert_eq!(m2["late_day"], "2026-11-25");
    assert!(m2["files"].as_array().expect("files").iter().any(|f| f["partition"] == "2026-11-25"), "late rows land in the 25th");
    assert_eq!(m2["supersedes"].as_array().map(Vec::len), Some(0), "a new day supersedes nothing");

    // A re-run of the second night gives the same rows, in new files, and supersedes the old.
    let before = canonical_rows(&lake, &live);
    let rerun = scan(&source, &lake, "2026-11-26", &[], &[]);
    ok(&rerun);
    assert_clean(&lake);
    let after_live = live_files(&lake);
    assert_eq!(canonical_rows(&lake, &after_live), before, "a re-run gives identical rows");
    let m3: Value = serde_json::from_slice(&std::fs::read(manifest_path(&lake, &rerun)).expect("manifest")).expect("json");
    assert!(m3["totals"]["files_superseded"].as_u64().expect("count") >= 2, "{m3:#}");
    assert!(after_live.is_disjoint(&live.iter().filter(|f| f.contains("dt=2026-11-26")).cloned().collect()), "new keys only");

    // A re-run of the first night, now that the late objects are there, takes them into
    // the 25th itself and supersedes the second night's late rows: still once each.
    let rerun1 = scan(&source, &lake, "2026-11-25", &[], &[]);
    ok(&rerun1);
    assert_clean(&lake);
    assert_eq!(canonical_rows(&lake, &live_files(&lake)), before);

    // The ledger checkpoint is a cache: unreadable, it is rebuilt from the manifests.
    std::fs::write(lake.join("_ledger/checkpoint.json"), b"not json").expect("corrupt");
    ok(&scan(&source, &lake, "2026-11-26", &[], &[]));
    assert_clean(&lake);
    assert_eq!(canonical_rows(&lake, &live_files(&lake)), before);
    let checkpoint: Value = serde_json::from_slice(&std::fs::read(lake.join("_ledger/checkpoint.json")).expect("read")).expect("rewritten");
    let runs = walk(&lake.join("_runs")).into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")).count();
    assert_eq!(checkpoint["manifests"].as_object().map(|m| m.len()), Some(runs), "one entry per manifest");
}

fn manifest_path(lake: &Path, out: &Output) -> PathBuf {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().find(|l| l.contains("manifest: ")).unwrap_or_else(|| panic!("no manifest line: {stderr}"));
    let path = PathBuf::from(line.split("manifest: ").nth(1).expect("path").trim());
    assert!(path.starts_with(lake), "{path:?}");
    path
}

#[test]
fn a_rerun_for_one_region_carries_over_the_other_regions_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (source, lake) = (tmp.path().join("trail"), tmp.path().join("lake"));
    let objects = two_day_trail();
    deliver(&source, &objects, false);
    deliver(&source, &objects, true);
    ok(&scan(&source, &lake, "2026-11-25", &[], &[]));
    let before = canonical_rows(&lake, &live_files(&lake));
    let partial = scan(&source, &lake, "2026-11-25", &["--regions", "eu-west-1"], &[]);
    ok(&partial);
    assert_clean(&lake);
    let m: Value = serde_json::from_slice(&std::fs::read(manifest_path(&lake, &partial)).expect("manifest")).expect("json");
    // The us-east-1 and access-log rows of the superseded file are carried over, not lost.
    assert!(m["totals"]["rows_carried_over"].as_u64().expect("count") > 0, "{m:#}");
    assert_eq!(canonical_rows(&lake, &live_files(&lake)), before, "same rows after a partial re-run");
}

/// SIGKILL at every step of a run (fresh lake, and a re-run that supersedes), then
/// a normal run: the lake equals a clean run's, and the readers never see a partial run.
#[test]
fn a_run_killed_at_any_point_is_finished_by_the_next_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let source = tmp.path().join("trail");
    let objects = two_day_trail();
    deliver(&source, &objects, false);
    deliver(&source, &objects, true);
    let reference = tmp.path().join("reference");
    ok(&scan(&source, &reference, "2026-11-25", &[], &[]));
    let want = canonical_rows(&reference, &live_files(&reference));
    assert!(want.len() > 10);
    let want_count = want.iter().filter(|r| r.starts_with("cloudtrail ")).count();

    let points = ["fetched:3", "staged", "before-commit", "after-commit", "published", "before-cleanup"];
    for point in points {
        for rerun in [false, true] {
            let lake = tmp.path().join(format!("lake-{}-{rerun}", point.replace(':', "-")));
            if rerun {
                ok(&scan(&source, &lake, "2026-11-25", &[], &[]));
            }
            let before_visible = visible_files(&lake);
            let killed = scan(&source, &lake, "2026-11-25", &[], &[("TRAILHOUND_FAILPOINT", point)]);
            assert_eq!(killed.status.signal(), Some(9), "{point}: killed: {}", String::from_utf8_lossy(&killed.stderr));
            // What the killed run leaves visible: before its commit, exactly what was
            // there; after, old and new files only (both complete).
            let visible = visible_files(&lake);
            let committed = matches!(point, "after-commit" | "published" | "before-cleanup");
            if !committed {
                assert_eq!(visible, before_visible, "{point} rerun={rerun}: nothing of an uncommitted run is visible");
            }
            // trailhound's reader sees the live rows only, before any recovery.
            if lake.join("_runs").is_dir() {
                let sql = trailhound(&["sql", "--lake", s(&lake), "--format", "csv", "SELECT count(*) AS n FROM cloudtrail"], &[]);
                assert_eq!(sql.status.code(), Some(0), "{}", String::from_utf8_lossy(&sql.stderr));
                let n: usize = String::from_utf8_lossy(&sql.stdout).lines().nth(1).expect("count").trim().parse().expect("number");
                let expect = if rerun || committed { want_count } else { 0 };
                assert_eq!(n, expect, "{point} rerun={rerun}: the reader sees exactly the committed rows");
            }
            let next = scan(&source, &lake, "2026-11-25", &[], &[]);
            ok(&next);
            assert_clean(&lake);
            assert_eq!(canonical_rows(&lake, &live_files(&lake)), want, "{point} rerun={rerun}: the lake equals a clean run's");
            let m: Value = serde_json::from_slice(&std::fs::read(manifest_path(&lake, &next)).expect("manifest")).expect("json");
            let recovered = &m["recovered"];
            if committed {
                assert_eq!(recovered["finished"].as_array().map(Vec::len), Some(1), "{point}: {m:#}");
            } else {
                assert_eq!(recovered["undone"].as_array().map(Vec::len), Some(1), "{point} rerun={rerun}: {recovered}");
            }
        }
    }
}

#[test]
fn a_second_writer_is_refused_while_the_lock_holder_lives() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (source, lake) = (tmp.path().join("trail"), tmp.path().join("lake"));
    deliver(&source, &two_day_trail(), false);
    ok(&scan(&source, &lake, "2026-11-25", &[], &[]));
    let host = std::process::Command::new("hostname").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    // This test process is alive: its lock holds.
    let lock = json!({"run_id": "20261126T020000Z-deadbeef", "host": host, "pid": std::process::id(), "acquired_at": now, "heartbeat_at": now});
    std::fs::write(lake.join("_runs/_lock"), lock.to_string()).expect("lock");
    let refused = scan(&source, &lake, "2026-11-25", &[], &[]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("being written by run 20261126T020000Z-deadbeef"), "{stderr}");
    assert!(lake.join("_runs/_lock").exists(), "a refused run leaves the holder's lock");
    // A dead holder's lock is taken over.
    let dead = json!({"run_id": "20261126T020000Z-deadbeef", "host": host, "pid": 999_999_999u32, "acquired_at": now, "heartbeat_at": now});
    std::fs::write(lake.join("_runs/_lock"), dead.to_string()).expect("lock");
    ok(&scan(&source, &lake, "2026-11-25", &[], &[]));
    assert_clean(&lake);
}

#[test]
fn a_forensic_filter_cannot_mix_into_a_lake_written_without_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (source, lake) = (tmp.path().join("trail"), tmp.path().join("lake"));
    deliver(&source, &two_day_trail(), false);
    ok(&scan(&source, &lake, "2026-11-25", &[], &[]));
    let before = canonical_rows(&lake, &live_files(&lake));
    let mixed = scan(&source, &lake, "2026-11-25", &["--principal", "analyst"], &[]);
    assert_eq!(mixed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&mixed.stderr);
    assert!(stderr.contains("one lake, one row filter") && stderr.contains("--principal analyst"), "{stderr}");
    assert_eq!(canonical_rows(&lake, &live_files(&lake)), before, "the lake is untouched");
    assert_clean(&lake);
    // Into its own lake, the same pull works, and re-runs with the same filter.
    let pull = tmp.path().join("pull");
    ok(&scan(&source, &pull, "2026-11-25", &["--principal", "analyst"], &[]));
    ok(&scan(&source, &pull, "2026-11-25", &["--principal", "analyst"], &[]));
    assert_clean(&pull);
}

/// A scan whose detections died right after committing their findings: the next run
/// publishes the scan's and the detections' files together, and nothing is lost.
#[test]
fn findings_committed_by_a_killed_run_are_published_by_the_next() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sample = crate::repo().join("testdata/sample-trail");
    let run = |lake: &Path, env: &[(&str, &str)]| {
        trailhound(&["scan", s(&sample), "--date", "2026-11-25", "--out", s(lake)], env)
    };
    let reference = tmp.path().join("reference");
    ok(&run(&reference, &[]));
    let findings = |lake: &Path| -> BTreeSet<String> {
        live_files(lake).into_iter().filter(|f| f.starts_with("findings/")).collect()
    };
    let want = canonical_rows(&reference, &findings(&reference));
    assert!(!want.is_empty(), "the sample's 25th has findings");

    let lake = tmp.path().join("lake");
    // The first commit is the scan's, the second the detections'.
    let killed = run(&lake, &[("TRAILHOUND_FAILPOINT", "after-commit:2")]);
    assert_eq!(killed.status.signal(), Some(9), "{}", String::from_utf8_lossy(&killed.stderr));
    assert!(visible_files(&lake).iter().all(|f| !f.starts_with("findings/")), "findings still staged");
    let sql = trailhound(&["sql", "--lake", s(&lake), "--format", "csv", "SELECT count(*) AS n FROM findings"], &[]);
    let n: usize = String::from_utf8_lossy(&sql.stdout).lines().nth(1).expect("count").trim().parse().expect("number");
    assert_eq!(n, want.len(), "the reader sees the committed findings before they are published");

    let next = run(&lake, &[]);
    ok(&next);
    assert_clean(&lake);
    assert_eq!(canonical_rows(&lake, &findings(&lake)), want, "the findings equal a clean run's, none doubled");
    assert!(lake.join("_ledger/checkpoint.json").is_file(), "the ledger checkpoint is written");
}
