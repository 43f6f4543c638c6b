//! The `trailhound` binary end to end: exit codes, what it writes, what it reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::TimestampMillisecondType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

use crate::{inflate, repo, shared_corpus, walk};

pub(crate) fn trailhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .env_remove("TRAILHOUND_LOG")
        .output()
        .expect("run trailhound")
}

pub(crate) fn manifest(out: &Path) -> Value {
    let runs: Vec<PathBuf> =
        walk(&out.join("_runs")).into_iter().filter(|p| !p.to_string_lossy().ends_with(".detect.json")).collect();
    assert_eq!(runs.len(), 1, "one manifest per run: {runs:?}");
    serde_json::from_slice(&std::fs::read(&runs[0]).expect("manifest")).expect("manifest JSON")
}

pub(crate) fn objects(manifest: &Value) -> BTreeMap<String, Value> {
    manifest["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            let key = o["key"].as_str().expect("key");
            let name = key.rsplit('/').next().unwrap_or(key).to_string();
            (name, o.clone())
        })
        .collect()
}

/// Per object and in total: records read = rows written + quarantined + out of range + filtered.
pub(crate) fn assert_manifest_adds_up(m: &Value) {
    let (mut read, mut written, mut quarantined, mut out_of_range, mut filtered) = (0, 0, 0, 0, 0);
    for o in m["objects"].as_array().expect("objects") {
        let r = o["records_read"].as_u64().expect("records_read");
        let w = o["rows_written"].as_u64().expect("rows_written");
        let q = o["rows_quarantined"].as_u64().expect("rows_quarantined");
        let x = o["rows_out_of_range"].as_u64().expect("rows_out_of_range");
        let f = o["rows_filtered"].as_u64().expect("rows_filtered");
        assert_eq!(r, w + q + x + f, "{}", o["key"]);
        read += r;
        written += w;
        quarantined += q;
        out_of_range += x;
        filtered += f;
    }
    assert_eq!(m["totals"]["rows_out_of_range"].as_u64(), Some(out_of_range));
    assert_eq!(m["totals"]["rows_filtered"].as_u64(), Some(filtered));
    let t = &m["totals"];
    assert_eq!(t["records_read"].as_u64(), Some(read));
    assert_eq!(t["rows_written"].as_u64(), Some(written));
    assert_eq!(t["rows_quarantined"].as_u64(), Some(quarantined));
    let file_rows: u64 = m["files"].as_array().expect("files").iter().map(|f| f["rows"].as_u64().expect("rows")).sum();
    assert_eq!(file_rows, written, "rows in Parquet files = rows written");
}

/// Reads every Parquet file of a table; checks schema, sort order and partition dates.
pub(crate) fn read_table(out: &Path, table: &str) -> Vec<(String, RecordBatch)> {
    let (schema, ts_column) = match table {
        "cloudtrail" => (trailhound::decode::schema::cloudtrail_schema(), "eventtime_ts"),
        _ => (trailhound::decode::s3_access::s3_access_schema(), "requestdatetime_ts"),
    };
    let mut batches = Vec::new();
    for path in walk(&out.join(table)) {
        let name = path.to_string_lossy().into_owned();
        assert!(name.ends_with(".parquet"), "only Parquet files in the table: {name}");
        let dt = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("dt="))
            .unwrap_or_else(|| panic!("{name} is not under dt=")).to_string();
        let file = std::fs::File::open(&path).expect("open parquet");
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet footer").build().expect("reader");
        // CloudTrail rows are sorted by event source, event name, then time; access-log
        // rows by time (nulls last).
        let clusters: &[&str] = if table == "cloudtrail" { &["eventsource", "eventname"] } else { &[] };
        let mut last: (Vec<Option<String>>, i64) = (Vec::new(), i64::MIN);
        let nulls_last = |v: &Vec<Option<String>>| v.iter().map(|s| (s.is_none(), s.clone())).collect::<Vec<_>>();
        for batch in reader {
            let batch = batch.expect("batch");
            assert_eq!(batch.schema().fields(), schema.fields(), "{name}: schema");
            let ts = batch.column_by_name(ts_column).expect("ts").as_primitive::<TimestampMillisecondType>();
            let keys: Vec<_> = clusters.iter().map(|c| batch.column_by_name(c).expect("cluster column").as_string::<i32>().clone()).collect();
            for i in 0..ts.len() {
                let k: Vec<Option<String>> = keys.iter().map(|c| (!c.is_null(i)).then(|| c.value(i).to_string())).collect();
                let t = if ts.is_null(i) { i64::MAX } else { ts.value(i) };
                let here = (nulls_last(&k), t);
                assert!(here >= (nulls_last(&last.0), last.1), "{name}: rows not sorted by {clusters:?}, then event time");
                last = (k, t);
                if ts.is_null(i) {
                    assert_eq!(dt, "__HIVE_DEFAULT_PARTITION__", "{name}: null time outside the null partition");
                    continue;
                }
                let v = ts.value(i);
                let day = chrono::DateTime::from_timestamp_millis(v).expect("ts").format("%Y-%m-%d").to_string();
                assert_eq!(day, dt, "{name}: row in the wrong partition");
            }
            batches.push((dt.clone(), batch));
        }
    }
    batches
}

