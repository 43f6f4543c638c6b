//! Hostile and broken input: every file of testdata/malformed gives its exact
//! outcome, nothing read is lost, memory stays bounded, and the decoder survives
//! arbitrary bytes (property tests).

use std::io::Write;

use arrow::array::{Array, AsArray, RecordBatch};
use serde_json::Value;
use trailhound::decode::schema::{FieldSpec, Kind, CLOUDTRAIL_RECORD};
use trailhound::decode::{DecodeLimits, FileVerdict, KindHint, ObjectDecoder, Table};

use crate::cli::{assert_manifest_adds_up, manifest, objects, read_table, trailhound};
use crate::{repo, walk};

/// The limits the malformed scan runs with, so that small files can cross them.
const MAX_DECOMPRESSED: u64 = 32 << 20;
const MAX_RECORD: u64 = 1 << 20;

/// (file, expected status, words the reason must contain, records, written, quarantined)
const MALFORMED: &[(&str, &str, &str, u64, u64, u64)] = &[
    ("access_faults.log.gz", "decoded", "", 6, 3, 3),
    ("access_truncated.log.gz", "decoded", "gzip stream ends early", 3, 2, 1),
    ("corrupt_gzip_crc.json.gz", "failed", "gzip stream is corrupt", 0, 0, 0),
    ("deep_nesting.json.gz", "decoded", "not valid JSON as a whole", 3, 2, 1),
    ("duplicate_keys.json.gz", "decoded", "", 1, 1, 0),
    ("empty.json.gz", "failed", "the object is empty", 0, 0, 0),
    ("gzip_bomb.json.gz", "failed", "decompressed content is larger than the limit of 33554432 bytes", 0, 0, 0),
    ("huge_numbers.json.gz", "decoded", "not valid JSON as a whole (InvalidNumber", 2, 1, 1),
    ("invalid_json.json.gz", "decoded", "not valid JSON as a whole", 1, 0, 1),
    ("invalid_utf8.json.gz", "decoded", "not valid JSON as a whole", 5, 4, 1),
    ("isize_claims_4gib.json.gz", "failed", "gzip stream is corrupt", 0, 0, 0),
    ("no_records.json.gz", "failed", "no Records array: the top-level object has keys \"events\", \"version\"", 0, 0, 0),
    ("not_gzip_or_json.json.gz", "failed", "neither a CloudTrail log file (JSON) nor an S3 access log", 0, 0, 0),
    ("not_json.json", "failed", "neither a CloudTrail log file (JSON) nor an S3 access log (text): content starts with \"this is plain te", 0, 0, 0),
    ("nul_bytes.json.gz", "decoded", "not valid JSON as a whole", 3, 2, 1),
    ("oversized_record.json.gz", "decoded", "", 3, 2, 1),
    ("records_not_array.json.gz", "failed", "Records is object, expected an array", 0, 0, 0),
    ("records_not_objects.json.gz", "decoded", "", 6, 2, 4),
    ("truncated_gzip.json.gz", "failed", "gzip stream ends early after 0 decompressed bytes", 0, 0, 0),
    ("truncated_gzip_records.json.gz", "decoded", "gzip stream ends early", 5, 4, 1),
    ("truncated_json.json.gz", "decoded", "not valid JSON as a whole", 4, 3, 1),
    ("wrong_types.json.gz", "decoded", "", 26, 26, 0),
];

/// (file, quarantine reason words) for the record-level rejects of the damaged files.
const REJECTS: &[(&str, &[&str])] = &[
    ("access_faults.log.gz", &["line 3: only 3 fields", "line 4:", "User-Agent", "line 5: field 3 (Time)"]),
    ("access_truncated.log.gz", &["line 3 is cut off"]),
    ("deep_nesting.json.gz", &["record 1 at byte", "is not valid JSON"]),
    ("invalid_json.json.gz", &["record 0 at byte 12 is not valid JSON"]),
    ("invalid_utf8.json.gz", &["record 1 at byte", "is not valid JSON"]),
    ("huge_numbers.json.gz", &["record 0 at byte 12 is not valid JSON: InvalidNumber"]),
    ("nul_bytes.json.gz", &["record 2 at byte", "is not valid JSON"]),
    ("oversized_record.json.gz", &["record 1 is at least", "larger than the limit of 1048576 bytes (--max-record-bytes)"]),
    ("truncated_gzip_records.json.gz", &["record 4 at byte", "is cut off"]),
    ("truncated_json.json.gz", &["record 3 at byte", "is cut off"]),
];

