//! The run report: what every source object became, and the run's totals.
//!
//! Written as `_runs/<run-id>.json` at the lake root (hidden from Athena by the
//! leading underscore); writing it commits the run (see [`super::commit`]).
//! Quarantined records go to `_quarantine/<run-id>-<n>.jsonl`.
//! Invariant, per object and in total:
//! `records_read = rows_written + rows_quarantined + rows_out_of_range + rows_filtered`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::commit::{CommitRecord, CommittedFile, Recovery};
use super::WrittenFile;
use crate::decode::compression::Compression;
use crate::decode::Table;
use crate::source::ObjectKind;

/// What happened to one source object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectStatus {
    /// Decoded; its records are written or quarantined.
    Decoded,
    /// Recognised and deliberately not decoded (digest, Insights, look-alike).
    Skipped,
    /// Could not be read or decoded at all; the reason says why.
    Failed,
}

/// One source object in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectReport {
    pub key: String,
    pub size_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ObjectKind>,
    /// The table its records went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    pub status: ObjectStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<Compression>,
    pub decompressed_bytes: u64,
    pub records_read: u64,
    pub rows_written: u64,
    pub rows_quarantined: u64,
    /// Records outside the requested days, not written.
    pub rows_out_of_range: u64,
    /// Records the row filters (principal, event source, event name) left out.
    pub rows_filtered: u64,
    /// Quarantined records counted but not kept in `_quarantine/` (past the first
    /// 10,000 of one object).
    #[serde(skip_serializing_if = "is_zero")]
    pub quarantine_raw_omitted: u64,
    /// Quarantine reasons and how many records each.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub quarantine_reasons: BTreeMap<String, u64>,
    /// With `scan --verify`: the log file's integrity status (`valid`, `modified`,
    /// `not-covered`, ...; see `trailhound verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<String>,
}

impl ObjectReport {
    pub fn new(key: String, size_bytes: u64, etag: Option<String>, kind: Option<ObjectKind>) -> Self {
        Self {
            key,
            size_bytes,
            etag,
            kind,
            table: None,
            status: ObjectStatus::Failed,
            reason: None,
            compression: None,
            decompressed_bytes: 0,
            records_read: 0,
            rows_written: 0,
            rows_quarantined: 0,
            rows_out_of_range: 0,
            rows_filtered: 0,
            quarantine_raw_omitted: 0,
            quarantine_reasons: BTreeMap::new(),
            verification: None,
        }
    }
}

/// What `scan --verify` found before reading: every digest and log file of the range.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    /// Rows (digests and log files) per status.
    pub counts: BTreeMap<String, u64>,
    /// Every row that is not valid: kind, full key, status and why.
    pub problems: Vec<VerificationProblem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerificationProblem {
    pub kind: String,
    pub key: String,
    pub status: String,
    pub detail: String,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Totals over a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub objects_listed: u64,
    pub objects_decoded: u64,
    pub objects_skipped: u64,
    pub objects_failed: u64,
    /// Files under the sources that are not log files by name.
    pub files_ignored: u64,
    pub bytes_read: u64,
    pub decompressed_bytes: u64,
    pub records_read: u64,
    pub rows_written: u64,
    pub rows_quarantined: u64,
    pub rows_out_of_range: u64,
    pub rows_filtered: u64,
    /// Objects not read: their key's date cannot hold events of the requested days.
    pub objects_out_of_range: u64,
    /// List calls the listing plan made.
    pub list_calls: u64,
    /// Folders the plan did not list (digests, Insights, hidden), with why.
    pub folders_not_listed: Vec<String>,
    /// Rows whose eventTime is not a timestamp (kept, in the Hive default partition).
    pub rows_without_event_time: u64,
    pub parquet_files: u64,
    pub parquet_bytes: u64,
    /// Rows carried over from superseded files that also held objects this run did
    /// not read again (the files' rows = `rows_written + rows_carried_over`).
    pub rows_carried_over: u64,
    /// Earlier files this run replaces (listed in `supersedes`).
    pub files_superseded: u64,
    pub skipped_by_kind: BTreeMap<String, u64>,
    /// Rows written per table.
    pub rows_by_table: BTreeMap<String, u64>,
}

/// The manifest of one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunManifest {
    pub run_id: String,
    pub version: &'static str,
    pub command: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub elapsed_seconds: f64,
    pub sources: Vec<String>,
    pub out: String,
    /// The requested UTC days `[first, last]`, when a range was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<[String; 2]>,
    /// The day before `days` whose late deliveries this run completed (the lake held it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_day: Option<String>,
    /// `--principal/--event-source/--event-name` of a forensic pull.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_filter: Option<String>,
    /// With `--verify`: the integrity of the trail for the run's days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
    /// What this run finished or undid of killed runs before it.
    #[serde(skip_serializing_if = "Recovery::is_empty")]
    pub recovered: Recovery,
    pub totals: Totals,
    /// The Parquet files of the run, by final key (live once this manifest exists).
    pub files: Vec<WrittenFile>,
    /// Earlier runs' files these replace: deleted once this run's files are published.
    pub supersedes: Vec<String>,
    /// `_quarantine/` files of the run.
    pub quarantine_files: Vec<String>,
    pub objects: Vec<ObjectReport>,
}

impl RunManifest {
    /// True when some object failed or some record was quarantined.
    pub fn has_rejects(&self) -> bool {
        self.totals.objects_failed > 0 || self.totals.rows_quarantined > 0
    }

    /// What the commit protocol needs of this manifest.
    pub fn commit_record(&self) -> CommitRecord {
        CommitRecord {
            run_id: self.run_id.clone(),
            command: self.command.to_string(),
            days: self.days.clone(),
            files: self
                .files
                .iter()
                .map(|f| CommittedFile { key: f.key.clone(), partition: f.partition.clone(), rows: f.rows })
                .collect(),
            supersedes: self.supersedes.clone(),
            quarantine_files: self.quarantine_files.clone(),
            row_filter: self.row_filter.clone(),
        }
    }
}

/// One line of `_quarantine/<run-id>.jsonl`.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineEntry<'a> {
    pub source_key: &'a str,
    /// Position of the record in its object (`Records` index); absent when the whole
    /// object was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_index: Option<usize>,
    pub reason: &'a str,
    /// The rejected record as read (JSON text or log line); absent for a rejected
    /// object (it stays where it is in the source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<&'a str>,
    /// True when `raw` was cut at 1 MiB.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub raw_truncated: bool,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
