//! `trailhound detections test`: every rule on its fixtures.
//!
//! `testdata/detections/<id>/` holds `fire.json` (CloudTrail `{"Records":[...]}`) or
//! `fire.log` (access-log lines): events that must fire the rule; `near-miss.json|log`:
//! events that look alike and must not; optionally `history.json|log` (events before the
//! run, for history rules) and `config.toml` (a site config for the rule). Each rule runs
//! three times, each in a fresh session over in-memory tables decoded by the real decoder:
//! 1. fire (+ history): at least one finding;
//! 2. near-miss (+ history): no finding;
//! 3. fire + near-miss (+ history): the same number of findings as (1), and every event
//!    id they name comes from `fire` (a near miss never contaminates a finding).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use arrow::array::{AsArray, RecordBatch};

use super::config::{RunWindow, SiteConfig};
use super::lake::{self, MemoryLake};
use super::{Detection, DetectionSet};
use crate::decode::{DecodeLimits, FileVerdict, KindHint, ObjectDecoder, Table};
use crate::error::{Error, Result};

/// The result of one rule on its fixtures.
#[derive(Debug, Clone)]
pub struct FixtureOutcome {
    pub id: String,
    /// Findings on `fire` alone.
    pub fired: usize,
    /// Empty when the rule passed.
    pub failures: Vec<String>,
}

/// One fixture file decoded.
#[derive(Debug, Default, Clone)]
struct Events {
    lake: MemoryLake,
    /// `eventid` (CloudTrail) or `requestid` (access logs) of every record.
    ids: HashSet<String>,
}

fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    ["json", "log", "json.gz"].iter().map(|ext| dir.join(format!("{stem}.{ext}"))).find(|p| p.is_file())
}

fn decode_file(path: &Path) -> Result<Events> {
    let raw = std::fs::read(path).map_err(|e| Error::Source { path: path.to_path_buf(), source: e })?;
    decode_raw(&path.display().to_string(), &raw)
}

fn decode_raw(key: &str, raw: &[u8]) -> Result<Events> {
    let mut decoder = ObjectDecoder::new(DecodeLimits::default());
    let key = key.to_string();
    let bad = |reason: String| Error::Detection { file: key.clone(), reason };
    let (_, verdict) = decoder.decode(&key, raw, KindHint::Auto).map_err(|e| bad(e.to_string()))?;
    match verdict {
        FileVerdict::Events { quarantined, .. } if !quarantined.is_empty() => {
            return Err(bad(format!("{} records of the fixture were quarantined", quarantined.len())))
        }
        FileVerdict::Events { .. } => {}
        other => return Err(bad(format!("not an events file: {other:?}"))),
    }
    let mut batches = decoder.take_batches();
    batches.extend(decoder.finish().map_err(|e| bad(e.to_string()))?);
    let mut events = Events::default();
    for (table, batch) in batches {
        collect_ids(table, &batch, &mut events.ids);
        match table {
            Table::CloudTrail => events.lake.cloudtrail.push(batch),
            Table::S3Access => events.lake.s3_access.push(batch),
        }
    }
    Ok(events)
}

fn collect_ids(table: Table, batch: &RecordBatch, ids: &mut HashSet<String>) {
    let column = match table {
        Table::CloudTrail => "eventid",
        Table::S3Access => "requestid",
    };
    if let Some(c) = batch.column_by_name(column) {
        ids.extend(c.as_string::<i32>().iter().flatten().map(str::to_string));
    }
}

fn union(parts: &[&MemoryLake]) -> MemoryLake {
    let mut out = MemoryLake::default();
    for p in parts {
        out.cloudtrail.extend(p.cloudtrail.iter().cloned());
        out.s3_access.extend(p.s3_access.iter().cloned());
    }
    out
}

async fn run_case(d: &Detection, config: &SiteConfig, window: &RunWindow, lake_data: &MemoryLake) -> Result<Vec<super::Finding>> {
    let set = DetectionSet { detections: vec![d.clone()] };
    Ok(run_on_memory(&set, config, window, lake_data).await?.findings)
}