#[test]
fn malformed_guard_every_file_has_a_test() {
    let files: Vec<String> = walk(&repo().join("testdata/malformed"))
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    let expected: Vec<String> = MALFORMED.iter().map(|m| m.0.to_string()).collect();
    assert_eq!(files, expected, "testdata/malformed and MALFORMED must list the same files");
}

fn quarantine_entries(out: &std::path::Path) -> Vec<Value> {
    walk(&out.join("_quarantine"))
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .expect("quarantine")
                .lines()
                .map(|l| serde_json::from_str(l).expect("jsonl"))
                .collect::<Vec<Value>>()
        })
        .collect()
}

#[test]
fn scan_names_each_malformed_file_and_keeps_the_others() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lake");
    let good = repo().join("testdata/real-trail");
    let malformed = repo().join("testdata/malformed");
    let (max_decompressed, max_record) = (MAX_DECOMPRESSED.to_string(), MAX_RECORD.to_string());
    let result = trailhound(&[
        "scan",
        malformed.to_str().expect("utf8"),
        good.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--max-decompressed-bytes",
        &max_decompressed,
        "--max-record-bytes",
        &max_record,
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(3), "exit code 3 = finished with rejects; stderr:\n{stderr}");

    let m = manifest(&out);
    assert_manifest_adds_up(&m);
    let objects = objects(&m);
    for (name, status, reason, records, written, quarantined) in MALFORMED {
        let o = objects.get(*name).unwrap_or_else(|| panic!("{name} missing from the manifest"));
        assert_eq!(o["status"], *status, "{name}: {o}");
        let got = o["reason"].as_str().unwrap_or("");
        assert!(got.contains(reason), "{name}: reason {got:?} should contain {reason:?}");
        assert_eq!(reason.is_empty(), got.is_empty(), "{name}: reason {got:?}");
        assert_eq!(o["records_read"].as_u64(), Some(*records), "{name}: {o}");
        assert_eq!(o["rows_written"].as_u64(), Some(*written), "{name}: {o}");
        assert_eq!(o["rows_quarantined"].as_u64(), Some(*quarantined), "{name}: {o}");
        if *status == "failed" {
            assert!(stderr.contains(&format!("{name}: {got}")), "stderr names {name} and why:\n{stderr}");
        } else if !got.is_empty() {
            assert!(stderr.contains(&format!("damaged: {got}")), "stderr says how {name} is damaged:\n{stderr}");
        }
    }
    // The real files next to them are all written (394 + 47 + 22 + 6 records).
    let good_rows: u64 = objects
        .values()
        .filter(|o| o["key"].as_str().unwrap_or("").contains("real-trail"))
        .map(|o| o["rows_written"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(good_rows, 469);
    let written: u64 = MALFORMED.iter().map(|m| m.4).sum();
    let cloudtrail: usize = read_table(&out, "cloudtrail").iter().map(|(_, b)| b.num_rows()).sum();
    let access: usize = read_table(&out, "s3_access").iter().map(|(_, b)| b.num_rows()).sum();
    assert_eq!((cloudtrail + access) as u64, 469 + written);
    assert_eq!(access, 5, "3 + 2 access-log lines");

    // Quarantine: one entry per failed object, one per rejected record with its
    // reason and raw text; the raw text is what was read.
    let quarantine = quarantine_entries(&out);
    let of = |name: &str| -> Vec<&Value> {
        quarantine.iter().filter(|q| q["source_key"].as_str().is_some_and(|k| k.ends_with(name))).collect()
    };
    for (name, status, _, _, _, quarantined) in MALFORMED {
        let entries = of(name);
        let want = if *status == "failed" { 1 } else { *quarantined as usize };
        assert_eq!(entries.len(), want, "{name}: {entries:?}");
    }
    let raws: Vec<&str> = of("records_not_objects.json.gz").iter().map(|q| q["raw"].as_str().expect("raw")).collect();
    assert_eq!(raws, ["42", "\"a string\"", "null", "[1]"]);
    for (name, words) in REJECTS {
        let reasons: String = of(name).iter().map(|q| q["reason"].as_str().expect("reason").to_string() + "\n").collect();
        for w in *words {
            assert!(reasons.contains(w), "{name}: quarantine reasons should mention {w:?}:\n{reasons}");
        }
    }
    let bad_utf8 = of("invalid_utf8.json.gz");
    let raw = bad_utf8[0]["raw"].as_str().expect("raw");
    assert!(raw.contains("aws-cli/2.17.0 \u{fffd}\u{fffd}") && raw.contains("000000000002"), "{raw}");
    let cut = of("truncated_json.json.gz");
    assert!(cut[0]["raw"].as_str().expect("raw").ends_with("\"userName\":\"alice\"},"), "{}", cut[0]);
}

/// Decodes one malformed file with the library, as a decode worker does.
fn decode(name: &str) -> (FileVerdict, Vec<RecordBatch>) {
    let raw = std::fs::read(repo().join("testdata/malformed").join(name)).expect("malformed file");
    let limits = DecodeLimits { max_decompressed_bytes: MAX_DECOMPRESSED, max_record_bytes: MAX_RECORD, ..DecodeLimits::default() };
    let mut decoder = ObjectDecoder::new(limits);
    let (table, verdict) = decoder.decode(name, &raw, KindHint::Auto).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(table, Table::CloudTrail, "{name}");
    let batches = decoder.finish().expect("finish").into_iter().map(|(_, b)| b).collect();
    (verdict, batches)
}

fn column(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name(name).expect("column").as_string::<i32>();
            (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_string())).collect::<Vec<_>>()
        })
        .collect()
}

