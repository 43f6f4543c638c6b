//! Every file of the shared corpus decodes as what it is, and every decoded row
//! equals its source record field by field (see `oracle`).

use arrow::array::RecordBatch;
use serde_json::Value;
use trailhound::decode::cloudtrail::DecodeLimits;
use trailhound::decode::{CloudTrailDecoder, FileVerdict};

use crate::oracle::compare_row;
use crate::{inflate, shared_corpus, walk};

fn decode_one(decoder: &mut CloudTrailDecoder, key: &str, raw: &[u8]) -> (FileVerdict, Vec<RecordBatch>) {
    let verdict = decoder.decode(key, raw).unwrap_or_else(|e| panic!("{key}: {e}"));
    let batches = decoder.finish().expect("finish");
    (verdict, batches)
}

/// Counts of what a round trip saw.
#[derive(Debug, Default)]
struct Seen {
    files: usize,
    records: usize,
    digests: usize,
}

/// Decodes every `.json.gz` under `dir` accepted by `keep` and compares each row with
/// its source record; panics with the first differences.
fn round_trip_dir(dir: &std::path::Path, keep: &dyn Fn(&str) -> bool) -> Seen {
    let mut decoder = CloudTrailDecoder::new(DecodeLimits::default());
    let mut seen = Seen::default();
    let mut failures = Vec::new();
    for path in walk(dir) {
        let name = path.to_string_lossy().into_owned();
        if !name.ends_with(".json.gz") || !keep(&name) {
            continue;
        }
        let raw = std::fs::read(&path).expect("read corpus file");
        let source: Value = serde_json::from_slice(&inflate(&raw))
            .unwrap_or_else(|e| panic!("the test file {name} is not JSON: {e}"));
        let (verdict, batches) = decode_one(&mut decoder, &name, &raw);
        let Some(entries) = source.get("Records").and_then(Value::as_array) else {
            assert_eq!(verdict, FileVerdict::Digest, "{name} has no Records");
            seen.digests += 1;
            continue;
        };
        let FileVerdict::Events { records: n, quarantined, .. } = verdict else {
            panic!("{name}: expected events, got {verdict:?}");
        };
        assert_eq!(n as usize, entries.len(), "{name}: records read");
        let objects: Vec<_> = entries.iter().filter_map(Value::as_object).collect();
        assert_eq!(quarantined.len(), (entries.len() - objects.len()) as u64, "{name}: quarantined");
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, objects.len(), "{name}: rows written = object entries in Records");
        let mut i = 0;
        for batch in &batches {
            for row in 0..batch.num_rows() {
                for diff in compare_row(batch, row, objects[i], &name) {
                    failures.push(format!("{name} record {i}: {diff}"));
                }
                i += 1;
            }
        }
        seen.files += 1;
        seen.records += entries.len();
    }
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures[..failures.len().min(40)].join("\n"));
    seen
}

#[test]
fn corpus_cloudtrail_files_round_trip_field_by_field() {
    let Some(corpus) = shared_corpus() else { return };
    let seen = round_trip_dir(&corpus.join("cloudtrail"), &|_| true);
    assert!(seen.files >= 360 && seen.records >= 4_000, "only {seen:?}");
    assert!(seen.digests >= 3, "{seen:?}");
    eprintln!("corpus: {seen:?}");
}

#[test]
fn testdata_trails_round_trip_field_by_field() {
    let seen = round_trip_dir(&crate::repo().join("testdata/real-trail"), &|_| true);
    assert_eq!((seen.files, seen.records), (4, 469));
    let seen = round_trip_dir(&crate::repo().join("testdata/sample-trail"), &|k| !k.contains("CloudTrail-Insight"));
    assert!(seen.files > 100 && seen.records > 1_000 && seen.digests == 1, "{seen:?}");
}

#[test]
fn corpus_look_alikes_are_not_cloudtrail() {
    let Some(corpus) = shared_corpus() else { return };
    let mut decoder = CloudTrailDecoder::new(DecodeLimits::default());
    let negatives = walk(&corpus.join("negative"));
    assert!(negatives.len() >= 3);
    for path in negatives {
        let raw = std::fs::read(&path).expect("read");
        let (verdict, batches) = decode_one(&mut decoder, &path.to_string_lossy(), &raw);
        assert!(
            matches!(&verdict, FileVerdict::NotCloudTrail { reason } if reason.contains("eventSource aws:")),
            "{}: {verdict:?}",
            path.display()
        );
        assert!(batches.is_empty(), "{}: no rows from a look-alike", path.display());
    }
}
