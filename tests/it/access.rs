//! S3 server access logs: every corpus line parses, and its fields land where an
//! independent tokenizer puts them.

use arrow::array::RecordBatch;
use serde_json::Value;
use trailhound::decode::s3_access::{parse_line, AccessLogLine};
use trailhound::decode::{AccessLogDecoder, DecodeLimits, FileVerdict};

use crate::{shared_corpus, walk};

/// The tokenizer of the corpus notes: `[...]`, `"..."` (with `\"` escapes) or a run
/// of non-spaces. Right for every line without an unescaped quote inside a field.
fn tokens(line: &str) -> Vec<String> {
    let b = line.as_bytes();
    let (mut i, mut out) = (0, Vec::new());
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        match b[i] {
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ => {
                while i < b.len() && b[i] != b' ' {
                    i += 1;
                }
            }
        }
        out.push(line[start..i.min(b.len())].to_string());
    }
    out
}

fn unquote(t: &str) -> Option<String> {
    let t = t.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(t);
    let t = t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t);
    (t != "-").then(|| t.to_string())
}

fn fields(p: &AccessLogLine<'_>) -> Vec<Option<String>> {
    p.fields.iter().map(|f| f.map(str::to_string)).collect()
}

#[test]
fn corpus_access_log_lines_parse_into_the_right_fields() {
    let Some(corpus) = shared_corpus() else { return };
    let mut decoder = AccessLogDecoder::new(DecodeLimits::default());
    let mut counts = std::collections::BTreeMap::new();
    let mut lines_checked = 0;
    for path in walk(&corpus.join("s3-access")) {
        let name = path.to_string_lossy().into_owned();
        if !name.ends_with(".log") {
            continue;
        }
        let raw = std::fs::read(&path).expect("read");
        let verdict = decoder.decode(&name, &raw).expect("decodes");
        let batches = decoder.finish().expect("batches");
        let text = String::from_utf8(raw).expect("utf8");
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let FileVerdict::Events { records, quarantined, .. } = verdict else { panic!("{name}: {verdict:?}") };
        assert!(quarantined.is_empty(), "{name}: {quarantined:?}");
        assert_eq!(records as usize, lines.len(), "{name}");
        assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), lines.len(), "{name}");
        for line in lines {
            let want = tokens(line);
            *counts.entry(want.len()).or_insert(0) += 1;
            let got = fields(&parse_line(line).unwrap_or_else(|e| panic!("{line}: {e:?}")));
            // The NCBI console line has one unknown token after Version Id.
            let mut want: Vec<Option<String>> = want.iter().map(|t| unquote(t)).collect();
            if line.contains(" - AIDAISBTTLPGXGH6YFFAY ") {
                want.remove(18);
            }
            want.resize(27, None);
            assert_eq!(got, want, "{name}: {line}");
            lines_checked += 1;
        }
    }
    for n in [18, 24, 25, 26] {
        assert!(counts.contains_key(&n), "no {n}-field line in the corpus: {counts:?}");
    }
    assert!(lines_checked >= 60, "{lines_checked}");
}

#[test]
fn corpus_parser_vectors_never_panic_and_escaped_quotes_stay_in_their_field() {
    let Some(corpus) = shared_corpus() else { return };
    let text = std::fs::read_to_string(corpus.join("s3-access/ncbi-logging/aws_test_parse-vectors.jsonl")).expect("vectors");
    let mut good = 0;
    for row in text.lines() {
        let v: Value = serde_json::from_str(row).expect("jsonl");
        let line = v["line"].as_str().expect("line");
        let verdict = v["ncbi_parser_verdict"].as_str().expect("verdict");
        let parsed = parse_line(line);
        if verdict == "good" && !line.contains('\n') {
            let p = parsed.unwrap_or_else(|e| panic!("{line}: {e:?}"));
            good += 1;
            if line.contains(r#""GET a\" HTTP/1.1""#) {
                assert_eq!(p.fields[8], Some(r#"GET a\" HTTP/1.1"#));
            }
            if line.contains(r#"\"test-sra.2.8.2"#) {
                assert_eq!(p.fields[16], Some(r#"linux64 sra-toolkit \"test-sra.2.8.2 (phid=noc7737000,libc=2.17)"#));
            }
        }
    }
    assert!(good > 40, "{good}");
}

/// The unescaped-quote lines planted in the sample trail come out of a real scan,
/// read back from Parquet, with every quoted field where it belongs.
#[test]
fn sample_access_log_edge_cases_land_in_the_right_columns() {
    use arrow::array::AsArray;
    let expected: Value = serde_json::from_slice(
        &std::fs::read(crate::repo().join("testdata/sample-trail/_expected.json")).expect("expected"),
    )
    .expect("json");
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lake");
    let sample = crate::repo().join("testdata/sample-trail");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["scan", sample.to_str().expect("utf8"), "--out", out.to_str().expect("utf8")])
        .output()
        .expect("run");
    assert_eq!(status.status.code(), Some(0), "{}", String::from_utf8_lossy(&status.stderr));

    let mut rows = std::collections::HashMap::new();
    for path in walk(&out.join("s3_access")) {
        let file = std::fs::File::open(&path).expect("open");
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .expect("footer")
            .build()
            .expect("reader");
        for batch in reader {
            let batch = batch.expect("batch");
            let col = |n: &str| batch.column_by_name(n).expect("column").clone();
            let (key, line) = (col("source_key"), col("source_line"));
            let (key, line) = (key.as_string::<i32>(), line.as_primitive::<arrow::datatypes::Int64Type>());
            for i in 0..batch.num_rows() {
                let get = |n: &str| {
                    let c = col(n);
                    let c = c.as_string::<i32>();
                    (!arrow::array::Array::is_null(c, i)).then(|| c.value(i).to_string())
                };
                let fields = ["key", "request_uri", "referrer", "useragent"].map(get);
                rows.insert((key.value(i).to_string(), line.value(i)), fields);
            }
        }
    }
    let lines = expected["s3_access"]["lines"].as_u64().expect("lines");
    assert_eq!(rows.len() as u64, lines, "every line of the sample's access logs is a row");
    let cases = expected["s3_access_edge_cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for case in cases {
        let object = case["object_key"].as_str().expect("object");
        let line = case["line"].as_i64().expect("line");
        let want = |n: &str| case[n].as_str().filter(|v| *v != "-").map(str::to_string);
        let found = rows
            .iter()
            .find(|((k, l), _)| k.ends_with(object) && *l == line)
            .unwrap_or_else(|| panic!("{object} line {line} not in the lake"));
        assert_eq!(
            found.1,
            &[want("key_field"), want("request_uri"), want("referrer"), want("useragent")],
            "{}",
            case["case"]
        );
    }
}