#[test]
fn scan_without_source_reads_the_sample_trail() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lake");
    let result = trailhound(&["scan", "--out", out.to_str().expect("utf8")]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "stderr:\n{stderr}");
    assert!(stderr.contains("sample trail"), "{stderr}");

    let m = manifest(&out);
    assert_manifest_adds_up(&m);
    // Independent count: entries of every Records array under a CloudTrail/ folder.
    let mut want = 0;
    for path in walk(&repo().join("testdata/sample-trail")) {
        let key = path.to_string_lossy();
        if key.contains("/CloudTrail/") {
            let doc: Value = serde_json::from_slice(&inflate(&std::fs::read(&path).expect("read"))).expect("json");
            want += doc["Records"].as_array().expect("Records").len() as u64;
        }
    }
    assert_eq!(m["totals"]["rows_by_table"]["cloudtrail"].as_u64(), Some(want));
    assert_eq!(m["totals"]["rows_quarantined"].as_u64(), Some(0));
    // Independent count: non-empty lines of every access-log object.
    let mut lines = 0;
    for path in walk(&repo().join("testdata/sample-trail/s3-access-logs")) {
        let text = String::from_utf8(inflate(&std::fs::read(&path).expect("read"))).expect("utf8");
        lines += text.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    }
    assert!(lines > 500, "{lines}");
    assert_eq!(m["totals"]["rows_by_table"]["s3_access"].as_u64(), Some(lines));
    let access = read_table(&out, "s3_access");
    assert_eq!(access.iter().map(|(_, b)| b.num_rows() as u64).sum::<u64>(), lines);
    // Under AWSLogs/ the plan lists only <account>/CloudTrail/ folders: the digest and
    // Insights files beside them are never listed, let alone read.
    assert_eq!(m["totals"]["objects_skipped"].as_u64(), Some(0));
    let keys: Vec<&str> = m["objects"].as_array().expect("objects").iter().filter_map(|o| o["key"].as_str()).collect();
    assert!(keys.iter().all(|k| !k.contains("/CloudTrail-Digest/") && !k.contains("/CloudTrail-Insight/")));
    assert!(keys.iter().any(|k| k.contains("/AWSLogs/o-sample1234/111122223333/CloudTrail/us-east-1/")));

    let batches = read_table(&out, "cloudtrail");
    let rows: usize = batches.iter().map(|(_, b)| b.num_rows()).sum();
    assert_eq!(rows as u64, want);
    let days: std::collections::BTreeSet<&str> = batches.iter().map(|(d, _)| d.as_str()).collect();
    assert!(days.is_superset(&["2026-11-24", "2026-11-25", "2026-11-26"].into_iter().collect()), "{days:?}");
    assert!(!days.contains("__HIVE_DEFAULT_PARTITION__"));
}

