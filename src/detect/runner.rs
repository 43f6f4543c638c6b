//! One detection run over a lake: plan, read the run's days (and history), write the
//! new findings under `<lake>/findings/dt=YYYY-MM-DD/` and a record under `_runs/`.

use std::sync::Arc;

use object_store::ObjectStore;

use super::config::{RunWindow, SiteConfig};
use super::lake::{self, LakeLocation};
use super::{DetectReport, DetectionSet};
use crate::error::{Error, Result};
use crate::pipeline::DayRange;
use crate::sink::commit::{self, CommitRecord, CommittedFile, LakeLock, Ledger};
use crate::sink::{SinkOptions, TableWriter, WrittenFile};
use crate::store::{is_s3, S3Options};

/// Everything a detection run needs.
#[derive(Clone)]
pub struct DetectOptions {
    /// The lake: a folder or `s3://bucket/prefix`.
    pub lake: String,
    pub s3: S3Options,
    /// The UTC days the run covers.
    pub days: DayRange,
    pub config: SiteConfig,
    pub set: DetectionSet,
    pub threads: usize,
    /// Write new findings to the lake (off: only report them).
    pub write: bool,
    /// Names the findings files and the run record.
    pub run_id: String,
    /// Where findings are written (a store rooted at the lake); opened from `lake` when `None`.
    pub out_store: Option<Arc<dyn ObjectStore>>,
}

/// A finished detection run.
#[derive(Debug)]
pub struct DetectOutcome {
    pub report: DetectReport,
    /// Findings of the run that were not in the lake before (and were written).
    pub new_findings: usize,
    pub files: Vec<WrittenFile>,
    pub window: RunWindow,
    /// Days of history the history rules wait for.
    pub min_history_days: i64,
    /// Whether new findings were written (not with `--no-write`).
    pub written: bool,
}

#[derive(serde::Serialize)]
struct DetectRecord<'a> {
    run_id: &'a str,
    command: &'static str,
    version: &'static str,
    days: [String; 2],
    detections_run: usize,
    waiting_for_history: &'a [String],
    waiting_for_config: &'a [String],
    history_days_available: i64,
    findings: usize,
    new_findings: usize,
    elapsed_seconds: f64,
    /// Seconds per detection, slowest first.
    timings: &'a [(String, f64, usize)],
    files: &'a [WrittenFile],
}

/// Runs the pack over the lake for `options.days`.
///
/// Reads only the lake's live files. Writing, it holds the lake's lock, finishes what
/// killed runs left, and commits its findings like a scan (see [`crate::sink::commit`]).
///
/// # Errors
/// A query that fails to plan or run (naming its file), an unreadable lake, a failed
/// write, a lake locked by a live run.
pub fn detect_lake(options: &DetectOptions) -> Result<DetectOutcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads.max(1))
        .thread_name("trailhound-detect")
        .enable_all()
        .build()
        .map_err(|e| Error::Pipeline(format!("starting the detection runtime: {e}")))?;
    let mut location = LakeLocation::open(&options.lake, &options.s3)?;
    let store = match &options.out_store {
        Some(s) => s.clone(),
        None => location.lake_store(),
    };
    let local_root = (options.out_store.is_none() && !is_s3(&options.lake)).then(|| std::path::PathBuf::from(&options.lake));
    if !options.write {
        let ledger = runtime.block_on(Ledger::load(&store))?;
        location.ledger = Some(Arc::new(ledger));
        return run_and_write(options, &runtime, &location, &store, None);
    }
    let lock = runtime.block_on(LakeLock::acquire(&store, &options.run_id))?;
    let result = (|| {
        let ledger = runtime.block_on(Ledger::load(&store))?;
        runtime.block_on(commit::recover(&store, &ledger, local_root.as_deref()))?;
        location.ledger = Some(Arc::new(ledger));
        run_and_write(options, &runtime, &location, &store, local_root.as_deref())
    })();
    if let Err(e) = runtime.block_on(lock.release()) {
        tracing::warn!(error = %e, "releasing the lake lock failed; the next run takes it over");
    }
    result
}