fn unmapped(batches: &[RecordBatch]) -> Vec<Value> {
    column(batches, "unmapped")
        .into_iter()
        .map(|u| u.map_or(Value::Null, |u| serde_json::from_str(&u).expect("unmapped is JSON")))
        .collect()
}

#[test]
fn malformed_values_land_in_a_column_or_unmapped() {
    // Wrong JSON types for every typed top-level column (all but the JSON-text ones):
    // the row is kept, the value moves to `unmapped` under its own key.
    let (_, b) = decode("wrong_types.json.gz");
    let u = unmapped(&b);
    let typed: Vec<&FieldSpec> = CLOUDTRAIL_RECORD.iter().filter(|f| !matches!(f.kind, Kind::Json)).collect();
    assert_eq!(u.len(), typed.len(), "one record per typed column");
    for spec in typed {
        let wrong = match spec.kind {
            Kind::Bool => serde_json::json!("maybe"),
            Kind::Struct(_) | Kind::MapStr => serde_json::json!("not an object"),
            Kind::ListOfStruct(_) => serde_json::json!({"ARN": "not a list"}),
            _ => serde_json::json!({"wrong": [1]}),
        };
        assert!(u.iter().any(|row| row[spec.key] == wrong), "{}: no row keeps {wrong} in unmapped", spec.key);
    }
    let times = column(&b, "eventtime");
    assert_eq!(times.iter().filter(|t| t.is_none()).count(), 1, "the record whose eventTime is an object");

    // Duplicate keys: the first value is the column, the second is kept in unmapped.
    let (_, b) = decode("duplicate_keys.json.gz");
    assert_eq!(column(&b, "eventname"), [Some("GetCallerIdentity".to_string())]);
    assert_eq!(unmapped(&b)[0]["eventName"], "DeleteTrail", "{}", unmapped(&b)[0]);

    // A NUL escaped as \u0000 stays in the string; a raw one (invalid JSON) costs only
    // its record, kept byte for byte in the quarantine.
    let (verdict, b) = decode("nul_bytes.json.gz");
    assert_eq!(column(&b, "useragent")[0].as_deref(), Some("aws-cli\0/2.17.0"));
    let FileVerdict::Events { quarantined, .. } = verdict else { panic!("{verdict:?}") };
    assert!(quarantined.kept[0].raw.contains("aws-cli/2.17.0\0"), "{:?}", quarantined.kept[0]);

    // Numbers past 64 bits: the parser refuses them, so the record is quarantined with
    // every digit intact, and its neighbour is written.
    let (verdict, b) = decode("huge_numbers.json.gz");
    let FileVerdict::Events { quarantined, .. } = verdict else { panic!("{verdict:?}") };
    assert!(quarantined.kept[0].raw.contains(r#""big":123456789012345678901234567890,"exp":1e400"#), "{:?}", quarantined.kept[0]);
    assert_eq!(column(&b, "eventid"), [Some("00000000-0000-4000-8000-000000000002".to_string())]);

    // Nesting 10^5 deep: the one record is rejected without recursion, its neighbours kept.
    let (verdict, b) = decode("deep_nesting.json.gz");
    let FileVerdict::Events { quarantined, damage, .. } = verdict else { panic!("{verdict:?}") };
    assert_eq!(quarantined.kept[0].index, 1);
    assert!(damage.is_some());
    assert_eq!(column(&b, "eventid").len(), 2);
}

#[test]
fn a_gzip_bomb_costs_at_most_the_cap_in_memory() {
    // 1 GiB of JSON whitespace in about 1 MiB of gzip, inflated under a 64 MiB cap: the
    // scan's peak RSS stays far below what inflating the whole stream would take.
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).expect("src");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(src.join("bomb.json.gz")).expect("bomb"),
        flate2::Compression::best(),
    );
    gz.write_all(b"{\"Records\":[").expect("write");
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..1024 {
        gz.write_all(&spaces).expect("write");
    }
    gz.write_all(b"]}").expect("write");
    gz.finish().expect("gzip");
    let size = std::fs::metadata(src.join("bomb.json.gz")).expect("bomb").len();
    assert!(size < 4 << 20, "the bomb is small: {size} bytes");

    let out = tmp.path().join("lake");
    let result = trailhound(&[
        "scan",
        src.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--max-decompressed-bytes",
        &(64u64 << 20).to_string(),
        "--no-detect",
    ]);
    assert_eq!(result.status.code(), Some(3), "{}", String::from_utf8_lossy(&result.stderr));
    let m = manifest(&out);
    let o = &m["objects"][0];
    assert_eq!(o["status"], "failed");
    assert!(o["reason"].as_str().expect("reason").contains("larger than the limit of 67108864 bytes"), "{o}");
    let peak_kib = max_child_rss_kib();
    assert!(peak_kib < 400 * 1024, "peak RSS {peak_kib} KiB for a 64 MiB cap");
}