#[test]
fn corpus_scan_skips_digests_insights_and_look_alikes() {
    let Some(corpus) = shared_corpus() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lake");
    let result = trailhound(&[
        "scan",
        corpus.join("cloudtrail").to_str().expect("utf8"),
        corpus.join("negative").to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "{stderr}");
    let m = manifest(&out);
    assert_manifest_adds_up(&m);
    let t = &m["totals"];
    assert_eq!(t["objects_failed"].as_u64(), Some(0));
    let folders: Vec<&str> = t["folders_not_listed"].as_array().expect("folders").iter().filter_map(Value::as_str).collect();
    assert_eq!(folders.iter().filter(|f| f.contains("/CloudTrail-Digest: ")).count(), 2, "{folders:?}");
    assert_eq!(folders.iter().filter(|f| f.contains("/CloudTrail-Insight: ")).count(), 1, "{folders:?}");
    assert_eq!(t["skipped_by_kind"]["not-cloudtrail"].as_u64(), Some(3), "{t}");
    let batches = read_table(&out, "cloudtrail");
    let rows: usize = batches.iter().map(|(_, b)| b.num_rows()).sum();
    assert_eq!(rows as u64, t["rows_written"].as_u64().expect("rows"));
    assert!(rows > 4_000);
}

/// (eventName, day) of every record in the sample trail's CloudTrail files.
fn sample_cloudtrail_days() -> Vec<String> {
    let mut days = Vec::new();
    for path in walk(&repo().join("testdata/sample-trail")) {
        if path.to_string_lossy().contains("/CloudTrail/") {
            let doc: Value = serde_json::from_slice(&inflate(&std::fs::read(&path).expect("read"))).expect("json");
            for r in doc["Records"].as_array().expect("Records") {
                days.push(r["eventTime"].as_str().expect("eventTime")[..10].to_string());
            }
        }
    }
    days
}

#[test]
fn scan_with_a_date_keeps_that_days_events_including_late_deliveries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lake");
    let sample = repo().join("testdata/sample-trail");
    let result = trailhound(&["scan", sample.to_str().expect("utf8"), "--date", "2026-11-25", "--out", out.to_str().expect("utf8")]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "{stderr}");
    let m = manifest(&out);
    assert_manifest_adds_up(&m);
    assert_eq!(m["days"], serde_json::json!(["2026-11-25", "2026-11-25"]));
    // Objects delivered on the 24th cannot hold events of the 25th: not even read.
    assert!(m["totals"]["objects_out_of_range"].as_u64().expect("count") > 0);
    assert!(m["objects"].as_array().expect("objects").iter().all(|o| !o["key"].as_str().unwrap_or("").contains("/2026/11/24/")));
    let want = sample_cloudtrail_days().iter().filter(|d| *d == "2026-11-25").count();
    let batches = read_table(&out, "cloudtrail");
    assert_eq!(batches.iter().map(|(_, b)| b.num_rows()).sum::<usize>(), want);
    assert!(batches.iter().all(|(dt, _)| dt == "2026-11-25"));
    // The events of the 25th delivered in the 26th's folder are among them.
    let keys: Vec<String> = batches
        .iter()
        .flat_map(|(_, b)| {
            let k = b.column_by_name("source_key").expect("key").as_string::<i32>();
            (0..b.num_rows()).map(|i| k.value(i).to_string()).collect::<Vec<_>>()
        })
        .collect();
    assert!(keys.iter().any(|k| k.contains("/2026/11/26/")), "late deliveries kept");
    for (dt, _) in read_table(&out, "s3_access") {
        assert_eq!(dt, "2026-11-25");
    }
}

#[test]
fn scan_with_row_filters_keeps_only_that_principals_events() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lake");
    let sample = repo().join("testdata/sample-trail");
    let result = trailhound(&[
        "scan", sample.to_str().expect("utf8"), "--principal", "svc-llm-batch", "--event-source", "bedrock",
        "--out", out.to_str().expect("utf8"),
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "{stderr}");
    let m = manifest(&out);
    assert_manifest_adds_up(&m);
    // Independent count over the source records.
    let mut want = 0;
    for path in walk(&sample.join("AWSLogs")) {
        if !path.to_string_lossy().contains("/CloudTrail/") {
            continue;
        }
        let doc: Value = serde_json::from_slice(&inflate(&std::fs::read(&path).expect("read"))).expect("json");
        for r in doc["Records"].as_array().expect("Records") {
            let ui = &r["userIdentity"];
            let who = [ui["arn"].as_str(), ui["userName"].as_str()];
            let mine = who.iter().flatten().any(|w| *w == "svc-llm-batch" || w.ends_with("/svc-llm-batch"));
            if mine && r["eventSource"] == "bedrock.amazonaws.com" {
                want += 1;
            }
        }
    }
    assert!(want >= 200, "the sample's Bedrock burst: {want}");
    // A forensic pull summarises what it pulled.
    assert!(
        stderr.contains(&format!("top principal (cloudtrail): arn:aws:iam::111122223333:user/svc-llm-batch ({want})")),
        "{stderr}"
    );
    assert!(stderr.contains("top event name (cloudtrail): bedrock:InvokeModel ("), "{stderr}");
    let batches = read_table(&out, "cloudtrail");
    assert_eq!(batches.iter().map(|(_, b)| b.num_rows()).sum::<usize>(), want);
    assert!(!out.join("s3_access").exists(), "access logs hold no Bedrock events");
    assert!(m["totals"]["rows_filtered"].as_u64().expect("filtered") > 2000);
}