fn run_and_write(
    options: &DetectOptions,
    runtime: &tokio::runtime::Runtime,
    location: &LakeLocation,
    store: &Arc<dyn ObjectStore>,
    local_root: Option<&std::path::Path>,
) -> Result<DetectOutcome> {
    let config = &options.config;
    let mut window = RunWindow {
        start_ms: options.days.first * 86_400_000,
        end_ms: (options.days.last + 1) * 86_400_000,
        history_days_available: 0,
    };
    let (report, existing) = runtime.block_on(async {
        let mut history_days = Vec::new();
        for table in ["cloudtrail", "s3_access"] {
            history_days.extend(lake::partition_days(&location.partitions(table).await?));
        }
        window.history_days_available = lake::history_days_available(&window, config.history.days, history_days);
        let ctx = super::new_context(options.threads);
        lake::register_lake(&ctx, location, "lake_")?;
        lake::register_windows(&ctx, &window, config.history.days).await?;
        config.register(&ctx, &window)?;
        let report = super::run(&ctx, &options.set, &window, config).await?;
        let existing = super::existing_finding_ids(&ctx, &window).await?;
        Ok::<_, Error>((report, existing))
    })?;

    let new: Vec<super::Finding> = report.findings.iter().filter(|f| !existing.contains(&f.finding_id)).cloned().collect();
    let mut files = Vec::new();
    if options.write {
        let days = [crate::decode::time::format_day(options.days.first), crate::decode::time::format_day(options.days.last)];
        let staged = || -> Result<Vec<WrittenFile>> {
            if new.is_empty() {
                return Ok(Vec::new());
            }
            runtime.block_on(commit::begin(store, &options.run_id))?;
            let mut writer = TableWriter::try_new(
                store.clone(),
                "findings",
                &options.run_id,
                super::findings_schema(),
                "window_start",
                SinkOptions::default(),
                runtime.handle().clone(),
            )?
            .staged();
            writer.push(super::findings_batch(&new)?)?;
            writer.finish()
        };
        files = match staged() {
            Ok(files) => files,
            Err(e) => {
                let _ = runtime.block_on(commit::abort(store, &options.run_id, local_root));
                return Err(e);
            }
        };
        let record = DetectRecord {
            run_id: &options.run_id,
            command: "detect",
            version: env!("CARGO_PKG_VERSION"),
            days: days.clone(),
            detections_run: report.num_detections,
            waiting_for_history: &report.waiting_for_history,
            waiting_for_config: &report.waiting_for_config,
            history_days_available: window.history_days_available,
            findings: report.findings.len(),
            new_findings: new.len(),
            elapsed_seconds: report.elapsed_seconds,
            timings: &report.timings,
            files: &files,
        };
        let key = format!("{}/{}.detect.json", commit::RUNS, options.run_id);
        let body = serde_json::to_vec_pretty(&record).map_err(|e| Error::Manifest { location: key.clone(), source: e })?;
        runtime.block_on(commit::commit(store, &key, body))?;
        let committed = CommitRecord {
            run_id: options.run_id.clone(),
            command: "detect".into(),
            days: Some(days),
            files: files.iter().map(|f| CommittedFile { key: f.key.clone(), partition: f.partition.clone(), rows: f.rows }).collect(),
            supersedes: Vec::new(),
            quarantine_files: Vec::new(),
            row_filter: None,
        };
        if !files.is_empty() {
            runtime.block_on(commit::publish(store, &committed, local_root))?;
        }
        if let Some(ledger) = &location.ledger {
            let mut ledger = Ledger::clone(ledger);
            ledger.add(&key, committed);
            if let Err(e) = runtime.block_on(ledger.save_checkpoint(store)) {
                tracing::warn!(error = %e, "writing the ledger checkpoint failed; the next run reads the manifests");
            }
        }
    }
    Ok(DetectOutcome { report, new_findings: new.len(), files, window, min_history_days: config.history.min_days, written: options.write })
}
