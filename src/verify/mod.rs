//! Log file integrity validation: CloudTrail's signed, chained hourly digests against
//! the log files in the trail (spec/formats.md §5).
//!
//! ```text
//!  list AWSLogs/[o-id/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/ (range + 1 day)
//!  ─► fetch digests (N in flight): gunzip one member, parse, signature from S3 metadata
//!     `signature` (or a local `<key>.signature` file) ─► public keys (file, or
//!     ListPublicKeys) ─► signature of each digest ─► the chain, per trail and region
//!  ─► fetch the log files valid digests list (N in flight): SHA-256 of the decompressed
//!     bytes ─► list CloudTrail/<region>/YYYY/MM/DD/: files no valid digest lists
//! ```
//! Invariants: every digest and log file in the range ends up as exactly one row; bad
//! input is a row, never an error or a panic; errors are only for what stops the run
//! (listing or reading failed, no public keys). Beyond `aws cloudtrail validate-logs`:
//! each link's `previousDigestHashValue` is checked, every missing digest is named
//! (two in a row too), gzip data after the first member counts as tampering, and log
//! files in the trail that no digest lists are reported.

pub mod digest;
pub mod keys;
pub mod report;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use futures::{stream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{Attribute, ObjectMeta, ObjectStore, ObjectStoreExt};

use crate::decode::time::civil_from_days;
use crate::error::{Error, Result};
use crate::pipeline::DayRange;
use crate::source::parse_key;
use crate::store::{is_s3, open_local_dir, open_s3, parse_s3_url, Location, S3Options};
use digest::{gunzip_single, parse_digest, parse_digest_name, parse_log_name_time, DigestFile, DigestName, PreviousDigest};
pub use keys::{PublicKey, PublicKeys};
pub use report::{RowKind, Status, VerifyReport, VerifyRow};

/// Objects fetched at once: digests and log files are small, so latency dominates.
pub const DEFAULT_VERIFY_CONCURRENCY: usize = 64;
/// A local disk gains nothing from more.
const LOCAL_CONCURRENCY: usize = 8;
/// A digest lists at most a few thousand files an hour; this is far above that.
const MAX_DIGEST_BYTES: u64 = 256 << 20;

/// What to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// A local folder or `s3://bucket/prefix`, at or above `AWSLogs/`.
    pub source: String,
    /// Use this store instead of opening `source` (a library user's own).
    pub source_store: Option<Location>,
    pub s3: S3Options,
    /// Log files delivered in `[start, end)`, and the digests that cover them.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Accounts and regions (all when empty).
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// The keys to check signatures with; `None` fetches them (ListPublicKeys).
    pub public_keys: Option<PublicKeys>,
    /// Objects fetched at once.
    pub concurrency: usize,
}

impl VerifyOptions {
    /// Options for `[start, end)` with everything else at its default.
    pub fn new(source: impl Into<String>, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self {
            source: source.into(),
            source_store: None,
            s3: S3Options { max_retries: 10, ..S3Options::default() },
            start,
            end,
            accounts: Vec::new(),
            regions: Vec::new(),
            public_keys: None,
            concurrency: DEFAULT_VERIFY_CONCURRENCY,
        }
    }

    /// The whole UTC days of `days`.
    pub fn for_days(source: impl Into<String>, days: DayRange) -> Self {
        let at = |day: i64| DateTime::from_timestamp(day * 86_400, 0).unwrap_or_default();
        Self::new(source, at(days.first), at(days.last + 1))
    }
}

/// Verifies the trail at `options.source` for the range (builds its own runtime).
///
/// # Errors
/// As [`verify_async`].
pub fn verify(options: &VerifyOptions) -> Result<VerifyReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Pipeline(format!("starting the runtime: {e}")))?;
    runtime.block_on(verify_async(options))
}

