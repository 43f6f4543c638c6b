//! The ingest pipeline: list -> fetch -> decode -> sink, with bounded channels.
//!
//! ```text
//!  list by plan (async, page by page) ─► register (report; skip, prune, size limit)
//!  ─► fetch: N GETs in flight (tokio) ─► [queue within a byte budget] ─► decode
//!  workers (one per core, std threads, reusable decoders) ─► [bounded batches] ─►
//!  sink thread (partition; per row group, columns sorted and encoded on `threads`
//!  threads; multipart upload)
//!  registrations and per-object outcomes ─► this thread: reports, progress, manifest
//! ```
//! Fetching starts with the first listing page. Memory is set by the queue budgets and
//! the sink's buffer budget, not by the input size. A bad object or record never stops
//! the run; a failing listing or sink does.

use std::collections::{BTreeMap, HashSet};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use arrow::array::RecordBatch;
use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tracing::{debug, info, warn};

use crate::decode::schema::NULL_PARTITION;
use crate::decode::time::{days_from_civil, format_day};
use crate::decode::{DecodeLimits, FileVerdict, KindHint, ObjectDecoder, RowFilter, Table};
use crate::error::{Error, Result};
use crate::sink::manifest::{ObjectReport, ObjectStatus, QuarantineEntry, RunManifest, Totals};
use crate::sink::commit::{self, LakeLock, Ledger};
use crate::sink::existing;
use crate::sink::{SinkOptions, TableWriter, WrittenFile};
use crate::source::{stream_sources, ListFilter, SourceObject};
use crate::store::{is_s3, open_local_dir, open_s3, Location, S3Options};

/// GETs in flight by default. Two cores decode about 15,000 small CloudTrail files a
/// second; at 50 ms per GET that needs 750 in flight, and queueing needs more
/// (benches/fetch.rs: 53 % of the zero-latency throughput at 512, 87 % at 1024, 98 %
/// at 2048). Fetching never runs ahead of decoding by more than the byte budget, and
/// S3 SlowDown answers are retried with backoff.
pub const DEFAULT_FETCH_CONCURRENCY: usize = 2048;

/// Raises the soft open-files limit toward the hard one and returns how many GETs may
/// be in flight: each is a socket, and the default soft limit (often 1024) would
/// otherwise fail requests with "too many open files".
fn fit_concurrency_to_open_files(wanted: usize) -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            let target = limit.rlim_max.min(65_536);
            if limit.rlim_cur < target {
                let raised = libc::rlimit { rlim_cur: target, rlim_max: limit.rlim_max };
                // SAFETY: as above.
                if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                    limit.rlim_cur = target;
                }
            }
            let room = usize::try_from(limit.rlim_cur / 2).unwrap_or(usize::MAX).max(16);
            if wanted > room {
                warn!(wanted, room, "fewer GETs in flight than asked: the open-files limit is low");
                return room;
            }
        }
    }
    wanted
}

/// Everything `scan` needs, validated.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Local files or folders, or `s3://bucket/prefix`.
    pub sources: Vec<String>,
    /// Sources already opened (a library user's own store, benches).
    pub source_stores: Vec<Location>,
    /// Lake root: a local folder or `s3://bucket/prefix`.
    pub out: String,
    /// Write the lake here instead of opening `out` (a library user's own store).
    pub out_store: Option<Arc<dyn ObjectStore>>,
    /// Accounts and regions to read (all when empty).
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// How to reach S3 (endpoint, retries, the KMS key for writes).
    pub s3: S3Options,
    /// Decode workers (defaults to the number of cores).
    pub threads: usize,
    /// GETs in flight.
    pub fetch_concurrency: usize,
    /// Bytes fetched and not yet decoded, at most (one object larger than this still passes, alone).
    pub fetch_budget_bytes: usize,
    /// Objects larger than this are rejected without being read.
    pub max_object_bytes: u64,
    pub limits: DecodeLimits,
    pub sink: SinkOptions,
    /// Which decoder reads the objects (by content unless forced).
    pub kind: KindHint,
    /// Only events of these UTC days (inclusive), when set.
    pub days: Option<DayRange>,
    /// Only rows of these principals, event sources and names (forensics).
    pub rows: RowFilter,
    /// Draw a progress bar on stderr (for a person at a terminal).
    pub progress: bool,
    /// Inflate and parse only, building nothing ([`crate::decode::ObjectDecoder::parse_only`]):
    /// records are counted as read and filtered, no row is written. Give it an
    /// `out_store` of its own (an in-memory one): the run still commits a manifest.
    pub parse_only: bool,
    /// `--verify`: what the trail's digests say, recorded in the manifest (the status of
    /// each log file by key, and the summary).
    pub verification: Option<(Arc<std::collections::HashMap<String, String>>, crate::sink::manifest::Verification)>,
}

