//! Source stage: which objects to read, and their bytes.
//!
//! Sources are read through `object_store`, so a local folder behaves like a bucket:
//! keys are `/`-separated paths relative to the folder and the key layout is parsed
//! the same way. Listing never reads content; classification by content happens in
//! the decoder.

pub mod layout;
pub mod plan;
pub mod raw_s3;

use std::collections::HashSet;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result};
pub use layout::{is_candidate, parse_key, KeyLayout, ObjectKind};
pub use plan::{ListFilter, Lister};

/// One object to read.
#[derive(Debug, Clone)]
pub struct SourceObject {
    pub store: Arc<dyn ObjectStore>,
    pub location: Path,
    /// The name users see: the source as given joined with the key.
    pub key: String,
    pub size: u64,
    pub e_tag: Option<String>,
    pub layout: KeyLayout,
    /// Set when the key was listed but cannot be read (why): reported as failed.
    pub unreadable: Option<String>,
}

/// What listing found besides the objects themselves.
#[derive(Debug, Default)]
pub struct ListSummary {
    /// Files that are not log files by name (`README.md`, `.parquet`, hidden files).
    pub num_ignored: u64,
    /// Folders the plan did not list, with why (`.../CloudTrail-Digest`).
    pub folders_not_listed: Vec<(String, &'static str)>,
    /// List calls made.
    pub list_calls: u64,
}

/// Where listed objects go, as soon as they are found.
pub type ObjectSink = tokio::sync::mpsc::UnboundedSender<SourceObject>;

/// Lists the sources into `sink`: `s3://bucket/prefix` by plan, local folders the
/// same way (a folder is a store too), local files as given, and stores already
/// opened. Objects arrive page by page, each once.
///
/// # Errors
/// [`Error::Source`] when a local source does not exist, [`Error::Credentials`] when
/// S3 rejects the credentials, [`Error::List`] when a listing fails.
pub async fn stream_sources(
    sources: &[String],
    opened: &[crate::store::Location],
    filter: &ListFilter,
    s3: &crate::store::S3Options,
    concurrency: usize,
    sink: ObjectSink,
) -> Result<ListSummary> {
    let mut summary = ListSummary::default();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let ignored = Arc::new(AtomicU64::new(0));
    let mut locations: Vec<crate::store::Location> = opened.to_vec();
    for source in sources {
        if crate::store::is_s3(source) {
            locations.push(crate::store::open_s3(source, s3)?);
            continue;
        }
        let path = PathBuf::from(source);
        let meta = std::fs::metadata(&path).map_err(|e| Error::Source { path: path.clone(), source: e })?;
        let abs = std::fs::canonicalize(&path).map_err(|e| Error::Source { path: path.clone(), source: e })?;
        if meta.is_dir() {
            let mut location = crate::store::open_local_dir(&abs, false)?;
            location.display = display_root(&path);
            locations.push(location);
        } else if meta.is_file() {
            if !seen.lock().is_ok_and(|mut s| s.insert(abs.to_string_lossy().into_owned())) {
                continue;
            }
            let parent = abs.parent().unwrap_or(FsPath::new("/"));
            let name = abs.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let location = crate::store::open_local_dir(parent, false)?;
            let key = Path::from(name);
            let head = location
                .store
                .head(&key)
                .await
                .map_err(|e| Error::List { location: source.clone(), source: e })?;
            // An explicitly named file is always read, whatever its name.
            let object = SourceObject {
                store: location.store,
                location: key,
                key: source.replace('\\', "/"),
                size: head.size,
                e_tag: head.e_tag,
                layout: parse_key(source),
                unreadable: None,
            };
            let _ = sink.send(object);
        } else {
            return Err(Error::SourceKind { path });
        }
    }
    for location in &locations {
        plan_location(location, filter, concurrency, &sink, &seen, &ignored, &mut summary).await?;
    }
    summary.num_ignored = ignored.load(Ordering::Relaxed);
    Ok(summary)
}

async fn plan_location(
    location: &crate::store::Location,
    filter: &ListFilter,
    concurrency: usize,
    sink: &ObjectSink,
    seen: &Arc<Mutex<HashSet<String>>>,
    ignored: &Arc<AtomicU64>,
    summary: &mut ListSummary,
) -> Result<()> {
    let emit: plan::Emit = {
        let (location, sink, seen, ignored) = (location.clone(), sink.clone(), seen.clone(), ignored.clone());
        Arc::new(move |meta: ObjectMeta| {
            let key = location.display_key(&meta.location);
            let layout = parse_key(&key);
            if !is_candidate(&key, &layout) {
                ignored.fetch_add(1, Ordering::Relaxed);
            } else if seen.lock().is_ok_and(|mut s| s.insert(key.clone())) {
                let object = SourceObject {
                    store: location.store.clone(),
                    location: meta.location,
                    key,
                    size: meta.size,
                    e_tag: meta.e_tag,
                    layout,
                    unreadable: None,
                };
                let _ = sink.send(object);
            }
        })
    };
    let lister = Lister::new(location.store.clone(), filter.clone(), concurrency).with_emit(emit);
    let planned = lister.plan(&location.prefix).await;
    summary.list_calls += lister.list_calls.load(Ordering::Relaxed);
    let planned = planned.map_err(|e| match e {
        Error::List { source, .. } if crate::store::is_auth_error(&source) => Error::Credentials {
            location: location.display.clone(),
            message: format!("S3 refused the request: {}", crate::store::error_summary(&source)),
        },
        other => other,
    })?;
    // Keys the store could list but not represent: failed objects, named exactly.
    let odd: Vec<raw_s3::UnreadableKey> = location.unreadable.as_ref().and_then(|u| u.lock().ok().map(|mut u| std::mem::take(&mut *u))).unwrap_or_default();
    for key in odd {
        let shown = match location.bucket() {
            Some(bucket) => format!("s3://{bucket}/{}", key.key),
            None => key.key.clone(),
        };
        if seen.lock().is_ok_and(|mut s| s.insert(shown.clone())) {
            let object = SourceObject {
                store: location.store.clone(),
                location: Path::from(key.key.as_str()),
                layout: parse_key(&shown),
                key: shown,
                size: key.size,
                e_tag: key.e_tag,
                unreadable: Some(key.reason),
            };
            let _ = sink.send(object);
        }
    }
    for (folder, reason) in planned.folders_not_listed {
        let shown = location.display_key(&Path::from(folder.as_str()));
        summary.folders_not_listed.push((shown, reason));
    }
    Ok(())
}

/// The source path as the user wrote it, with `/` separators and no trailing slash.
fn display_root(path: &FsPath) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_string() } else { trimmed.to_string() }
}