/// Verifies the trail at `options.source` for the range.
///
/// # Errors
/// [`Error::Source`]/[`Error::Config`] for an unusable source or range,
/// [`Error::Credentials`] when S3 or CloudTrail reject the caller, [`Error::List`] or
/// [`Error::Read`] when S3 fails after retries, [`Error::PublicKeys`] when the keys
/// cannot be fetched.
pub async fn verify_async(options: &VerifyOptions) -> Result<VerifyReport> {
    let started = Instant::now();
    if options.start >= options.end {
        return Err(Error::Config(format!("the range to verify is empty: {} is not before {}", options.start, options.end)));
    }
    // CloudTrail began in 2013; bounding the range keeps the time arithmetic far from overflow.
    use chrono::Datelike as _;
    if options.start.year() < 1970 || options.end.year() > 9000 {
        return Err(Error::Config(format!("the range {}..{} is outside 1970..9000", options.start, options.end)));
    }
    let location = match &options.source_store {
        Some(l) => l.clone(),
        None => open_source(&options.source, &options.s3)?,
    };
    let bucket = if location.local.is_none() { parse_s3_url(&location.display).ok().map(|(b, _)| b) } else { None };
    let concurrency = if location.local.is_some() {
        options.concurrency.clamp(1, LOCAL_CONCURRENCY)
    } else {
        options.concurrency.max(1)
    };
    let run = Run { options, location, bucket, concurrency, list_calls: AtomicU64::new(0) };
    let mut rows = run.run().await.map_err(|e| match e {
        Error::List { location, source } if crate::store::is_auth_error(&source) => Error::Credentials {
            location,
            message: format!("S3 refused the request: {}", crate::store::error_summary(&source)),
        },
        other => other,
    })?;
    rows.rows.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
    Ok(VerifyReport {
        source: run.location.display.clone(),
        start: Some(options.start),
        end: Some(options.end),
        rows: rows.rows,
        num_public_keys: rows.num_public_keys,
        list_calls: run.list_calls.load(Ordering::Relaxed),
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Opens `s3://...`, or a local folder; a folder path through `AWSLogs/` is opened at
/// the folder above it, so keys keep the layout.
fn open_source(source: &str, s3: &S3Options) -> Result<Location> {
    if is_s3(source) {
        return open_s3(source, s3);
    }
    let path = PathBuf::from(source);
    let meta = std::fs::metadata(&path).map_err(|e| Error::Source { path: path.clone(), source: e })?;
    if !meta.is_dir() {
        return Err(Error::SourceKind { path });
    }
    let abs = std::fs::canonicalize(&path).map_err(|e| Error::Source { path: path.clone(), source: e })?;
    let split = |p: &std::path::Path| -> (PathBuf, Vec<String>) {
        let parts: Vec<Component> = p.components().collect();
        match parts.iter().rposition(|c| c.as_os_str() == "AWSLogs") {
            Some(i) => (
                parts[..i].iter().collect(),
                parts[i..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect(),
            ),
            None => (p.to_path_buf(), Vec::new()),
        }
    };
    let (root, below) = split(&abs);
    let (shown, _) = split(&path);
    let mut location = open_local_dir(&root, false)?;
    location.prefix = Path::from(below.join("/").as_str());
    let shown = shown.to_string_lossy().replace('\\', "/");
    location.display = match shown.trim_end_matches('/') {
        "" if shown.starts_with('/') => "/".to_string(),
        "" => ".".to_string(),
        s => s.to_string(),
    };
    Ok(location)
}

/// One account folder to verify and its regions.
struct Scope {
    /// `.../AWSLogs/[o-id/]<account>`.
    account_dir: Path,
    regions: Vec<String>,
}

/// A digest that was listed and read, and what its checks found.
struct Checked {
    path: Path,
    display: String,
    name: DigestName,
    /// Lower-case hex SHA-256 of the decompressed bytes, when they inflated.
    sha256: Option<String>,
    signature: Option<String>,
    digest: Option<DigestFile>,
    status: Status,
    detail: String,
    /// The signature verified with a known key.
    signature_ok: bool,
}

/// A log file a digest lists.
struct Listed {
    display: String,
    digest_display: String,
    expected_sha256: String,
    /// Where the digest says it is, when that is another bucket.
    other_bucket: Option<String>,
}

struct Rows {
    rows: Vec<VerifyRow>,
    num_public_keys: usize,
}

struct Run<'a> {
    options: &'a VerifyOptions,
    location: Location,
    /// The source bucket (S3 sources only).
    bucket: Option<String>,
    concurrency: usize,
    list_calls: AtomicU64,
}

fn child(p: &Path, segment: &str) -> Path {
    if p.as_ref().is_empty() {
        Path::from(segment)
    } else {
        Path::from(format!("{p}/{segment}"))
    }
}

fn name(p: &Path) -> &str {
    p.filename().unwrap_or("")
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn day_number(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(86_400)
}

fn day_folder(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}/{m:02}/{d:02}")
}

fn secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `key` from its `AWSLogs` segment on (the part a copy keeps), or all of it.
fn layout_tail(key: &str) -> &str {
    let mut offset = 0;
    let mut tail = None;
    for segment in key.split('/') {
        if segment == "AWSLogs" {
            tail = Some(offset);
        }
        offset += segment.len() + 1;
    }
    tail.map_or(key, |i| &key[i..])
}

/// `key` up to its `AWSLogs` segment (empty when it starts there or has none).
fn layout_head(key: &str) -> &str {
    let tail = layout_tail(key);
    if tail.len() == key.len() {
        ""
    } else {
        &key[..key.len() - tail.len()]
    }
}

fn not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

fn join_error(e: tokio::task::JoinError) -> Error {
    Error::Pipeline(format!("a verification task stopped: {e}"))
}

impl Run<'_> {
    fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.location.store
    }

    fn display(&self, path: &Path) -> String {
        self.location.display_key(path)
    }

    async fn dirs(&self, prefix: &Path) -> Result<Vec<Path>> {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
        let listing = self
            .store()
            .list_with_delimiter(Some(prefix))
            .await
            .map_err(|e| Error::List { location: self.display(prefix), source: e })?;
        Ok(listing.common_prefixes)
    }

    async fn files(&self, prefix: Path) -> Result<Vec<ObjectMeta>> {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
        self.store()
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| Error::List { location: self.display(&prefix), source: e })
    }

    fn keep_account(&self, account: &str) -> bool {
        self.options.accounts.is_empty() || self.options.accounts.iter().any(|a| a == account)
    }

    fn keep_region(&self, region: &str) -> bool {
        self.options.regions.is_empty() || self.options.regions.iter().any(|r| r == region)
    }

    /// The `AWSLogs` folders to verify under, each with the segments the source pins
    /// below it (org id, account, folder, region).
    async fn bases(&self) -> Result<Vec<(Path, Vec<String>)>> {
        let root = &self.location.prefix;
        let segments: Vec<String> = root.parts().map(|p| p.as_ref().to_string()).collect();
        if let Some(i) = segments.iter().rposition(|s| s == "AWSLogs") {
            let base = Path::from_iter(segments[..=i].iter().map(String::as_str));
            return Ok(vec![(base, segments[i + 1..].to_vec())]);
        }
        // `prefix/AWSLogs/`, or one level further down (several trails in a bucket).
        let top = self.dirs(root).await?;
        if let Some(base) = top.iter().find(|d| name(d) == "AWSLogs") {
            return Ok(vec![(base.clone(), Vec::new())]);
        }
        let below: Vec<Vec<Path>> = stream::iter(top.iter().filter(|d| !name(d).starts_with(['.', '_'])))
            .map(|d| self.dirs(d))
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        let bases: Vec<(Path, Vec<String>)> =
            below.into_iter().flatten().filter(|d| name(d) == "AWSLogs").map(|d| (d, Vec::new())).collect();
        if bases.is_empty() {
            return Err(Error::Config(format!(
                "no AWSLogs/ folder in {} or the folders just below it: give the trail's location (where AWSLogs/ is)",
                self.location.display
            )));
        }
        Ok(bases)
    }

    /// Accounts under an organisation folder: the given one, the options', or all.
    async fn org_accounts(&self, org: &Path, given: Option<&String>) -> Result<Vec<Path>> {
        if let Some(a) = given {
            return Ok(vec![child(org, a)]);
        }
        if !self.options.accounts.is_empty() {
            return Ok(self.options.accounts.iter().map(|a| child(org, a)).collect());
        }
        Ok(self.dirs(org).await?.into_iter().filter(|d| is_account(name(d))).collect())
    }

    /// Account folders and their regions: given by the source or the options, else
    /// found with one delimiter listing per level.
    async fn scopes(&self) -> Result<Vec<Scope>> {
        let mut scopes = Vec::new();
        for (base, fixed) in self.bases().await? {
            let (accounts, rest): (Vec<Path>, &[String]) = match fixed.as_slice() {
                [] => {
                    let mut accounts = Vec::new();
                    for dir in self.dirs(&base).await? {
                        if name(&dir).starts_with("o-") {
                            accounts.extend(self.org_accounts(&dir, None).await?);
                        } else if is_account(name(&dir)) {
                            accounts.push(dir);
                        }
                    }
                    (accounts, &[])
                }
                [org, rest @ ..] if org.starts_with("o-") => {
                    (self.org_accounts(&child(&base, org), rest.first()).await?, rest.get(1..).unwrap_or(&[]))
                }
                [account, rest @ ..] => (vec![child(&base, account)], rest),
            };
            // `rest` is [folder, region, ...]: the folder is ignored (both are read).
            let fixed_region = rest.get(1);
            for account_dir in accounts.into_iter().filter(|a| self.keep_account(name(a))) {
                let mut regions: Vec<String> = match fixed_region {
                    Some(r) => vec![r.clone()],
                    None if !self.options.regions.is_empty() => self.options.regions.clone(),
                    None => {
                        let mut found = Vec::new();
                        for folder in ["CloudTrail-Digest", "CloudTrail"] {
                            let dirs = self.dirs(&child(&account_dir, folder)).await?;
                            found.extend(dirs.iter().map(|d| name(d).to_string()));
                        }
                        found
                    }
                };
                regions.sort();
                regions.dedup();
                regions.retain(|r| self.keep_region(r));
                scopes.push(Scope { account_dir, regions });
            }
        }
        Ok(scopes)
    }

    /// Lists `folder/<region>/YYYY/MM/DD/` for each scope, region and day, concurrently.
    async fn list_days(&self, scopes: &[Scope], folder: &str, days: std::ops::RangeInclusive<i64>) -> Result<(Vec<ObjectMeta>, HashSet<String>)> {
        let prefixes: Vec<Path> = scopes
            .iter()
            .flat_map(|s| {
                let days = days.clone();
                s.regions.iter().flat_map(move |r| {
                    let region_dir = child(&child(&s.account_dir, folder), r);
                    days.clone().map(move |d| child(&region_dir, &day_folder(d)))
                })
            })
            .collect();
        let folders: HashSet<String> = prefixes.iter().map(|p| p.to_string()).collect();
        let found: Vec<Vec<ObjectMeta>> =
            stream::iter(prefixes).map(|p| self.files(p)).buffer_unordered(self.concurrency).try_collect().await?;
        let mut objects: Vec<ObjectMeta> = found.into_iter().flatten().collect();
        objects.sort_by(|a, b| a.location.cmp(&b.location));
        Ok((objects, folders))
    }

    /// Where the object a digest names (`s3_key`) is in this store: the same key on
    /// S3; for a local copy, the key from `AWSLogs/` on, under the folder `found` (the
    /// digest that names it) is in.
    fn store_path(&self, found: &Path, s3_key: &str) -> Path {
        if self.bucket.is_some() {
            return Path::from(s3_key);
        }
        Path::from(format!("{}{}", layout_head(found.as_ref()), layout_tail(s3_key)).as_str())
    }

    async fn run(&self) -> Result<Rows> {
        let options = self.options;
        let scopes = self.scopes().await?;
        let digest_days = day_number(options.start)..=day_number(options.end + Duration::hours(1));
        let log_days = day_number(options.start)..=day_number(options.end - Duration::milliseconds(1));
        let (listed, digest_folders) = self.list_days(&scopes, "CloudTrail-Digest", digest_days).await?;
        let listed_paths: HashSet<Path> = listed.iter().map(|m| m.location.clone()).collect();

        // Digests of the range: ending after its start, at most an hour after its end
        // (the last one covers deliveries just before the end).
        let mut rows = Vec::new();
        let mut to_fetch = Vec::new();
        for meta in listed {
            let file = name(&meta.location);
            if file.starts_with(['.', '_']) || !file.ends_with(".json.gz") {
                continue; // `.signature` files and the like
            }
            match parse_digest_name(file) {
                Some(n) if n.end > options.start && n.end <= options.end + Duration::hours(1) => to_fetch.push((meta.location, n)),
                Some(_) => {}
                None => rows.push(self.row(RowKind::Digest, &meta.location, Status::InvalidFormat,
                    "not a digest file name (<account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHMMSSZ>.json.gz)".into())),
            }
        }
        let mut checked: Vec<Checked> = stream::iter(to_fetch)
            .map(|(path, name)| self.read_digest(path, name))
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        checked.sort_by(|a, b| (a.name.end, &a.path).cmp(&(b.name.end, &b.path)));

        let keys = match &options.public_keys {
            Some(k) => k.clone(),
            None if checked.iter().any(|c| c.digest.is_some()) => {
                let mut regions: Vec<String> =
                    checked.iter().filter_map(|c| parse_key(c.path.as_ref()).region).collect();
                regions.sort();
                regions.dedup();
                keys::fetch_public_keys(&regions, options.start - Duration::hours(1), options.end + Duration::hours(2)).await?
            }
            None => PublicKeys::default(),
        };
        for c in &mut checked {
            self.check_signature(c, &keys);
        }
        let extra = self.check_chains(&mut checked, &listed_paths, &digest_folders);

        // Log files the digests list: the valid ones are checked, the others only
        // explain why a file is not covered.
        let mut covered: BTreeMap<Path, Listed> = BTreeMap::new();
        let mut listed_by_invalid: HashMap<Path, (String, Status)> = HashMap::new();
        for c in &checked {
            let Some(d) = &c.digest else { continue };
            let trusted = c.signature_ok && c.status != Status::Moved;
            for entry in &d.log_files {
                let path = self.store_path(&c.path, &entry.key);
                if trusted {
                    let other_bucket = match &self.bucket {
                        Some(b) if *b != entry.bucket => Some(entry.bucket.clone()),
                        _ => None,
                    };
                    covered.entry(path.clone()).or_insert_with(|| Listed {
                        display: self.display(&path),
                        digest_display: c.display.clone(),
                        expected_sha256: entry.sha256.clone(),
                        other_bucket,
                    });
                } else {
                    listed_by_invalid.entry(path).or_insert_with(|| (c.display.clone(), c.status));
                }
            }
        }
        let log_rows: Vec<VerifyRow> = stream::iter(covered.iter())
            .map(|(path, listed)| self.check_log(path, listed))
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;

        let (in_trail, _) = self.list_days(&scopes, "CloudTrail", log_days).await?;
        let mut not_covered = Vec::new();
        for meta in in_trail {
            let file = name(&meta.location);
            if file.starts_with(['.', '_']) || covered.contains_key(&meta.location) {
                continue;
            }
            if parse_log_name_time(file).is_some_and(|t| t < options.start || t >= options.end) {
                continue;
            }
            let detail = match listed_by_invalid.get(&meta.location) {
                Some((digest, status)) => format!("listed only by {digest}, which did not verify ({status})"),
                None => "no digest of the range lists it".to_string(),
            };
            let mut row = self.row(RowKind::Log, &meta.location, Status::NotCovered, detail);
            row.digest_key = listed_by_invalid.get(&meta.location).map(|(d, _)| d.clone());
            not_covered.push(row);
        }

        rows.extend(checked.into_iter().map(|c| self.digest_row(c)));
        rows.extend(extra);
        rows.extend(log_rows);
        rows.extend(not_covered);
        Ok(Rows { rows, num_public_keys: keys.len() })
    }

    /// A row for `path` with the account, region and time its key gives.
    fn row(&self, kind: RowKind, path: &Path, status: Status, detail: String) -> VerifyRow {
        let layout = parse_key(path.as_ref());
        let file = name(path);
        let time = match kind {
            RowKind::Digest => parse_digest_name(file).map(|n| n.end),
            RowKind::Log => parse_log_name_time(file),
        };
        VerifyRow {
            kind,
            key: self.display(path),
            status,
            detail,
            digest_key: None,
            expected_sha256: None,
            actual_sha256: None,
            account: layout.account,
            region: layout.region,
            time,
        }
    }

    fn digest_row(&self, c: Checked) -> VerifyRow {
        let mut row = self.row(RowKind::Digest, &c.path, c.status, c.detail);
        if let Some(t) = c.digest.as_ref().and_then(|d| DateTime::parse_from_rfc3339(&d.end_time).ok()) {
            row.time = Some(t.to_utc());
        }
        row.actual_sha256 = c.sha256;
        row
    }

    /// Reads a digest and its signature; checks what needs no key.
    async fn read_digest(&self, path: Path, name: DigestName) -> Result<Checked> {
        let display = self.display(&path);
        let mut checked = Checked {
            path: path.clone(),
            display: display.clone(),
            name,
            sha256: None,
            signature: None,
            digest: None,
            status: Status::Valid,
            detail: String::new(),
            signature_ok: false,
        };
        let got = match self.store().get(&path).await {
            Ok(g) => g,
            Err(e) if not_found(&e) => {
                checked.status = Status::Deleted;
                checked.detail = "listed, then gone before it could be read".into();
                return Ok(checked);
            }
            Err(e) => return Err(Error::Read { key: display, source: e }),
        };
        checked.signature = got.attributes.get(&Attribute::Metadata("signature".into())).map(|v| v.to_string());
        let raw = got.bytes().await.map_err(|e| Error::Read { key: display.clone(), source: e })?;
        if self.location.local.is_some() {
            let sidecar = Path::from(format!("{path}.signature"));
            match self.store().get(&sidecar).await {
                Ok(g) => {
                    let text = g.bytes().await.map_err(|e| Error::Read { key: self.display(&sidecar), source: e })?;
                    checked.signature = Some(String::from_utf8_lossy(&text).trim().to_string());
                }
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(Error::Read { key: self.display(&sidecar), source: e }),
            }
        }
        let parsed = tokio::task::spawn_blocking(move || {
            let mut json = Vec::new();
            let inflated = gunzip_single(&raw, MAX_DIGEST_BYTES, |c| json.extend_from_slice(c)).map_err(|e| (None, e.to_string()))?;
            if inflated.trailing_bytes > 0 {
                let reason = format!("{} bytes after the end of the gzip member (CloudTrail writes one)", inflated.trailing_bytes);
                return Err((Some(inflated.sha256), reason));
            }
            match parse_digest(&json) {
                Ok(d) => Ok((inflated.sha256, d)),
                Err(reason) => Err((Some(inflated.sha256), reason)),
            }
        })
        .await
        .map_err(join_error)?;
        match parsed {
            Ok((sha256, d)) => {
                checked.sha256 = Some(sha256);
                checked.digest = Some(d);
            }
            Err((sha256, reason)) => {
                checked.sha256 = sha256;
                checked.status = Status::InvalidFormat;
                checked.detail = reason;
            }
        }
        Ok(checked)
    }

    /// Location, signature present, key known, signature valid: the first that fails.
    fn check_signature(&self, c: &mut Checked, keys: &PublicKeys) {
        let (Some(d), Some(sha256)) = (&c.digest, &c.sha256) else { return };
        let moved = match &self.bucket {
            Some(b) => d.bucket != *b || d.key != c.path.as_ref(),
            None => layout_tail(&d.key) != layout_tail(c.path.as_ref()),
        };
        let Some(signature) = &c.signature else {
            c.status = Status::Unsigned;
            c.detail = if self.location.local.is_some() {
                format!("no signature: no {}.signature file next to it (a local copy keeps the S3 metadata `signature` there)", name(&c.path))
            } else {
                "no signature: the object has no `signature` metadata (x-amz-meta-signature)".into()
            };
            return;
        };
        let Some(key) = keys.get(&d.fingerprint) else {
            c.status = Status::KeyNotFound;
            c.detail = format!(
                "no public key with fingerprint {} ({} keys known{})",
                d.fingerprint,
                keys.len(),
                if self.options.public_keys.is_some() { ", from --public-keys" } else { ", from ListPublicKeys" }
            );
            return;
        };
        let message = digest::string_to_sign(d, sha256);
        match digest::verify_signature(&key.der, message.as_bytes(), signature) {
            Ok(()) => {
                c.signature_ok = true;
                if moved {
                    c.status = Status::Moved;
                    c.detail = format!("signed for s3://{}/{}, found elsewhere", d.bucket, d.key);
                } else {
                    c.detail = format!("signature verified (key {}), {} log files listed", d.fingerprint, d.log_files.len());
                }
            }
            Err(digest::SignatureError::NotHex) => {
                c.status = Status::BadSignature;
                c.detail = "the signature is not hex".into();
            }
            Err(digest::SignatureError::Mismatch) => {
                c.status = Status::BadSignature;
                c.detail = format!(
                    "the signature does not verify with key {}: the digest{} changed after it was signed",
                    d.fingerprint,
                    if moved { " (moved) or its signature" } else { " or its signature" }
                );
            }
        }
    }

    /// Follows each chain (trail, account, region) through the digests of the range;
    /// returns rows for digests that are missing.
    fn check_chains(&self, checked: &mut [Checked], listed: &HashSet<Path>, folders: &HashSet<String>) -> Vec<VerifyRow> {
        let mut chains: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (i, c) in checked.iter().enumerate() {
            if c.name.backfill {
                continue; // backfill digests are checked on their own, not chained
            }
            let folder = c.path.as_ref().rsplitn(5, '/').nth(4).unwrap_or("").to_string();
            chains.entry((folder, c.name.chain.clone())).or_default().push(i);
        }
        let mut extra = Vec::new();
        for ((folder, chain), indices) in chains {
            for (pos, &i) in indices.iter().enumerate() {
                let before = pos.checked_sub(1).map(|p| indices[p]);
                let Some(previous) = checked[i].digest.as_ref().map(|d| d.previous.clone()) else { continue };
                match previous {
                    None => {
                        if let Some(b) = before {
                            let detail = format!(
                                "a starting digest (previous digest fields null) after {}: logging or validation was off, or the chain restarted, between {} and {}",
                                checked[b].display,
                                secs(checked[b].name.end),
                                checked[i].digest.as_ref().map_or(String::new(), |d| d.start_time.clone())
                            );
                            mark(&mut checked[i], Status::Gap, detail);
                        }
                    }
                    Some(p) => {
                        let p_path = self.store_path(&checked[i].path, &p.key);
                        if before.is_some_and(|b| checked[b].path == p_path) {
                            if let Some(b) = before {
                                self.check_link(checked, b, i, &p);
                            }
                        } else if listed.contains(&p_path) {
                            if let Some(b) = before {
                                let detail = format!(
                                    "names {} as its previous digest, but {} comes between",
                                    self.display(&p_path),
                                    checked[b].display
                                );
                                mark(&mut checked[i], Status::ChainBreak, detail);
                            }
                        } else {
                            let p_time = parse_digest_name(name(&p_path)).map(|n| n.end);
                            let lower = before.map(|b| checked[b].name.end);
                            let p_folder = p_path.as_ref().rsplit_once('/').map_or("", |(f, _)| f);
                            if let (Some(t), Some(l)) = (p_time, lower) {
                                if t <= l {
                                    let detail = format!(
                                        "names {} as its previous digest: older than {} before it, and not there",
                                        self.display(&p_path),
                                        before.map_or(String::new(), |b| checked[b].display.clone())
                                    );
                                    mark(&mut checked[i], Status::ChainBreak, detail);
                                    continue;
                                }
                            }
                            if lower.is_none() && !folders.contains(p_folder) {
                                continue; // before the range, in a folder not listed
                            }
                            let mut row = self.row(
                                RowKind::Digest,
                                &p_path,
                                Status::Deleted,
                                format!("{} names it as its previous digest; it is not there", checked[i].display),
                            );
                            row.digest_key = Some(checked[i].display.clone());
                            row.expected_sha256 = p.sha256.clone();
                            extra.push(row);
                            // Digests are hourly: more missing between the one before and it?
                            if let Some(t) = p_time {
                                let missing = match lower {
                                    Some(l) => ((t - l).num_minutes() + 30) / 60 - 1,
                                    None => (t - self.options.start).num_minutes().max(0) / 60,
                                };
                                for k in 1..=missing.min(1000) {
                                    let expected = t - Duration::hours(k);
                                    let detail = format!(
                                        "digests are hourly and none ends near {} between {} and {}: deleted, unless logging was off",
                                        secs(expected),
                                        before.map_or_else(|| secs(self.options.start), |b| checked[b].display.clone()),
                                        self.display(&p_path)
                                    );
                                    extra.push(self.expected_digest_row(&folder, &chain, expected, Status::Deleted, detail, &checked[i].display));
                                }
                            }
                        }
                    }
                }
            }
            // The chain stops before the range ends: the digests after it are missing.
            if let Some(&last) = indices.last() {
                let t = checked[last].name.end;
                if t + Duration::minutes(10) <= self.options.end && t + Duration::minutes(75) <= Utc::now() {
                    let expected = t + Duration::hours(1);
                    let detail = format!(
                        "no digest after {} (ends {}) up to {}: logging stopped, validation was disabled, or the newest digests were deleted",
                        checked[last].display,
                        secs(t),
                        secs(self.options.end)
                    );
                    extra.push(self.expected_digest_row(&folder, &chain, expected, Status::Gap, detail, &checked[last].display));
                }
            }
        }
        extra
    }

    /// A row for a digest nobody named: its folder and name up to the hour, then `*`.
    fn expected_digest_row(&self, folder: &str, chain: &str, at: DateTime<Utc>, status: Status, detail: String, digest: &str) -> VerifyRow {
        let dir = Path::from(format!("{folder}/{}", day_folder(day_number(at))).as_str());
        let key = format!("{}/{chain}_{}*.json.gz", self.display(&dir), at.format("%Y%m%dT%H"));
        let layout = parse_key(dir.as_ref());
        VerifyRow {
            kind: RowKind::Digest,
            key,
            status,
            detail,
            digest_key: Some(digest.to_string()),
            expected_sha256: None,
            actual_sha256: None,
            account: layout.account,
            region: layout.region,
            time: Some(at),
        }
    }

    /// Checks that `checked[i]`'s previous fields describe `checked[b]`. A mismatch is a
    /// chain break of `i` when both signatures verify; when `b`'s does not, it is more
    /// evidence that `b` changed, and goes to `b`'s row.
    fn check_link(&self, checked: &mut [Checked], b: usize, i: usize, p: &PreviousDigest) {
        let mut problems = Vec::new();
        match (&p.sha256, &checked[b].sha256) {
            (Some(want), Some(have)) if want == have => {}
            (Some(want), have) => problems.push(format!(
                "previousDigestHashValue {want}, but {} has SHA-256 {}",
                checked[b].display,
                have.as_deref().unwrap_or("(unreadable)")
            )),
            (None, _) => problems.push("previousDigestHashValue is null".to_string()),
        }
        let same_signature = match (&p.signature, &checked[b].signature) {
            (Some(want), Some(have)) => want.trim().eq_ignore_ascii_case(have.trim()),
            _ => false,
        };
        if !same_signature {
            problems.push(format!("previousDigestSignature is not the signature of {}", checked[b].display));
        }
        let bucket = match &self.bucket {
            Some(b) => Some(b.clone()),
            None => checked[b].digest.as_ref().map(|d| d.bucket.clone()),
        };
        if let (Some(want), Some(have)) = (&p.bucket, &bucket) {
            if want != have {
                problems.push(format!("previousDigestS3Bucket {want}, but the previous digest is in {have}"));
            }
        }
        if problems.is_empty() {
            return;
        }
        let problems = problems.join("; ");
        if checked[b].signature_ok && checked[i].signature_ok {
            mark(&mut checked[i], Status::ChainBreak, problems);
        } else if !checked[b].signature_ok {
            let note = format!("; the next digest {} records it differently ({problems})", checked[i].display);
            checked[b].detail.push_str(&note);
        } else {
            checked[i].detail.push_str(&format!("; {problems}"));
        }
    }

    /// Fetches a log file a valid digest lists and compares its decompressed SHA-256.
    async fn check_log(&self, path: &Path, listed: &Listed) -> Result<VerifyRow> {
        let mut row = self.row(RowKind::Log, path, Status::Valid, String::new());
        row.digest_key = Some(listed.digest_display.clone());
        row.expected_sha256 = Some(listed.expected_sha256.clone());
        if let Some(other) = &listed.other_bucket {
            row.status = Status::Moved;
            row.detail = format!("the digest lists it in bucket {other}, not the source bucket");
            return Ok(row);
        }
        let raw = match self.store().get(path).await {
            Ok(g) => g.bytes().await.map_err(|e| Error::Read { key: listed.display.clone(), source: e })?,
            Err(e) if not_found(&e) => {
                row.status = Status::Deleted;
                row.detail = "the digest lists it; it is not there".into();
                return Ok(row);
            }
            Err(e) => return Err(Error::Read { key: listed.display.clone(), source: e }),
        };
        let inflated = tokio::task::spawn_blocking(move || gunzip_single(&raw, u64::MAX, |_| {})).await.map_err(join_error)?;
        match inflated {
            Err(e) => {
                row.status = Status::Modified;
                row.detail = format!("{e}");
            }
            Ok(inflated) => {
                let matches = inflated.sha256 == listed.expected_sha256;
                row.actual_sha256 = Some(inflated.sha256);
                if inflated.trailing_bytes > 0 {
                    row.status = Status::Modified;
                    row.detail = format!(
                        "{} bytes after the end of the gzip member (CloudTrail writes one){}",
                        inflated.trailing_bytes,
                        if matches { "; the member itself matches the digest" } else { "; and the SHA-256 differs from the digest's" }
                    );
                } else if !matches {
                    row.status = Status::Modified;
                    row.detail = if digest::is_sha256_hex(&listed.expected_sha256) {
                        "the SHA-256 of its decompressed content differs from the digest's".into()
                    } else {
                        "the digest's hashValue is not a SHA-256 (64 hex digits), so it cannot match".into()
                    };
                } else {
                    row.detail = "SHA-256 matches the digest".into();
                }
            }
        }
        Ok(row)
    }
}