/// The progress bar: objects done of listed, bytes, rows, rate. Hidden unless asked.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    bytes: u64,
    rows: u64,
    started: Instant,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} objects  {msg}",
            ) {
                bar.set_style(style);
            }
            bar.set_message("listing sources");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self { bar, bytes: 0, rows: 0, started: Instant::now() }
    }

    /// Objects registered so far (listing streams, so the total grows).
    fn listed(&self, objects: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(objects);
        }
    }

    fn object_done(&mut self, report: &ObjectReport) {
        self.bytes += report.size_bytes;
        self.rows += report.rows_written;
        if let Some(bar) = &self.bar {
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            bar.inc(1);
            bar.set_message(format!(
                "{:.1} MB read, {} rows, {:.1} MB/s",
                self.bytes as f64 / 1e6,
                self.rows,
                self.bytes as f64 / 1e6 / secs
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// An inclusive range of UTC days, as day numbers since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: i64,
    pub last: i64,
}

impl DayRange {
    /// `[first 00:00, last+1 00:00)` in ms since the epoch: the rows kept.
    pub fn event_time_range_ms(self) -> (i64, i64) {
        (self.first * 86_400_000, (self.last + 1) * 86_400_000)
    }

    /// Whether an object delivered on `day` can hold events of the range. Logs are
    /// delivered after their events (CloudTrail within about 15 minutes, access logs
    /// within hours), so the day after the range is read too.
    pub fn may_hold(self, delivery_day: i64) -> bool {
        self.first <= delivery_day && delivery_day <= self.last + 1
    }
}

struct Fetched {
    index: usize,
    key: String,
    /// The object's event-time range, when it differs from the run's (late deliveries).
    range: Option<(i64, i64)>,
    body: std::result::Result<Bytes, String>,
    /// Its share of the fetched-bytes budget, released when decoded.
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// LIST calls in flight, at most (prefixes of one level are listed together).
const LIST_CONCURRENCY: usize = 64;

/// Reads in flight from local folders, at most.
const LOCAL_FETCH_CONCURRENCY: usize = 32;

/// Objects fetched and waiting for a decoder, at most.
const FETCHED_QUEUE: usize = 256;

/// Bytes fetched and waiting for a decoder by default: about 1.5 s of decoding on two
/// cores (CloudTrail compresses about 10x). GETs in flight are not counted; they are
/// what hides S3's latency, and they wait for room here.
pub const DEFAULT_FETCH_BUDGET_BYTES: usize = 32 << 20;
/// Decoded batches (at most about 16 MiB each) waiting for the sink, per decode worker.
const BATCHES_QUEUED_PER_DECODER: usize = 3;

/// Granularity of the fetched-bytes budget.
const BUDGET_UNIT_BYTES: usize = 64 << 10;

/// What the reports thread hears, in order per object: listed, then its outcome.
enum Event {
    Listed(Box<ObjectReport>),
    /// An object the key date rules out: not read, only counted.
    OutOfRange,
    Outcome(Outcome),
}

enum Registered {
    OutOfRange,
    /// The object's report, and whether to fetch it.
    Report(ObjectReport, bool),
}

/// Decides what happens to a listed object before anything is read.
fn register(object: &SourceObject, days: Option<DayRange>, max_object_bytes: u64) -> Registered {
    if let (Some(days), Some((y, m, d))) = (days, object.layout.date) {
        if !days.may_hold(days_from_civil(i64::from(y), m, d)) {
            return Registered::OutOfRange;
        }
    }
    let mut report = ObjectReport::new(object.key.clone(), object.size, object.e_tag.clone(), object.layout.kind);
    if let Some(reason) = &object.unreadable {
        report.reason = Some(reason.clone());
        Registered::Report(report, false)
    } else if let Some(reason) = object.layout.kind.and_then(|k| k.skip_reason()) {
        report.status = ObjectStatus::Skipped;
        report.reason = Some(reason.to_string());
        Registered::Report(report, false)
    } else if object.size > max_object_bytes {
        report.reason = Some(format!(
            "object is {} bytes, larger than the limit of {max_object_bytes} bytes (--max-object-bytes)",
            object.size
        ));
        Registered::Report(report, false)
    } else {
        Registered::Report(report, true)
    }
}

struct Outcome {
    index: usize,
    result: std::result::Result<(Table, FileVerdict), String>,
}

/// A store rooted at the lake (a local folder, created if missing, or `s3://bucket/prefix`).
///
/// # Errors
/// An unusable folder or S3 location.
pub fn open_lake_store(out: &str, s3: &S3Options) -> Result<Arc<dyn ObjectStore>> {
    if is_s3(out) {
        let location = open_s3(out, s3)?;
        Ok(if location.prefix.as_ref().is_empty() {
            location.store
        } else {
            Arc::new(PrefixStore::new(location.store, location.prefix))
        })
    } else {
        Ok(open_local_dir(std::path::Path::new(out), true)?.store)
    }
}

/// Runs phase 1 (ingest) and returns the run's manifest, also written under `_runs/`.
///
/// The run holds the lake's lock, finishes or undoes what killed runs left, stages its
/// files, commits by writing the manifest and then publishes ([`crate::sink::commit`]).
/// It supersedes the lake's earlier rows of every object it decodes again for its days,
/// and completes the day before its range with the late deliveries no run wrote yet.
///
/// # Errors
/// Fatal problems only: unreadable sources, an unwritable output, a failed write, a
/// lake locked by a live run or written with other row filters.
pub fn scan(options: &ScanOptions) -> Result<RunManifest> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let run_id = new_run_id(started_at);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("trailhound-io")
        .enable_all()
        .build()
        .map_err(|e| Error::Pipeline(format!("starting the I/O runtime: {e}")))?;
    let out_store: Arc<dyn ObjectStore> = match &options.out_store {
        Some(store) => store.clone(),
        None => open_lake_store(&options.out, &options.s3)?,
    };
    let local_root = (options.out_store.is_none() && !is_s3(&options.out)).then(|| std::path::PathBuf::from(&options.out));
    let lock = runtime.block_on(LakeLock::acquire(&out_store, &run_id))?;
    let mut committed = false;
    let run = Run { options, runtime: &runtime, store: &out_store, local_root: local_root.as_deref(), run_id: &run_id };
    let result = run.scan(started, started_at, &mut committed);
    if result.is_err() && !committed {
        // Nothing of this run is live; what it staged goes now (or at the next run).
        if let Err(e) = runtime.block_on(commit::abort(&out_store, &run_id, local_root.as_deref())) {
            warn!(error = %e, "deleting the failed run's staged files failed; the next run deletes them");
        }
    }
    if let Err(e) = runtime.block_on(lock.release()) {
        warn!(error = %e, "releasing the lake lock failed; the next run takes it over");
    }
    result
}

/// One scan run's context.
struct Run<'a> {
    options: &'a ScanOptions,
    runtime: &'a tokio::runtime::Runtime,
    store: &'a Arc<dyn ObjectStore>,
    local_root: Option<&'a std::path::Path>,
    run_id: &'a str,
}

/// The day before a run's range, when the lake holds it: objects of the run that no
/// live file of that day came from also give their events of that day (late deliveries).
struct LateDay {
    day: String,
    /// Source objects already in the day's live files.
    covered: HashSet<String>,
    /// Event times kept from an object not covered: the late day and the run's days.
    range: (i64, i64),
}

impl LateDay {
    fn range_for(&self, key: &str) -> Option<(i64, i64)> {
        (!self.covered.contains(key)).then_some(self.range)
    }
}

/// A row filter as text (the lake's rows depend on it), `None` when there is none.
fn row_filter_text(rows: &RowFilter) -> Option<String> {
    if rows.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for (name, values) in [("principal", &rows.principals), ("event-source", &rows.event_sources), ("event-name", &rows.event_names)] {
        if !values.is_empty() {
            let mut v = values.clone();
            v.sort();
            parts.push(format!("--{name} {}", v.join(",")));
        }
    }
    Some(parts.join(" "))
}

impl Run<'_> {
    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    fn scan(&self, started: Instant, started_at: chrono::DateTime<chrono::Utc>, committed: &mut bool) -> Result<RunManifest> {
        let (options, runtime, out_store, run_id) = (self.options, self.runtime, self.store, self.run_id);
        let mut ledger = self.block_on(Ledger::load(out_store))?;
        let recovery = self.block_on(commit::recover(out_store, &ledger, self.local_root))?;
        let row_filter = row_filter_text(&options.rows);
        if let Some(other) = ledger.live_scans().find(|r| r.row_filter != row_filter) {
            let describe = |f: &Option<String>| f.clone().unwrap_or_else(|| "no row filter".into());
            return Err(Error::Config(format!(
                "{} holds rows written with {} (run {}) and this run has {}: one lake, one row filter. \
                 Write a forensic pull to its own --out",
                options.out,
                describe(&other.row_filter),
                other.run_id,
                describe(&row_filter)
            )));
        }
        let late = self.late_day(&ledger)?.map(Arc::new);
        self.block_on(commit::begin(out_store, run_id))?;
        let mut progress = Progress::new(options.progress);

        // Listing streams objects to the fetcher as pages arrive; the fetcher registers
        // each object (an index and a report) before fetching it, decode workers report
        // outcomes by that index, and this thread keeps the reports.
        let (list_tx, mut list_rx) = tokio::sync::mpsc::unbounded_channel::<SourceObject>();
        let lister = {
            let filter = ListFilter { days: options.days, accounts: options.accounts.clone(), regions: options.regions.clone() };
            let concurrency = options.fetch_concurrency.clamp(1, LIST_CONCURRENCY);
            let (sources, opened, s3) = (options.sources.clone(), options.source_stores.clone(), options.s3.clone());
            runtime.spawn(async move { stream_sources(&sources, &opened, &filter, &s3, concurrency, list_tx).await })
        };

        let threads = options.threads.max(1);
        let (fetch_tx, fetch_rx) = tokio::sync::mpsc::channel::<Fetched>(FETCHED_QUEUE);
        let budget_units = u32::try_from(options.fetch_budget_bytes.div_ceil(BUDGET_UNIT_BYTES).max(1)).unwrap_or(u32::MAX >> 3);
        let budget = Arc::new(tokio::sync::Semaphore::new(budget_units as usize));
        // Room for the decoders to go on while the sink sorts and encodes a row group: with
        // one slot per decoder they stalled then (2 GB on 2 cores: 6.5 s; 3 per decoder: 5.8 s,
        // the same peak RSS; 6 per decoder: no faster, 150 MiB more).
        let (batch_tx, batch_rx) = mpsc::sync_channel::<(Table, RecordBatch)>(threads * BATCHES_QUEUED_PER_DECODER);
        let (event_tx, event_rx) = mpsc::channel::<Event>();

        // A local folder is read with blocking file I/O on tokio's blocking pool: a few
        // dozen reads in flight saturate a disk; hundreds would only add threads and files.
        let all_local = options.source_stores.is_empty() && !options.sources.iter().any(|s| is_s3(s));
        let concurrency = if all_local {
            options.fetch_concurrency.clamp(1, LOCAL_FETCH_CONCURRENCY)
        } else {
            fit_concurrency_to_open_files(options.fetch_concurrency.max(1))
        };
        let fetcher = {
            let event_tx = event_tx.clone();
            let (days, max_object_bytes) = (options.days, options.max_object_bytes);
            let late = late.clone();
            let statuses = options.verification.as_ref().map(|(s, _)| s.clone());
            runtime.spawn(async move {
                let mut next_index = 0;
                let objects = futures::stream::poll_fn(move |cx| list_rx.poll_recv(cx));
                let to_fetch = objects.filter_map(|object| {
                    let out = match register(&object, days, max_object_bytes) {
                        Registered::OutOfRange => {
                            let _ = event_tx.send(Event::OutOfRange);
                            None
                        }
                        Registered::Report(mut report, fetch) => {
                            if let Some(statuses) = &statuses {
                                report.verification = statuses.get(&report.key).cloned();
                            }
                            let index = next_index;
                            next_index += 1;
                            let _ = event_tx.send(Event::Listed(Box::new(report)));
                            fetch.then_some((index, object))
                        }
                    };
                    futures::future::ready(out)
                });
                let mut results = to_fetch
                    .map(|(index, object)| {
                        let range = late.as_ref().and_then(|l| l.range_for(&object.key));
                        async move {
                            let body = fetch(&object, max_object_bytes).await;
                            crate::failpoint::hit("fetched");
                            Fetched { index, key: object.key, body, range, permit: None }
                        }
                    })
                    .buffer_unordered(concurrency);
                while let Some(mut fetched) = results.next().await {
                    // Fetched bytes wait for a decoder within a byte budget, so a burst of
                    // large objects cannot grow memory; the permit returns after decoding.
                    let size = fetched.body.as_ref().map_or(0, Bytes::len);
                    let units = u32::try_from(size.div_ceil(BUDGET_UNIT_BYTES).clamp(1, budget_units as usize)).unwrap_or(budget_units);
                    match budget.clone().acquire_many_owned(units).await {
                        Ok(permit) => fetched.permit = Some(permit),
                        Err(_) => break,
                    }
                    if fetch_tx.send(fetched).await.is_err() {
                        break;
                    }
                }
            })
        };

        let fetch_rx = Arc::new(Mutex::new(fetch_rx));
        let mut workers = Vec::with_capacity(threads);
        for n in 0..threads {
            let fetch_rx = fetch_rx.clone();
            let batch_tx = batch_tx.clone();
            let event_tx = event_tx.clone();
            let limits = DecodeLimits {
                event_time_range_ms: options.days.map(DayRange::event_time_range_ms),
                ..options.limits
            };
            let (hint, parse_only) = (options.kind, options.parse_only);
            let row_filter = Arc::new(options.rows.clone());
            let worker = std::thread::Builder::new()
                .name(format!("trailhound-decode-{n}"))
                .stack_size(16 << 20)
                .spawn(move || {
                    if parse_only {
                        parse_worker(&fetch_rx, &event_tx, limits);
                    } else {
                        decode_worker(&fetch_rx, &batch_tx, &event_tx, limits, row_filter, hint);
                    }
                })
                .map_err(|e| Error::Pipeline(format!("starting a decode worker: {e}")))?;
            workers.push(worker);
        }
        drop(batch_tx);
        drop(event_tx);

        let mut writers = BTreeMap::new();
        for table in Table::ALL {
            let writer = TableWriter::for_table(out_store.clone(), table, run_id, options.sink.clone(), runtime.handle().clone())?.staged();
            writers.insert(table, writer);
        }
        let max_buffered_bytes = options.sink.max_buffered_bytes;
        let sink = std::thread::Builder::new()
            .name("trailhound-sink".into())
            .spawn(move || -> Result<BTreeMap<Table, TableWriter>> {
                for (table, batch) in batch_rx {
                    if let Some(writer) = writers.get_mut(&table) {
                        writer.push(batch)?;
                    }
                    crate::sink::enforce_shared_budget(writers.values_mut(), max_buffered_bytes)?;
                }
                Ok(writers)
            })
            .map_err(|e| Error::Pipeline(format!("starting the sink: {e}")))?;

        let mut reports: Vec<ObjectReport> = Vec::new();
        let mut quarantine = QuarantineWriter {
            store: out_store.clone(),
            run_id: run_id.to_string(),
            buffer: String::new(),
            keys: Vec::new(),
            runtime: runtime.handle().clone(),
        };
        let mut objects_out_of_range = 0;
        for event in event_rx {
            match event {
                Event::Listed(report) => {
                    reports.push(*report);
                    progress.listed(reports.len() as u64);
                }
                Event::OutOfRange => objects_out_of_range += 1,
                Event::Outcome(outcome) => {
                    let report = &mut reports[outcome.index];
                    apply_outcome(report, outcome.result, &mut quarantine)?;
                    progress.object_done(report);
                }
            }
        }
        progress.finish();
        for worker in workers {
            worker.join().map_err(|_| Error::Pipeline("a decode worker panicked".into()))?;
        }
        let mut writers = sink.join().map_err(|_| Error::Pipeline("the sink panicked".into()))??;
        runtime
            .block_on(fetcher)
            .map_err(|e| Error::Pipeline(format!("the fetcher stopped: {e}")))?;
        let listing = runtime
            .block_on(lister)
            .map_err(|e| Error::Pipeline(format!("the lister stopped: {e}")))??;
        info!(objects = reports.len(), ignored = listing.num_ignored, list_calls = listing.list_calls, "listed sources");
        reports.sort_by(|a, b| a.key.cmp(&b.key));

        let (supersedes, rows_copied) = self.supersede(&ledger, &reports, &mut writers)?;
        let mut files = Vec::new();
        for writer in writers.into_values() {
            files.extend(writer.finish()?);
        }

        for report in &reports {
            if report.status == ObjectStatus::Failed {
                let reason = report.reason.as_deref().unwrap_or("unknown");
                quarantine.push(&QuarantineEntry {
                    source_key: &report.key,
                    record_index: None,
                    reason,
                    raw: None,
                    raw_truncated: false,
                })?;
            }
        }
        quarantine.flush()?;

        let mut totals = totals(&reports, &files, listing.num_ignored);
        totals.objects_out_of_range = objects_out_of_range;
        totals.list_calls = listing.list_calls;
        totals.rows_carried_over = rows_copied;
        totals.files_superseded = supersedes.len() as u64;
        totals.folders_not_listed = listing
            .folders_not_listed
            .iter()
            .map(|(folder, reason)| format!("{folder}: {reason}"))
            .collect();
        let manifest = RunManifest {
            run_id: run_id.to_string(),
            version: env!("CARGO_PKG_VERSION"),
            command: "scan",
            started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            elapsed_seconds: started.elapsed().as_secs_f64(),
            sources: options.sources.clone(),
            out: options.out.clone(),
            days: options.days.map(|d| [format_day(d.first), format_day(d.last)]),
            late_day: late.as_ref().map(|l| l.day.clone()),
            verification: options.verification.as_ref().map(|(_, v)| v.clone()),
            row_filter,
            recovered: recovery,
            totals,
            files,
            supersedes,
            quarantine_files: quarantine.keys,
            objects: reports,
        };
        debug!(run_id, "manifest ready");
        let key = format!("{}/{run_id}.json", commit::RUNS);
        commit::commit_streamed(out_store, &key, &manifest, runtime.handle())?;
        *committed = true;
        let record = manifest.commit_record();
        self.block_on(commit::publish(out_store, &record, self.local_root))?;
        ledger.add(&key, record);
        if let Err(e) = self.block_on(ledger.save_checkpoint(out_store)) {
            warn!(error = %e, "writing the ledger checkpoint failed; the next run reads the manifests");
        }
        Ok(manifest)
    }

    /// The late day of the run, when the lake owns it (see [`LateDay`]).
    fn late_day(&self, ledger: &Ledger) -> Result<Option<LateDay>> {
        let Some(days) = self.options.days else { return Ok(None) };
        let day = days.first - 1;
        let name = format_day(day);
        if !ledger.owns_day(&name) {
            return Ok(None);
        }
        let mut covered = HashSet::new();
        for table in Table::ALL {
            for key in ledger.files_in(table.name(), &name) {
                covered.extend(self.block_on(existing::source_keys(self.store, key))?);
            }
        }
        debug!(day = name, objects = covered.len(), "late day: objects already written");
        Ok(Some(LateDay { day: name, covered, range: (day * 86_400_000, (days.last + 1) * 86_400_000) }))
    }

    /// Supersedes the live files holding rows of objects this run decoded again for the
    /// days it rewrites (its range and the null partition; every day without a range).
    /// A file that also holds other objects' rows has those carried over into this
    /// run's files first. Returns the superseded keys and the rows carried over.
    fn supersede(
        &self,
        ledger: &Ledger,
        reports: &[ObjectReport],
        writers: &mut BTreeMap<Table, TableWriter>,
    ) -> Result<(Vec<String>, u64)> {
        let decoded: HashSet<String> =
            reports.iter().filter(|r| r.status == ObjectStatus::Decoded).map(|r| r.key.clone()).collect();
        let mut superseded = Vec::new();
        let mut carried = 0;
        if decoded.is_empty() {
            return Ok((superseded, carried));
        }
        let range = self.options.days.map(|d| (format_day(d.first), format_day(d.last)));
        let rewritten = |partition: &str| match &range {
            None => true,
            Some((first, last)) => partition == NULL_PARTITION || (first.as_str() <= partition && partition <= last.as_str()),
        };
        for table in Table::ALL {
            let schema = table.schema();
            let keys: Vec<&String> =
                ledger.live.iter().filter(|(_, f)| f.table == table.name() && rewritten(&f.partition)).map(|(k, _)| k).collect();
            for key in keys {
                let sources = self.block_on(existing::source_keys(self.store, key))?;
                if sources.is_disjoint(&decoded) {
                    continue;
                }
                if !sources.is_subset(&decoded) {
                    let Some(writer) = writers.get_mut(&table) else { continue };
                    let mut carry = self.block_on(existing::CarryOver::open(self.store, key, &schema))?;
                    while let Some(batch) = self.block_on(carry.next(&decoded, &schema))? {
                        carried += batch.num_rows() as u64;
                        writer.push(batch)?;
                    }
                }
                superseded.push(key.clone());
            }
        }
        if !superseded.is_empty() {
            info!(files = superseded.len(), rows_carried_over = carried, "superseding earlier files of the objects read again");
        }
        Ok((superseded, carried))
    }
}

/// GETs one object whole. object_store retries throttling, 5xx, timeouts and
/// resets, and resumes a body cut short with a range request; what still fails, or
/// comes back other than listed, is this object's reason.
async fn fetch(object: &SourceObject, max_object_bytes: u64) -> std::result::Result<Bytes, String> {
    let reply = match object.store.get(&object.location).await {
        Ok(reply) => reply,
        Err(object_store::Error::NotFound { .. }) => {
            return Err("the object was listed but is gone: deleted before it was read (NotFound)".into())
        }
        Err(e) => return Err(format!("fetching the object failed: {}", crate::store::error_summary(&e))),
    };
    let (size, e_tag) = (reply.meta.size, reply.meta.e_tag.clone());
    if size > max_object_bytes {
        return Err(format!(
            "object is {size} bytes, larger than the limit of {max_object_bytes} bytes (--max-object-bytes)"
        ));
    }
    if let (Some(listed), Some(now)) = (&object.e_tag, &e_tag) {
        if listed != now {
            return Err(format!("the object changed between listing and reading (ETag {listed}, now {now})"));
        }
    }
    let body = reply.bytes().await.map_err(|e| format!("reading the object failed: {}", crate::store::error_summary(&e)))?;
    if body.len() as u64 != object.size {
        return Err(format!(
            "read {} bytes, but the object is {} bytes: the body was cut short or the object changed",
            body.len(),
            object.size
        ));
    }
    Ok(body)
}

fn decode_worker(
    fetch_rx: &Mutex<tokio::sync::mpsc::Receiver<Fetched>>,
    batch_tx: &mpsc::SyncSender<(Table, RecordBatch)>,
    event_tx: &mpsc::Sender<Event>,
    limits: DecodeLimits,
    row_filter: Arc<RowFilter>,
    hint: KindHint,
) {
    let mut decoder = ObjectDecoder::new(limits).with_filter(row_filter);
    loop {
        let next = match fetch_rx.lock() {
            Ok(mut rx) => rx.blocking_recv(),
            Err(_) => None,
        };
        let Some(Fetched { index, key, body, range, permit }) = next else { break };
        decoder.set_event_time_range(range.or(limits.event_time_range_ms));
        let result = body.and_then(|bytes| decoder.decode(&key, &bytes, hint).map_err(|e| e.to_string()));
        drop(permit);
        match &result {
            Ok((_, FileVerdict::Events { damage: Some(damage), quarantined, .. })) => {
                warn!(key, damage, quarantined = quarantined.len(), "object damaged: its good records are kept, the rest quarantined");
            }
            Ok(verdict) => debug!(key, ?verdict, "decoded"),
            Err(error) => warn!(key, error, "object rejected"),
        }
        for batch in decoder.take_batches() {
            if batch_tx.send(batch).is_err() {
                return;
            }
        }
        if event_tx.send(Event::Outcome(Outcome { index, result })).is_err() {
            return;
        }
    }
    match decoder.finish() {
        Ok(batches) => {
            for batch in batches {
                if batch_tx.send(batch).is_err() {
                    return;
                }
            }
        }
        Err(e) => warn!(error = %e, "finishing the decoder's last batch failed"),
    }
}

/// [`decode_worker`] for `--parse-only`: inflates and parses, builds nothing. Every
/// record is counted as read and filtered out, so the manifest still adds up.
fn parse_worker(fetch_rx: &Mutex<tokio::sync::mpsc::Receiver<Fetched>>, event_tx: &mpsc::Sender<Event>, limits: DecodeLimits) {
    let mut decoder = ObjectDecoder::new(limits);
    loop {
        let next = match fetch_rx.lock() {
            Ok(mut rx) => rx.blocking_recv(),
            Err(_) => None,
        };
        let Some(Fetched { index, body, permit, .. }) = next else { break };
        let result = body.and_then(|bytes| {
            let compression = if crate::decode::compression::is_gzip(&bytes) {
                crate::decode::compression::Compression::Gzip
            } else {
                crate::decode::compression::Compression::None
            };
            let (table, records, decompressed_bytes) = decoder.parse_only(&bytes).map_err(|e| e.to_string())?;
            let verdict = FileVerdict::Events {
                records,
                quarantined: crate::decode::QuarantineLog::default(),
                out_of_range: 0,
                filtered: records,
                compression,
                decompressed_bytes,
                damage: None,
            };
            Ok((table, verdict))
        });
        drop(permit);
        if event_tx.send(Event::Outcome(Outcome { index, result })).is_err() {
            return;
        }
    }
}

fn apply_outcome(
    report: &mut ObjectReport,
    result: std::result::Result<(Table, FileVerdict), String>,
    quarantine: &mut QuarantineWriter,
) -> Result<()> {
    if let Ok((table, FileVerdict::Events { .. })) = &result {
        report.table = Some(*table);
    }
    match result.map(|(_, verdict)| verdict) {
        Ok(FileVerdict::Events { records, quarantined, out_of_range, filtered, compression, decompressed_bytes, damage }) => {
            report.status = ObjectStatus::Decoded;
            report.reason = damage;
            report.compression = Some(compression);
            report.decompressed_bytes = decompressed_bytes;
            report.records_read = records;
            report.rows_quarantined = quarantined.len();
            report.rows_out_of_range = out_of_range;
            report.rows_filtered = filtered;
            report.rows_written = records - report.rows_quarantined - out_of_range - filtered;
            report.quarantine_raw_omitted = quarantined.len() - quarantined.kept.len() as u64;
            report.quarantine_reasons = quarantined.by_reason;
            for q in &quarantined.kept {
                quarantine.push(&QuarantineEntry {
                    source_key: &report.key,
                    record_index: Some(q.index),
                    reason: &q.reason,
                    raw: Some(&q.raw),
                    raw_truncated: q.raw_truncated,
                })?;
            }
        }
        Ok(FileVerdict::Digest) => {
            report.status = ObjectStatus::Skipped;
            report.reason = Some("CloudTrail digest file (recognised by content)".into());
        }
        Ok(FileVerdict::NotCloudTrail { reason }) => {
            report.status = ObjectStatus::Skipped;
            report.reason = Some(reason);
        }
        Err(reason) => {
            report.status = ObjectStatus::Failed;
            report.reason = Some(reason);
        }
    }
    Ok(())
}

/// `_quarantine/<run-id>-<n>.jsonl`, written in parts so that memory stays bounded
/// however many records a run rejects.
struct QuarantineWriter {
    store: Arc<dyn ObjectStore>,
    run_id: String,
    buffer: String,
    /// Final keys of the parts written (staged until the run commits).
    keys: Vec<String>,
    runtime: tokio::runtime::Handle,
}

impl QuarantineWriter {
    const PART_BYTES: usize = 32 << 20;

    fn push(&mut self, entry: &QuarantineEntry<'_>) -> Result<()> {
        if let Ok(line) = serde_json::to_string(entry) {
            self.buffer.push_str(&line);
            self.buffer.push('\n');
        }
        if self.buffer.len() >= Self::PART_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let key = format!("_quarantine/{}-{:04}.jsonl", self.run_id, self.keys.len());
        let staged = commit::staged_key(&self.run_id, &key);
        let body = PutPayload::from(std::mem::take(&mut self.buffer));
        self.runtime
            .block_on(self.store.put(&Path::from(staged.as_str()), body))
            .map_err(|e| Error::Output { location: staged, source: e })?;
        self.keys.push(key);
        Ok(())
    }
}

fn totals(reports: &[ObjectReport], files: &[WrittenFile], ignored: u64) -> Totals {
    let mut t = Totals { objects_listed: reports.len() as u64, files_ignored: ignored, ..Totals::default() };
    let mut skipped: BTreeMap<String, u64> = BTreeMap::new();
    for r in reports {
        match r.status {
            ObjectStatus::Decoded => t.objects_decoded += 1,
            ObjectStatus::Skipped => {
                t.objects_skipped += 1;
                let kind = match r.kind {
                    Some(k) => serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    None if r.reason.as_deref().is_some_and(|s| s.contains("digest")) => "digest".into(),
                    None => "not-cloudtrail".into(),
                };
                *skipped.entry(kind).or_default() += 1;
            }
            ObjectStatus::Failed => t.objects_failed += 1,
        }
        if r.status == ObjectStatus::Decoded {
            t.bytes_read += r.size_bytes;
        }
        t.decompressed_bytes += r.decompressed_bytes;
        t.records_read += r.records_read;
        t.rows_written += r.rows_written;
        if let Some(table) = r.table {
            *t.rows_by_table.entry(table.name().to_string()).or_default() += r.rows_written;
        }
        t.rows_quarantined += r.rows_quarantined;
        t.rows_out_of_range += r.rows_out_of_range;
        t.rows_filtered += r.rows_filtered;
    }
    t.skipped_by_kind = skipped;
    t.parquet_files = files.len() as u64;
    t.parquet_bytes = files.iter().map(|f| f.bytes).sum();
    t.rows_without_event_time =
        files.iter().filter(|f| f.partition == NULL_PARTITION).map(|f| f.rows).sum();
    t
}

pub fn new_run_id(now: chrono::DateTime<chrono::Utc>) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now.timestamp_nanos_opt().unwrap_or_default() as u128);
    h.write_u32(std::process::id());
    format!("{}-{:08x}", now.format("%Y%m%dT%H%M%SZ"), h.finish() as u32)
}