#[test]
fn json_logs_are_one_object_per_line_with_the_summary_and_exit_code() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lake");
    let malformed = repo().join("testdata/malformed");
    let result = trailhound(&["--log-format", "json", "scan", malformed.to_str().expect("utf8"), "--out", out.to_str().expect("utf8")]);
    assert_eq!(result.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&result.stderr);
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let summary = lines.iter().find(|l| l["fields"]["message"] == "scan finished").expect("summary line");
    let f = &summary["fields"];
    assert_eq!(f["exit_code"], 3);
    let m = manifest(&out);
    for total in ["objects_failed", "rows_written", "rows_quarantined", "records_read"] {
        assert_eq!(f[total], m["totals"][total], "{total}: the log line agrees with the manifest");
    }
    let (failed, written) = (f["objects_failed"].as_u64().expect("failed"), f["rows_written"].as_u64().expect("written"));
    assert!(failed >= 8 && written > 0, "{f}");
    assert!(lines.iter().filter(|l| l["level"] == "WARN").count() as u64 >= failed, "one warning per rejected object");
    let first_written = written;

    // The same slice again: the scheduler sees what it replaced, and the forensic summary line.
    let result = trailhound(&[
        "--log-format", "json", "scan", malformed.to_str().expect("utf8"), "--out", out.to_str().expect("utf8"), "--top", "3",
    ]);
    assert_eq!(result.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&result.stderr);
    let lines: Vec<Value> = stderr.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    let summary = lines.iter().find(|l| l["fields"]["message"] == "scan finished").expect("summary line");
    assert_eq!(summary["fields"]["rows_written"].as_u64(), Some(first_written), "a re-run writes the same rows");
    let first_files = m["files"].as_array().expect("files").len() as u64;
    assert!(first_files >= 2, "cloudtrail and s3_access files: {}", m["files"]);
    assert_eq!(summary["fields"]["files_superseded"].as_u64(), Some(first_files), "every file of the first run: {summary}");
    let top = lines.iter().find(|l| l["fields"]["message"] == "forensic summary").expect("forensic summary line");
    let top: Value = serde_json::from_str(top["fields"]["top"].as_str().expect("top")).expect("top JSON");
    assert!(top.as_array().expect("lists").iter().any(|l| l["what"] == "event_name"), "{top}");

    // A failed run: one JSON error line, exit code 1.
    let result = trailhound(&["--log-format", "json", "scan", "/nonexistent/trail", "--out", out.to_str().expect("utf8")]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&result.stderr);
    let lines: Vec<Value> = stderr.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert_eq!(lines[0]["level"], "ERROR");
    assert!(lines[0]["fields"]["error"].as_str().expect("error").contains("/nonexistent/trail"));
}

#[test]
fn scan_parse_only_reads_every_record_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sample = repo().join("testdata/sample-trail");
    let lake = tmp.path().join("lake");
    let result = trailhound(&["scan", sample.to_str().expect("utf8"), "--out", lake.to_str().expect("utf8"), "--no-detect"]);
    assert_eq!(result.status.code(), Some(0), "{}", String::from_utf8_lossy(&result.stderr));
    let full = manifest(&lake);

    let untouched = tmp.path().join("untouched");
    let result = trailhound(&[
        "--log-format", "json", "scan", sample.to_str().expect("utf8"), "--parse-only", "--out", untouched.to_str().expect("utf8"),
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(0), "{stderr}");
    let summary: Value = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["message"] == "parse-only finished")
        .unwrap_or_else(|| panic!("no parse-only summary in:\n{stderr}"));
    let f = &summary["fields"];
    // The same objects, records (CloudTrail records and access-log lines) and bytes as a real scan.
    assert_eq!(f["objects"], full["totals"]["objects_decoded"], "{f}");
    assert_eq!(f["records"], full["totals"]["records_read"], "{f}");
    assert_eq!(f["decompressed_bytes"], full["totals"]["decompressed_bytes"], "{f}");
    assert!(f["mb_per_s"].as_f64().is_some_and(|v| v > 0.0), "{f}");
    assert!(!untouched.exists(), "--parse-only writes nothing under --out");

    // What does not parse as a whole is a failed object there (no record-by-record
    // reading), and the exit code says so.
    let malformed = repo().join("testdata/malformed");
    let result = trailhound(&["--log-format", "json", "scan", malformed.to_str().expect("utf8"), "--parse-only"]);
    assert_eq!(result.status.code(), Some(3), "{}", String::from_utf8_lossy(&result.stderr));
    let stderr = String::from_utf8_lossy(&result.stderr);
    let failed = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["message"] == "parse-only finished")
        .and_then(|l| l["fields"]["objects_failed"].as_u64())
        .expect("summary with objects_failed");
    assert!(failed >= 8, "{stderr}");
}
