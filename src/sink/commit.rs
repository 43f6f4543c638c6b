//! The lake's commit protocol: nothing lost, nothing doubled, nothing half visible.
//!
//! A run that writes the lake (`scan`, `detect`):
//! 1. takes the lake's lock `_runs/_lock` ([`LakeLock`]), finishes or undoes the runs
//!    before it that stopped half way ([`recover`]), and reads the [`Ledger`];
//! 2. writes a `_staging/<run-id>/_pending` marker, then every file under
//!    `_staging/<run-id>/<final key>`: hidden from Athena (leading underscore) and from
//!    trailhound's readers;
//! 3. writes its manifest `_runs/<run-id>.json` (`.detect.json` for detections). That
//!    single atomic PUT is **the commit**: it names the final keys of the run's files and
//!    the earlier files they supersede;
//! 4. [`publish`]es: moves each staged file to its final key (a new key: nothing a query
//!    is reading changes under it), deletes the superseded files, deletes the marker.
//!
//! Killed before 3, a run leaves only staging, which the next run deletes. Killed after
//! 3, the next run repeats 4, whose every step can be repeated. The live files are the
//! files of committed manifests minus those some manifest supersedes; trailhound reads
//! only those (`detect::lake::LiveStore`), so even a lake whose last run died between
//! commit and cleanup reads right.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::Deserialize;
use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::failpoint;

pub const RUNS: &str = "_runs";
pub const STAGING: &str = "_staging";
const PENDING: &str = "_pending";
const LOCK: &str = "_runs/_lock";
/// The committed records of the manifests, compact, rewritten after each publish so that
/// a run reads a year of nightly manifests as one small object (a cache: manifests not
/// in it are read, and a missing or unreadable one is rebuilt from the manifests).
const CHECKPOINT: &str = "_ledger/checkpoint.json";

/// Where a run stages a file before its commit.
pub fn staged_key(run_id: &str, key: &str) -> String {
    format!("{STAGING}/{run_id}/{key}")
}

/// What the protocol reads of a manifest (scan and detect manifests alike; every other
/// field is ignored, and manifests of versions before the protocol read as published).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct CommitRecord {
    pub run_id: String,
    #[serde(default)]
    pub command: String,
    /// `[first, last]` requested UTC days; absent for a run without a range.
    #[serde(default)]
    pub days: Option<[String; 2]>,
    #[serde(default)]
    pub files: Vec<CommittedFile>,
    #[serde(default)]
    pub supersedes: Vec<String>,
    #[serde(default)]
    pub quarantine_files: Vec<String>,
    /// The row filter of a forensic scan (`--principal` ...), as text.
    #[serde(default)]
    pub row_filter: Option<String>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct CommittedFile {
    pub key: String,
    #[serde(default)]
    pub partition: String,
    #[serde(default)]
    pub rows: u64,
}

/// A live file of the lake.
#[derive(Debug, Clone)]
pub struct LiveFile {
    pub run_id: String,
    /// The table (`cloudtrail`, `s3_access`, `findings`).
    pub table: String,
    pub partition: String,
    pub rows: u64,
}

/// The lake's committed state, from its manifests.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    /// Live files by key (relative to the lake root).
    pub live: BTreeMap<String, LiveFile>,
    /// Committed records by manifest key (`_runs/<run-id>.json`, `_runs/<run-id>.detect.json`:
    /// a scan and its detections share a run id).
    pub runs: BTreeMap<String, CommitRecord>,
}

#[derive(Deserialize, serde::Serialize, Default)]
struct Checkpoint {
    manifests: BTreeMap<String, CommitRecord>,
}

