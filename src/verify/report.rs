//! The verification report: one row per digest and per log file, with its status, and
//! the ways to write it (Parquet, JSON, JSON lines, a table).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::error::Result;

/// What verification found for one object. Ordered worst first (tables list problems
/// in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The object is gone: a log file a digest lists, or a digest the next one names.
    Deleted,
    /// A log file whose decompressed SHA-256 differs from its digest's, or that has
    /// bytes after its gzip member, or that is not gzip at all.
    Modified,
    /// The digest's signature does not verify with the key it names.
    BadSignature,
    /// No public key has the digest's fingerprint.
    KeyNotFound,
    /// The digest has no signature (S3 metadata `signature`, or a `.signature` file).
    Unsigned,
    /// The digest's `previousDigest*` fields do not match the digest before it.
    ChainBreak,
    /// The chain restarts (a starting digest after others), or stops before the range ends.
    Gap,
    /// The digest says it was delivered somewhere else.
    Moved,
    /// Not a readable digest file (not gzip, not JSON, fields missing).
    InvalidFormat,
    /// A log file in the trail that no valid digest of the range lists.
    NotCovered,
    Valid,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Self::Deleted,
        Self::Modified,
        Self::BadSignature,
        Self::KeyNotFound,
        Self::Unsigned,
        Self::ChainBreak,
        Self::Gap,
        Self::Moved,
        Self::InvalidFormat,
        Self::NotCovered,
        Self::Valid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deleted => "deleted",
            Self::Modified => "modified",
            Self::BadSignature => "bad-signature",
            Self::KeyNotFound => "key-not-found",
            Self::Unsigned => "unsigned",
            Self::ChainBreak => "chain-break",
            Self::Gap => "gap",
            Self::Moved => "moved",
            Self::InvalidFormat => "invalid-format",
            Self::NotCovered => "not-covered",
            Self::Valid => "valid",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a row is about a digest or a log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowKind {
    Digest,
    Log,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::Log => "log",
        }
    }
}

fn serialize_time<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> std::result::Result<S::Ok, S::Error> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).serialize(s)
}

/// One digest or log file and what verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyRow {
    pub kind: RowKind,
    /// The object as users see it: `s3://bucket/key`, or the source folder joined with
    /// the key. For a deleted digest whose name nobody recorded, its expected name with
    /// `*` for the unknown part.
    pub key: String,
    pub status: Status,
    /// Why, in words.
    pub detail: String,
    /// The digest that lists this log file (or that names this missing digest).
    pub digest_key: Option<String>,
    pub expected_sha256: Option<String>,
    pub actual_sha256: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Digests: `digestEndTime` (else the time in the name); log files: the delivery
    /// time in the name.
    #[serde(serialize_with = "serialize_time")]
    pub time: Option<DateTime<Utc>>,
}

/// Everything `verify` found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub source: String,
    /// The range verified, `[start, end)`.
    #[serde(serialize_with = "serialize_time")]
    pub start: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_time")]
    pub end: Option<DateTime<Utc>>,
    /// Digests first, then log files, each sorted by key.
    pub rows: Vec<VerifyRow>,
    pub num_public_keys: usize,
    pub list_calls: u64,
    pub elapsed_seconds: f64,
}

impl VerifyReport {
    /// True when every row is valid (and there is something to verify is not required:
    /// an empty range is clean).
    pub fn is_clean(&self) -> bool {
        self.rows.iter().all(|r| r.status == Status::Valid)
    }

    /// Rows per status.
    pub fn counts(&self) -> BTreeMap<Status, usize> {
        let mut out = BTreeMap::new();
        for r in &self.rows {
            *out.entry(r.status).or_default() += 1;
        }
        out
    }

    /// Rows per kind and status.
    pub fn counts_by_kind(&self) -> BTreeMap<(RowKind, Status), usize> {
        let mut out = BTreeMap::new();
        for r in &self.rows {
            *out.entry((r.kind, r.status)).or_default() += 1;
        }
        out
    }

    /// Each log file's status by its key as users see it (the same string `scan`
    /// records as an object's key when it reads the same source).
    pub fn log_status(&self) -> HashMap<String, Status> {
        self.rows.iter().filter(|r| r.kind == RowKind::Log).map(|r| (r.key.clone(), r.status)).collect()
    }