/// Sets a problem on a digest whose own checks passed; otherwise adds it to the detail.
fn mark(c: &mut Checked, status: Status, detail: String) {
    if c.status == Status::Valid {
        c.status = status;
        c.detail = detail;
    } else {
        c.detail.push_str(&format!("; {detail}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_head_and_tail_split_at_the_last_awslogs() {
        assert_eq!(layout_tail("p/AWSLogs/1/CloudTrail/x.json.gz"), "AWSLogs/1/CloudTrail/x.json.gz");
        assert_eq!(layout_head("p/AWSLogs/1/CloudTrail/x.json.gz"), "p/");
        assert_eq!(layout_tail("AWSLogs/1/x"), "AWSLogs/1/x");
        assert_eq!(layout_head("AWSLogs/1/x"), "");
        assert_eq!(layout_tail("a/AWSLogs/b/AWSLogs/c"), "AWSLogs/c");
        assert_eq!(layout_tail("no/layout"), "no/layout");
        assert_eq!(layout_head("no/layout"), "");
        assert_eq!(layout_tail("xAWSLogs/1"), "xAWSLogs/1");
    }

    #[test]
    fn for_days_covers_whole_utc_days() {
        let o = VerifyOptions::for_days("x", DayRange { first: 20_417, last: 20_418 });
        assert_eq!(secs(o.start), "2025-11-25T00:00:00Z");
        assert_eq!(secs(o.end), "2025-11-27T00:00:00Z");
        assert_eq!(day_folder(20_417), "2025/11/25");
    }
}