impl Ledger {
    /// Reads the committed state: the checkpoint, and every manifest under `_runs/` it
    /// does not hold yet.
    ///
    /// # Errors
    /// A failing listing or read; a manifest that is not JSON (named).
    pub async fn load(store: &Arc<dyn ObjectStore>) -> Result<Self> {
        let prefix = Path::from(RUNS);
        let metas: Vec<object_store::ObjectMeta> = store
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| Error::List { location: format!("{RUNS}/"), source: e })?;
        let keys: Vec<String> = metas
            .into_iter()
            .map(|m| m.location)
            .filter(|p| p.filename().is_some_and(|f| f.ends_with(".json") && !f.starts_with('_')))
            .map(|p| p.to_string())
            .collect();
        let mut cached = match store.get(&Path::from(CHECKPOINT)).await {
            Ok(r) => match r.bytes().await.map(|b| serde_json::from_slice::<Checkpoint>(&b)) {
                Ok(Ok(c)) => c.manifests,
                Ok(Err(e)) => {
                    warn!(error = %e, "the lake's {CHECKPOINT} is unreadable; reading every manifest");
                    BTreeMap::new()
                }
                Err(_) => BTreeMap::new(),
            },
            Err(_) => BTreeMap::new(),
        };
        let missing: Vec<String> = keys.iter().filter(|k| !cached.contains_key(*k)).cloned().collect();
        let read: Vec<(String, CommitRecord)> = futures::stream::iter(missing)
            .map(|key| {
                let store = store.clone();
                async move {
                    let path = Path::from(key.as_str());
                    let bytes = match store.get(&path).await {
                        Ok(r) => r.bytes().await,
                        Err(e) => Err(e),
                    }
                    .map_err(|e| Error::Output { location: key.clone(), source: e })?;
                    let record = serde_json::from_slice::<CommitRecord>(&bytes).map_err(|e| {
                        Error::Config(format!(
                            "the manifest {key} is not a trailhound manifest ({e}); move it out of {RUNS}/ if it is not one"
                        ))
                    })?;
                    Ok::<_, Error>((key, record))
                }
            })
            .buffer_unordered(32)
            .try_collect()
            .await?;
        // Only manifests that are there count (one deleted by hand is gone from the cache too).
        let mut records: BTreeMap<String, CommitRecord> = keys.iter().filter_map(|k| cached.remove_entry(k)).collect();
        records.extend(read);
        Ok(Self::from_manifests(records))
    }

    /// Rewrites the checkpoint from this ledger (after a publish, with the lock held).
    ///
    /// # Errors
    /// The store refused the write.
    pub async fn save_checkpoint(&self, store: &Arc<dyn ObjectStore>) -> Result<()> {
        let body = serde_json::to_vec(&Checkpoint { manifests: self.runs.clone() })
            .map_err(|e| Error::Manifest { location: CHECKPOINT.into(), source: e })?;
        store
            .put(&Path::from(CHECKPOINT), PutPayload::from(body))
            .await
            .map_err(|e| Error::Output { location: CHECKPOINT.into(), source: e })?;
        Ok(())
    }

    /// Adds a record this process just committed.
    pub fn add(&mut self, manifest_key: &str, record: CommitRecord) {
        let mut runs = std::mem::take(&mut self.runs);
        runs.insert(manifest_key.to_string(), record);
        *self = Self::from_manifests(runs);
    }

    /// The ledger of these committed records (tests: keyed by run id).
    pub fn from_records(records: Vec<CommitRecord>) -> Self {
        Self::from_manifests(records.into_iter().map(|r| (format!("{RUNS}/{}.{}.json", r.run_id, r.command), r)).collect())
    }

    /// The ledger of committed records by manifest key.
    pub fn from_manifests(runs: BTreeMap<String, CommitRecord>) -> Self {
        let mut live = BTreeMap::new();
        let mut superseded = BTreeSet::new();
        for record in runs.values() {
            for f in &record.files {
                let table = f.key.split('/').next().unwrap_or_default().to_string();
                live.insert(
                    f.key.clone(),
                    LiveFile { run_id: record.run_id.clone(), table, partition: f.partition.clone(), rows: f.rows },
                );
            }
            superseded.extend(record.supersedes.iter().cloned());
        }
        for key in &superseded {
            live.remove(key);
        }
        Self { live, runs }
    }

    /// Live files of `table` in partition `partition`.
    pub fn files_in<'a>(&'a self, table: &'a str, partition: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.live.iter().filter(move |(_, f)| f.table == table && f.partition == partition).map(|(k, _)| k.as_str())
    }

    /// The partitions of `table` that hold live files (sorted).
    pub fn partitions(&self, table: &str) -> Vec<String> {
        let set: BTreeSet<&str> = self.live.values().filter(|f| f.table == table).map(|f| f.partition.as_str()).collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// Scan runs that still hold live files.
    pub fn live_scans(&self) -> impl Iterator<Item = &CommitRecord> {
        let holding: BTreeSet<&str> = self.live.values().map(|f| f.run_id.as_str()).collect();
        self.runs.values().filter(move |r| r.command == "scan" && holding.contains(r.run_id.as_str()))
    }

    /// Whether a committed scan asked for `day` (or for no range at all), even if the
    /// day had no events then.
    pub fn owns_day(&self, day: &str) -> bool {
        self.runs.values().filter(|r| r.command == "scan").any(|r| match &r.days {
            Some([first, last]) => first.as_str() <= day && day <= last.as_str(),
            None => true,
        })
    }
}