    /// Rows that are not valid, worst status first, then by key.
    pub fn problems(&self) -> Vec<&VerifyRow> {
        let mut out: Vec<&VerifyRow> = self.rows.iter().filter(|r| r.status != Status::Valid).collect();
        out.sort_by(|a, b| (a.status, &a.key).cmp(&(b.status, &b.key)));
        out
    }

    /// The rows as one Arrow batch: strings, and `time` as UTC milliseconds.
    ///
    /// # Errors
    /// Never in practice (the columns are built to the schema).
    pub fn to_record_batch(&self) -> Result<RecordBatch> {
        let text = |f: &dyn Fn(&VerifyRow) -> Option<String>| -> ArrayRef {
            Arc::new(self.rows.iter().map(f).collect::<StringArray>())
        };
        let schema = Schema::new(vec![
            Field::new("kind", DataType::Utf8, false),
            Field::new("key", DataType::Utf8, false),
            Field::new("status", DataType::Utf8, false),
            Field::new("detail", DataType::Utf8, false),
            Field::new("digest_key", DataType::Utf8, true),
            Field::new("expected_sha256", DataType::Utf8, true),
            Field::new("actual_sha256", DataType::Utf8, true),
            Field::new("account", DataType::Utf8, true),
            Field::new("region", DataType::Utf8, true),
            Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), true),
        ]);
        let time: TimestampMillisecondArray = self.rows.iter().map(|r| r.time.map(|t| t.timestamp_millis())).collect();
        let columns = vec![
            text(&|r| Some(r.kind.as_str().to_string())),
            text(&|r| Some(r.key.clone())),
            text(&|r| Some(r.status.as_str().to_string())),
            text(&|r| Some(r.detail.clone())),
            text(&|r| r.digest_key.clone()),
            text(&|r| r.expected_sha256.clone()),
            text(&|r| r.actual_sha256.clone()),
            text(&|r| r.account.clone()),
            text(&|r| r.region.clone()),
            Arc::new(time.with_timezone("UTC")),
        ];
        Ok(RecordBatch::try_new(Arc::new(schema), columns)?)
    }

    /// One JSON object per row, one per line.
    ///
    /// # Errors
    /// The writer fails.
    pub fn write_json_lines(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for row in &self.rows {
            serde_json::to_writer(&mut *out, row)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The whole report (range, counts, rows) as one JSON document.
    ///
    /// # Errors
    /// The writer fails.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let counts: BTreeMap<&str, usize> = self.counts().into_iter().map(|(s, n)| (s.as_str(), n)).collect();
        let doc = serde_json::json!({
            "source": self.source,
            "start": self.start.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            "end": self.end.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            "clean": self.is_clean(),
            "counts": counts,
            "rows": self.rows,
        });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        out.write_all(b"\n")
    }

    /// A table of the problems (every row with `all`), worst first, then the counts.
    /// Keys longer than `max_key_chars` lose their middle (for a terminal); `None`
    /// prints every key whole.
    pub fn format_table(&self, all: bool, max_key_chars: Option<usize>) -> String {
        let mut rows = self.problems();
        if all {
            let mut valid: Vec<&VerifyRow> = self.rows.iter().filter(|r| r.status == Status::Valid).collect();
            valid.sort_by(|a, b| a.key.cmp(&b.key));
            rows.extend(valid);
        }
        let shown: Vec<String> = rows.iter().map(|r| shorten(&r.key, max_key_chars)).collect();
        let width = shown.iter().map(|k| k.chars().count()).max().unwrap_or(3).max(3);
        let mut out = String::new();
        if !rows.is_empty() {
            out.push_str(&format!("{:<14} {:<6} {:<width$}  detail\n", "status", "kind", "key"));
            for (r, key) in rows.iter().zip(&shown) {
                out.push_str(&format!("{:<14} {:<6} {:<width$}  {}\n", r.status.as_str(), r.kind.as_str(), key, r.detail));
            }
        }
        out
    }

    /// One line: what was verified and the counts per status.
    pub fn summary_line(&self) -> String {
        let by_kind = self.counts_by_kind();
        let count = |kind: RowKind| by_kind.iter().filter(|((k, _), _)| *k == kind).map(|(_, n)| n).sum::<usize>();
        let statuses: Vec<String> =
            Status::ALL.iter().filter_map(|s| self.counts().get(s).map(|n| format!("{n} {s}"))).collect();
        let range = match (self.start, self.end) {
            (Some(s), Some(e)) => format!(
                " {}..{}",
                s.to_rfc3339_opts(SecondsFormat::Secs, true),
                e.to_rfc3339_opts(SecondsFormat::Secs, true)
            ),
            _ => String::new(),
        };
        format!(
            "verify {}{range}: {} digests, {} log files: {}{}",
            self.source,
            count(RowKind::Digest),
            count(RowKind::Log),
            if statuses.is_empty() { "nothing to verify".to_string() } else { statuses.join(", ") },
            if self.is_clean() { "" } else { " (integrity problems found)" }
        )
    }
}