/// Runs `set` over in-memory tables for `window` (fixtures, corpus checks).
///
/// # Errors
/// A query that fails.
pub async fn run_on_memory(set: &DetectionSet, config: &SiteConfig, window: &RunWindow, lake_data: &MemoryLake) -> Result<super::DetectReport> {
    let ctx = super::new_context(1);
    lake::register_memory(&ctx, lake_data)?;
    lake::register_windows(&ctx, window, config.history.days).await?;
    config.register(&ctx, window)?;
    super::run(&ctx, set, window, config).await
}

/// Decodes one CloudTrail or access-log document (plain or gzip) into memory tables.
///
/// # Errors
/// An unreadable document, or one with quarantined records.
pub fn decode_bytes(name: &str, raw: &[u8]) -> Result<MemoryLake> {
    Ok(decode_raw(name, raw)?.lake)
}

/// Runs every detection of `set` on its fixtures under `dir`.
///
/// # Errors
/// Only an unreadable fixtures folder; a rule's own problems are in its outcome.
pub async fn run_fixtures(set: &DetectionSet, dir: &Path, base: &SiteConfig) -> Result<Vec<FixtureOutcome>> {
    let mut out = Vec::new();
    for d in &set.detections {
        out.push(match test_one(d, &dir.join(&d.id), base).await {
            Ok(outcome) => outcome,
            Err(e) => FixtureOutcome { id: d.id.clone(), fired: 0, failures: vec![e.to_string()] },
        });
    }
    Ok(out)
}

async fn test_one(d: &Detection, dir: &Path, base: &SiteConfig) -> Result<FixtureOutcome> {
    let missing = |what: &str| Error::Detection {
        file: d.path.clone(),
        reason: format!("no fixture {what}.json or {what}.log in {}", dir.display()),
    };
    let fire = decode_file(&find_file(dir, "fire").ok_or_else(|| missing("fire"))?)?;
    let near = decode_file(&find_file(dir, "near-miss").ok_or_else(|| missing("near-miss"))?)?;
    let history = match find_file(dir, "history") {
        Some(p) => decode_file(&p)?,
        None => Events::default(),
    };
    let config = match dir.join("config.toml") {
        p if p.is_file() => SiteConfig::from_file(&p)?,
        _ => base.clone(),
    };
    let unset: Vec<&str> = d.requires.iter().map(String::as_str).filter(|r| !config.list_is_set(r)).collect();
    if !unset.is_empty() {
        // The rule would not run: say why rather than "no finding".
        return Ok(FixtureOutcome { id: d.id.clone(), fired: 0, failures: vec![format!("requires {}: set it in the fixtures' config.toml", unset.join(", "))] });
    }
    let mut days = fire.lake.days();
    days.extend(near.lake.days());
    let (Some(first), Some(last)) = (days.iter().min().copied(), days.iter().max().copied()) else {
        return Err(Error::Detection { file: d.path.clone(), reason: "fixtures hold no event with a time".into() });
    };
    let mut window = RunWindow { start_ms: first * 86_400_000, end_ms: (last + 1) * 86_400_000, history_days_available: 0 };
    window.history_days_available = lake::history_days_available(&window, config.history.days, history.lake.days());

    let mut failures = Vec::new();
    let fired = run_case(d, &config, &window, &union(&[&fire.lake, &history.lake])).await?;
    if fired.is_empty() {
        failures.push("fire: no finding".to_string());
    }
    let quiet = run_case(d, &config, &window, &union(&[&near.lake, &history.lake])).await?;
    if !quiet.is_empty() {
        let ids: Vec<String> = quiet.iter().flat_map(|f| f.event_ids.clone()).collect();
        failures.push(format!("near-miss: {} findings (events {})", quiet.len(), ids.join(", ")));
    }
    let both = run_case(d, &config, &window, &union(&[&fire.lake, &near.lake, &history.lake])).await?;
    if both.len() != fired.len() {
        failures.push(format!("fire + near-miss: {} findings, fire alone {}", both.len(), fired.len()));
    }
    for f in &both {
        for id in &f.event_ids {
            if !fire.ids.contains(id) {
                failures.push(format!("fire + near-miss: finding names event {id}, which is not in fire"));
            }
        }
    }
    Ok(FixtureOutcome { id: d.id.clone(), fired: fired.len(), failures })
}