/// What [`recover`] did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Recovery {
    /// Committed runs whose publishing this run finished.
    pub finished: Vec<String>,
    /// Runs that died before their commit, whose staged files this run deleted.
    pub undone: Vec<String>,
}

impl Recovery {
    pub fn is_empty(&self) -> bool {
        self.finished.is_empty() && self.undone.is_empty()
    }
}

/// Finishes the committed runs that stopped while publishing, and deletes what runs
/// that never committed staged. Call with the lock held.
///
/// # Errors
/// A failing listing, move or delete.
pub async fn recover(store: &Arc<dyn ObjectStore>, ledger: &Ledger, local_root: Option<&std::path::Path>) -> Result<Recovery> {
    let listing = match store.list_with_delimiter(Some(&Path::from(STAGING))).await {
        Ok(l) => l,
        Err(object_store::Error::NotFound { .. }) => return Ok(Recovery::default()),
        Err(e) => return Err(Error::List { location: format!("{STAGING}/"), source: e }),
    };
    let mut recovery = Recovery::default();
    for dir in listing.common_prefixes {
        let Some(run_id) = dir.filename().map(str::to_string) else { continue };
        let records: Vec<&CommitRecord> = ledger.runs.values().filter(|r| r.run_id == run_id).collect();
        match records.is_empty() {
            false => {
                warn!(run_id, "finishing the publishing of a run that stopped after its commit");
                publish_all(store, &records, local_root).await?;
                recovery.finished.push(run_id);
            }
            true => {
                warn!(run_id, "deleting the staged files of a run that stopped before its commit");
                delete_prefix(store, &dir).await?;
                remove_local_dir(local_root, &run_id);
                recovery.undone.push(run_id);
            }
        }
    }
    Ok(recovery)
}

/// Step 2: the marker that says a run has staged files.
///
/// # Errors
/// The store refused the write.
pub async fn begin(store: &Arc<dyn ObjectStore>, run_id: &str) -> Result<()> {
    let key = staged_key(run_id, PENDING);
    store
        .put(&Path::from(key.as_str()), PutPayload::from_static(b""))
        .await
        .map_err(|e| Error::Output { location: key, source: e })?;
    Ok(())
}

/// Step 3 as [`commit`], for a manifest serialised straight into a multipart upload
/// (which becomes visible only when complete), so that a run of many objects does not
/// hold its manifest's text in memory too. Must not be called inside the runtime.
///
/// # Errors
/// Serialising failed, or the store refused the write.
pub fn commit_streamed<T: serde::Serialize>(
    store: &Arc<dyn ObjectStore>,
    key: &str,
    manifest: &T,
    runtime: &tokio::runtime::Handle,
) -> Result<()> {
    use std::io::Write;
    failpoint::hit("before-commit");
    let output_err = |e| Error::Output { location: key.to_string(), source: e };
    let upload = crate::sink::UploadWriter::start(store, &Path::from(key), runtime.clone()).map_err(output_err)?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, upload);
    let written = serde_json::to_writer_pretty(&mut writer, manifest)
        .map_err(|e| Error::Manifest { location: key.to_string(), source: e })
        .and_then(|()| writer.flush().map_err(|e| Error::Manifest { location: key.to_string(), source: serde_json::Error::io(e) }));
    let upload = match writer.into_inner() {
        Ok(upload) => upload,
        Err(e) => return Err(Error::Manifest { location: key.to_string(), source: serde_json::Error::io(e.into_error()) }),
    };
    if let Err(e) = written {
        upload.abort();
        return Err(e);
    }
    upload.finish().map_err(output_err)?;
    failpoint::hit("after-commit");
    Ok(())
}