/// `key` with its middle replaced by `…` to fit `max` characters.
fn shorten(key: &str, max: Option<usize>) -> String {
    let n = key.chars().count();
    match max {
        Some(max) if n > max && max > 10 => {
            let head = (max - 1) / 3;
            let tail = max - 1 - head;
            let start: String = key.chars().take(head).collect();
            let end: String = key.chars().skip(n - tail).collect();
            format!("{start}…{end}")
        }
        _ => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: RowKind, key: &str, status: Status) -> VerifyRow {
        VerifyRow {
            kind,
            key: key.into(),
            status,
            detail: format!("{status} detail"),
            digest_key: None,
            expected_sha256: None,
            actual_sha256: None,
            account: Some("111122223333".into()),
            region: None,
            time: DateTime::from_timestamp(1_764_028_800, 0),
        }
    }

    fn report() -> VerifyReport {
        let long = format!("s3://b/{}", "x".repeat(200));
        VerifyReport {
            source: "s3://b".into(),
            start: None,
            end: None,
            rows: vec![
                row(RowKind::Digest, "s3://b/d1", Status::Valid),
                row(RowKind::Log, "s3://b/l2", Status::NotCovered),
                row(RowKind::Log, &long, Status::Deleted),
                row(RowKind::Log, "s3://b/l1", Status::Valid),
            ],
            num_public_keys: 1,
            list_calls: 3,
            elapsed_seconds: 0.1,
        }
    }

    #[test]
    fn table_lists_problems_worst_first_with_whole_or_shortened_keys() {
        let r = report();
        assert!(!r.is_clean());
        let whole = r.format_table(false, None);
        let lines: Vec<&str> = whole.lines().collect();
        assert_eq!(lines.len(), 3, "{whole}");
        assert!(lines[1].starts_with("deleted") && lines[1].contains(&r.rows[2].key), "{whole}");
        assert!(lines[2].starts_with("not-covered"), "{whole}");
        let short = r.format_table(true, Some(60));
        assert_eq!(short.lines().count(), 5);
        assert!(!short.contains(&r.rows[2].key) && short.contains('…'), "{short}");
        assert_eq!(r.summary_line(), "verify s3://b: 1 digests, 3 log files: 1 deleted, 1 not-covered, 2 valid (integrity problems found)");
        assert_eq!(r.log_status().get("s3://b/l2"), Some(&Status::NotCovered));
    }

    #[test]
    fn outputs_carry_every_row() {
        let r = report();
        let batch = r.to_record_batch().expect("batch");
        assert_eq!(batch.num_rows(), 4);
        let mut lines = Vec::new();
        r.write_json_lines(&mut lines).expect("jsonl");
        let first: serde_json::Value = serde_json::from_str(std::str::from_utf8(&lines).expect("utf8").lines().next().expect("line")).expect("json");
        assert_eq!(first["status"], "valid");
        assert_eq!(first["kind"], "digest");
        assert_eq!(first["time"], "2025-11-25T00:00:00Z");
        let mut doc = Vec::new();
        r.write_json(&mut doc).expect("json");
        let doc: serde_json::Value = serde_json::from_slice(&doc).expect("json");
        assert_eq!(doc["counts"]["not-covered"], 1);
        assert_eq!(doc["clean"], false);
    }
}