/// The peak resident set of the largest child process waited for so far, in KiB.
fn max_child_rss_kib() -> i64 {
    // SAFETY: getrusage only writes the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) }, 0);
    usage.ru_maxrss
}

mod properties {
    //! Properties of the decoder over generated input, in the normal test run (the
    //! fuzz targets in tests/fuzz explore further; scripts/fuzz runs them).

    use arrow::array::RecordBatch;
    use proptest::prelude::*;
    use serde_json::Value;
    use trailhound::decode::{CloudTrailDecoder, DecodeLimits, FileVerdict, KindHint, ObjectDecoder};

    /// Any JSON value, a few levels deep, with CloudTrail-like keys now and then.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "eventTime", "eventName", "eventSource", "userIdentity", "arn", "type", "sessionContext",
                "requestParameters", "resources", "ARN", "readOnly", "tlsDetails", "errorCode", "awsRegion",
            ])
            .prop_map(str::to_string),
            "[a-zA-Z]{1,8}",
        ]
    }

    fn record() -> impl Strategy<Value = Value> {
        prop::collection::vec((key(), json_value()), 0..8).prop_map(|kv| Value::Object(kv.into_iter().collect()))
    }

    fn rows(batches: &[RecordBatch]) -> Vec<String> {
        batches
            .iter()
            .flat_map(|b| {
                let text = arrow::util::pretty::pretty_format_batches(std::slice::from_ref(b)).expect("format").to_string();
                text.lines().skip(3).map(str::to_string).collect::<Vec<_>>()
            })
            .filter(|l| !l.starts_with('+'))
            .collect()
    }

    fn accounted(verdict: &FileVerdict, written: usize) {
        if let FileVerdict::Events { records, quarantined, out_of_range, filtered, .. } = verdict {
            assert_eq!(*records, written as u64 + quarantined.len() + out_of_range + filtered, "{verdict:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Arbitrary bytes: never a panic; a verdict always adds up.
        #[test]
        fn any_bytes_decode_or_fail_cleanly(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let mut d = ObjectDecoder::new(DecodeLimits::default());
            if let Ok((_, verdict)) = d.decode("k", &bytes, KindHint::Auto) {
                let written: usize = d.finish().expect("finish").iter().map(|(_, b)| b.num_rows()).sum();
                accounted(&verdict, written);
            }
        }

        /// A valid log file with bytes cut, flipped or inserted: never a panic, the
        /// accounting holds, and what is written is at most what was there.
        #[test]
        fn damaged_log_files_keep_their_accounting(
            records in prop::collection::vec(record(), 1..6),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
        ) {
            let mut doc = serde_json::to_vec(&serde_json::json!({"Records": records})).expect("json");
            for (at, byte, op) in edits {
                let i = at.index(doc.len());
                match op {
                    0 => doc.truncate(i),
                    1 => doc[i] = byte,
                    _ => doc.insert(i, byte),
                }
                if doc.is_empty() { break; }
            }
            let mut d = ObjectDecoder::new(DecodeLimits::default());
            if let Ok((_, verdict)) = d.decode("k", &doc, KindHint::Auto) {
                let written: usize = d.finish().expect("finish").iter().map(|(_, b)| b.num_rows()).sum();
                accounted(&verdict, written);
                prop_assert!(written <= records.len() + 3, "at most one more record per edit");
            }
        }

        /// Reading record by record (the path for damaged files) gives exactly the rows
        /// the whole-document path gives on valid input.
        #[test]
        fn record_by_record_reading_matches_the_whole_document(records in prop::collection::vec(record(), 0..6)) {
            let doc = serde_json::to_vec(&serde_json::json!({"Records": records})).expect("json");
            let mut whole = CloudTrailDecoder::new(DecodeLimits::default());
            let a = whole.decode("k", &doc).expect("valid JSON decodes");
            let mut split = CloudTrailDecoder::new(DecodeLimits::default());
            let b = split.decode_records("k", &doc, trailhound::decode::compression::Compression::None, String::new()).expect("framed");
            let (FileVerdict::Events { records: ra, quarantined: qa, .. }, FileVerdict::Events { records: rb, quarantined: qb, .. }) = (&a, &b) else {
                return Err(TestCaseError::fail(format!("{a:?} / {b:?}")));
            };
            prop_assert_eq!(ra, rb);
            prop_assert_eq!(qa.len(), qb.len());
            prop_assert_eq!(rows(&whole.finish().expect("finish")), rows(&split.finish().expect("finish")));
        }

        /// Access-log text of any shape: never a panic, and every non-blank line is
        /// either a row or quarantined.
        #[test]
        fn any_access_log_lines_are_rows_or_quarantined(lines in prop::collection::vec("[ -~\\[\\]\"]{0,120}", 1..8)) {
            let good = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID REST.GET.OBJECT k \"GET / HTTP/1.1\" 200 - 1 2 3 4 \"-\" \"ua\" -";
            let text = std::iter::once(good.to_string()).chain(lines).collect::<Vec<_>>().join("\n");
            let mut d = ObjectDecoder::new(DecodeLimits::default());
            let (_, verdict) = d.decode("2019-02-06-00-00-38-E568B2907131C0C0", text.as_bytes(), KindHint::Auto).expect("an access log");
            let written: usize = d.finish().expect("finish").iter().map(|(_, b)| b.num_rows()).sum();
            accounted(&verdict, written);
            let non_blank = text.split('\n').filter(|l| !l.trim_end_matches('\r').chars().all(|c| c == ' ')).count() as u64;
            let FileVerdict::Events { records, .. } = verdict else { return Err(TestCaseError::fail("events")) };
            prop_assert_eq!(records, non_blank);
        }
    }
}