/// Step 3: writes the manifest, the commit point.
///
/// # Errors
/// The store refused the write.
pub async fn commit(store: &Arc<dyn ObjectStore>, key: &str, manifest: Vec<u8>) -> Result<()> {
    failpoint::hit("before-commit");
    store
        .put(&Path::from(key), PutPayload::from(manifest))
        .await
        .map_err(|e| Error::Output { location: key.to_string(), source: e })?;
    failpoint::hit("after-commit");
    Ok(())
}

/// Step 4: moves the staged files of a committed run to their final keys, deletes the
/// files it supersedes, then its staging. Every step can be repeated after a crash.
///
/// # Errors
/// A failing move or delete; a committed file found neither staged nor published.
pub async fn publish(store: &Arc<dyn ObjectStore>, record: &CommitRecord, local_root: Option<&std::path::Path>) -> Result<()> {
    publish_all(store, &[record], local_root).await
}

/// [`publish`] for the committed records of one run (its scan and its detections):
/// every move first, then the deletes, then the staging.
///
/// # Errors
/// As [`publish`].
pub async fn publish_all(store: &Arc<dyn ObjectStore>, records: &[&CommitRecord], local_root: Option<&std::path::Path>) -> Result<()> {
    let Some(first) = records.first() else { return Ok(()) };
    let run_id = first.run_id.clone();
    for record in records {
        publish_files(store, record).await?;
    }
    for record in records {
        for key in &record.supersedes {
            match store.delete(&Path::from(key.as_str())).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(Error::Output { location: key.clone(), source: e }),
            }
        }
        if !record.supersedes.is_empty() {
            info!(run_id = record.run_id, superseded = record.supersedes.len(), "published; superseded files deleted");
        }
    }
    failpoint::hit("before-cleanup");
    // Leftovers (a local multipart upload's temporary file), then the marker, last.
    let dir = Path::from(format!("{STAGING}/{run_id}"));
    let marker = Path::from(staged_key(&run_id, PENDING));
    let rest: Vec<Path> = store
        .list(Some(&dir))
        .map_ok(|m| m.location)
        .try_filter(|p| futures::future::ready(*p != marker))
        .try_collect()
        .await
        .map_err(|e| Error::List { location: dir.to_string(), source: e })?;
    for p in rest {
        delete_if_there(store, &p).await?;
    }
    delete_if_there(store, &marker).await?;
    remove_local_dir(local_root, &run_id);
    Ok(())
}

async fn publish_files(store: &Arc<dyn ObjectStore>, record: &CommitRecord) -> Result<()> {
    let keys = record.files.iter().map(|f| f.key.as_str()).chain(record.quarantine_files.iter().map(String::as_str));
    for key in keys {
        let staged = Path::from(staged_key(&record.run_id, key));
        let target = Path::from(key);
        match store.rename(&staged, &target).await {
            Ok(()) => failpoint::hit("published"),
            Err(object_store::Error::NotFound { .. }) => {
                // Moved by an earlier attempt.
                store.head(&target).await.map_err(|e| {
                    Error::Pipeline(format!(
                        "run {}: {key} is in its manifest but neither staged nor published ({e})",
                        record.run_id
                    ))
                })?;
            }
            Err(e) => return Err(Error::Output { location: key.to_string(), source: e }),
        }
    }
    Ok(())
}

