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
