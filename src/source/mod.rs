//! Source stage: which objects to read, and their bytes.
//!
//! Sources are read through `object_store`, so a local folder behaves like a bucket:
//! keys are `/`-separated paths relative to the folder and the key layout is parsed
//! the same way. Listing never reads content; classification by content happens in
//! the decoder.

pub mod layout;
pub mod plan;

use std::collections::HashSet;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

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
}

/// Everything the sources hold, sorted by key.
#[derive(Debug, Default)]
pub struct Listing {
    pub objects: Vec<SourceObject>,
    /// Files that are not log files by name (`README.md`, `.parquet`, hidden files).
    pub num_ignored: u64,
    /// Folders the plan did not list, with why (`.../CloudTrail-Digest`).
    pub folders_not_listed: Vec<(String, &'static str)>,
    /// List calls made.
    pub list_calls: u64,
}

/// Lists the sources: `s3://bucket/prefix` by plan, local folders the same way
/// (a folder is a store too), local files as given, and stores already opened.
///
/// # Errors
/// [`Error::Source`] when a local source does not exist, [`Error::Credentials`] when
/// S3 rejects the credentials, [`Error::List`] when a listing fails.
pub async fn list_sources(
    sources: &[String],
    opened: &[crate::store::Location],
    filter: &ListFilter,
    s3: &crate::store::S3Options,
    concurrency: usize,
) -> Result<Listing> {
    let mut listing = Listing::default();
    let mut seen = HashSet::new();
    for location in opened {
        plan_location(location, filter, concurrency, &mut listing, &mut seen).await?;
    }
    for source in sources {
        if crate::store::is_s3(source) {
            let location = crate::store::open_s3(source, s3)?;
            plan_location(&location, filter, concurrency, &mut listing, &mut seen).await?;
            continue;
        }
        let path = PathBuf::from(source);
        let meta = std::fs::metadata(&path).map_err(|e| Error::Source { path: path.clone(), source: e })?;
        let abs = std::fs::canonicalize(&path).map_err(|e| Error::Source { path: path.clone(), source: e })?;
        if meta.is_dir() {
            let mut location = crate::store::open_local_dir(&abs, false)?;
            location.display = display_root(&path);
            plan_location(&location, filter, concurrency, &mut listing, &mut seen).await?;
        } else if meta.is_file() {
            if !seen.insert(abs.to_string_lossy().into_owned()) {
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
            let shown = source.replace('\\', "/");
            push(&mut listing, location.store, key, shown, head.size, head.e_tag, true);
        } else {
            return Err(Error::SourceKind { path });
        }
    }
    listing.objects.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(listing)
}

async fn plan_location(
    location: &crate::store::Location,
    filter: &ListFilter,
    concurrency: usize,
    listing: &mut Listing,
    seen: &mut HashSet<String>,
) -> Result<()> {
    let lister = Lister::new(location.store.clone(), filter.clone(), concurrency);
    let planned = lister.plan(&location.prefix).await;
    listing.list_calls += lister.list_calls.load(std::sync::atomic::Ordering::Relaxed);
    let planned = planned.map_err(|e| match e {
        Error::List { source, .. } if crate::store::is_auth_error(&source) => Error::Credentials {
            location: location.display.clone(),
            message: format!("S3 refused the request: {}", crate::store::error_summary(&source)),
        },
        other => other,
    })?;
    for (folder, reason) in planned.folders_not_listed {
        let shown = location.display_key(&Path::from(folder.as_str()));
        listing.folders_not_listed.push((shown, reason));
    }
    for meta in planned.objects {
        let key = location.display_key(&meta.location);
        if !seen.insert(key.clone()) {
            continue;
        }
        push(listing, location.store.clone(), meta.location, key, meta.size, meta.e_tag, false);
    }
    Ok(())
}

fn push(
    listing: &mut Listing,
    store: Arc<dyn ObjectStore>,
    location: Path,
    key: String,
    size: u64,
    e_tag: Option<String>,
    explicit: bool,
) {
    let layout = parse_key(&key);
    if explicit || is_candidate(&key, &layout) {
        listing.objects.push(SourceObject { store, location, key, size, e_tag, layout });
    } else {
        listing.num_ignored += 1;
    }
}

/// The source path as the user wrote it, with `/` separators and no trailing slash.
fn display_root(path: &FsPath) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_string() } else { trimmed.to_string() }
}