/// Deletes what a run staged (a run that failed before its commit).
///
/// # Errors
/// A failing listing or delete.
pub async fn abort(store: &Arc<dyn ObjectStore>, run_id: &str, local_root: Option<&std::path::Path>) -> Result<()> {
    delete_prefix(store, &Path::from(format!("{STAGING}/{run_id}"))).await?;
    remove_local_dir(local_root, run_id);
    Ok(())
}

async fn delete_prefix(store: &Arc<dyn ObjectStore>, prefix: &Path) -> Result<()> {
    let marker = Path::from(format!("{prefix}/{PENDING}"));
    let keys: Vec<Path> = store
        .list(Some(prefix))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .map_err(|e| Error::List { location: prefix.to_string(), source: e })?;
    for key in keys.iter().filter(|k| **k != marker) {
        delete_if_there(store, key).await?;
    }
    delete_if_there(store, &marker).await
}

async fn delete_if_there(store: &Arc<dyn ObjectStore>, key: &Path) -> Result<()> {
    match store.delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(Error::Output { location: key.to_string(), source: e }),
    }
}

/// Local lakes keep empty folders after their files move; staging ones are removed.
fn remove_local_dir(local_root: Option<&std::path::Path>, run_id: &str) {
    if let Some(root) = local_root {
        let dir = root.join(STAGING).join(run_id);
        if dir.is_dir() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let _ = std::fs::remove_dir(root.join(STAGING));
    }
}

/// The lake's single-writer lock, `_runs/_lock`: created only if absent, refreshed
/// while the run lasts, released at its end. A lock whose holder is dead (same host,
/// no such process) or silent for [`LakeLock::STALE`] is taken over with a warning.
pub struct LakeLock {
    store: Arc<dyn ObjectStore>,
    run_id: String,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

#[derive(serde::Serialize, Deserialize)]
struct LockBody {
    run_id: String,
    host: String,
    pid: u32,
    acquired_at: String,
    heartbeat_at: String,
}

impl LakeLock {
    /// How long a holder may go without refreshing the lock before it counts as dead.
    pub const STALE: Duration = Duration::from_secs(600);
    const REFRESH: Duration = Duration::from_secs(60);

    /// Takes the lock, or says who holds it.
    ///
    /// # Errors
    /// [`Error::Config`] naming the live holder; a failing store.
    pub async fn acquire(store: &Arc<dyn ObjectStore>, run_id: &str) -> Result<Self> {
        let key = Path::from(LOCK);
        let now = chrono::Utc::now();
        let body = |acquired: &str| LockBody {
            run_id: run_id.to_string(),
            host: hostname(),
            pid: std::process::id(),
            acquired_at: acquired.to_string(),
            heartbeat_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let acquired = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let payload = || PutPayload::from(serde_json::to_vec(&body(&acquired)).unwrap_or_default());
        let create = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        match store.put_opts(&key, payload(), create).await {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. }) => {
                let held = match store.get(&key).await {
                    Ok(r) => r.bytes().await.ok().and_then(|b| serde_json::from_slice::<LockBody>(&b).ok()),
                    Err(_) => None,
                };
                if let Some(holder) = &held {
                    if holder_alive(holder, now) {
                        return Err(Error::Config(format!(
                            "the lake is being written by run {} (host {}, pid {}) since {}; one writer at a time. \
                             If that run is gone, delete {LOCK} in the lake",
                            holder.run_id, holder.host, holder.pid, holder.acquired_at
                        )));
                    }
                    warn!(stale_run = holder.run_id, host = holder.host, pid = holder.pid, "taking over the lock of a run that is gone");
                }
                store.put(&key, payload()).await.map_err(|e| Error::Output { location: LOCK.into(), source: e })?;
            }
            Err(object_store::Error::NotImplemented { .. }) => {
                store.put(&key, payload()).await.map_err(|e| Error::Output { location: LOCK.into(), source: e })?;
            }
            Err(e) => return Err(Error::Output { location: LOCK.into(), source: e }),
        }
        let heartbeat = {
            let store = store.clone();
            let run_id = run_id.to_string();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Self::REFRESH).await;
                    let beat = LockBody {
                        run_id: run_id.clone(),
                        host: hostname(),
                        pid: std::process::id(),
                        acquired_at: acquired.clone(),
                        heartbeat_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    };
                    let payload = PutPayload::from(serde_json::to_vec(&beat).unwrap_or_default());
                    if let Err(e) = store.put(&Path::from(LOCK), payload).await {
                        warn!(error = %e, "refreshing the lake lock failed");
                    }
                }
            })
        };
        Ok(Self { store: store.clone(), run_id: run_id.to_string(), heartbeat: Some(heartbeat) })
    }

    /// Releases the lock (if it is still ours).
    ///
    /// # Errors
    /// A failing delete.
    pub async fn release(mut self) -> Result<()> {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        let key = Path::from(LOCK);
        let ours = match self.store.get(&key).await {
            Ok(r) => r.bytes().await.ok().and_then(|b| serde_json::from_slice::<LockBody>(&b).ok()).is_some_and(|b| b.run_id == self.run_id),
            Err(_) => false,
        };
        if ours {
            delete_if_there(&self.store, &key).await?;
        }
        Ok(())
    }
}

impl Drop for LakeLock {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
    }
}

fn holder_alive(holder: &LockBody, now: chrono::DateTime<chrono::Utc>) -> bool {
    let stale_after = std::env::var("TRAILHOUND_LOCK_STALE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(LakeLock::STALE, Duration::from_secs);
    let fresh = chrono::DateTime::parse_from_rfc3339(&holder.heartbeat_at)
        .map(|t| (now - t.with_timezone(&chrono::Utc)).to_std().unwrap_or_default() < stale_after)
        .unwrap_or(false);
    if !fresh {
        return false;
    }
    if holder.host == hostname() {
        return process_alive(holder.pid);
    }
    true
}

fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
        // SAFETY: kill with signal 0 only checks that the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates or truncates.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(run: &str, files: &[&str], supersedes: &[&str]) -> CommitRecord {
        CommitRecord {
            run_id: run.into(),
            command: "scan".into(),
            days: Some(["2026-11-25".into(), "2026-11-25".into()]),
            files: files
                .iter()
                .map(|k| CommittedFile { key: (*k).into(), partition: "2026-11-25".into(), rows: 1 })
                .collect(),
            supersedes: supersedes.iter().map(|s| (*s).to_string()).collect(),
            quarantine_files: Vec::new(),
            row_filter: None,
        }
    }

    #[test]
    fn live_files_are_committed_minus_superseded() {
        let ledger = Ledger::from_records(vec![
            record("a", &["cloudtrail/dt=2026-11-25/a-0.parquet", "cloudtrail/dt=2026-11-25/a-1.parquet"], &[]),
            record("b", &["cloudtrail/dt=2026-11-25/b-0.parquet"], &["cloudtrail/dt=2026-11-25/a-0.parquet"]),
        ]);
        let live: Vec<&str> = ledger.live.keys().map(String::as_str).collect();
        assert_eq!(live, ["cloudtrail/dt=2026-11-25/a-1.parquet", "cloudtrail/dt=2026-11-25/b-0.parquet"]);
        assert_eq!(ledger.partitions("cloudtrail"), ["2026-11-25"]);
        assert!(ledger.owns_day("2026-11-25"));
        assert!(!ledger.owns_day("2026-11-24"));
        // A day without events is owned too (its late events are picked up later),
        // but a run without live files does not decide the lake's row filter.
        let ledger = Ledger::from_records(vec![
            CommitRecord { days: Some(["2026-11-26".into(), "2026-11-26".into()]), ..record("a", &[], &[]) },
            record("b", &["cloudtrail/dt=2026-11-25/b-0.parquet"], &[]),
        ]);
        assert!(ledger.owns_day("2026-11-26"));
        assert_eq!(ledger.live_scans().map(|r| r.run_id.as_str()).collect::<Vec<_>>(), ["b"]);
    }
}
