//! Source stage: which objects to read, and their bytes.
//!
//! Sources are read through `object_store`, so a local folder behaves like a bucket:
//! keys are `/`-separated paths relative to the folder and the key layout is parsed
//! the same way. Listing never reads content; classification by content happens in
//! the decoder.

pub mod layout;

use std::collections::HashSet;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::error::{Error, Result};
pub use layout::{is_candidate, parse_key, KeyLayout, ObjectKind};

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
}

/// Lists the given local files and folders (recursively).
///
/// # Errors
/// [`Error::Source`] when a source does not exist or cannot be read.
pub async fn list_local(sources: &[PathBuf]) -> Result<Listing> {
    let mut listing = Listing::default();
    let mut seen = HashSet::new();
    for source in sources {
        let meta = std::fs::metadata(source)
            .map_err(|e| Error::Source { path: source.clone(), source: e })?;
        let abs = std::fs::canonicalize(source)
            .map_err(|e| Error::Source { path: source.clone(), source: e })?;
        let shown = display_root(source);
        if meta.is_dir() {
            let store: Arc<dyn ObjectStore> = Arc::new(
                LocalFileSystem::new_with_prefix(&abs)
                    .map_err(|e| Error::List { location: shown.clone(), source: e })?,
            );
            let metas: Vec<_> = store
                .list(None)
                .try_collect()
                .await
                .map_err(|e| Error::List { location: shown.clone(), source: e })?;
            for m in metas {
                let key = format!("{shown}/{}", m.location);
                if !seen.insert(abs.join(m.location.as_ref())) {
                    continue;
                }
                push(&mut listing, store.clone(), m.location, key, m.size, m.e_tag, false);
            }
        } else if meta.is_file() {
            if !seen.insert(abs.clone()) {
                continue;
            }
            let parent = abs.parent().unwrap_or(FsPath::new("/"));
            let name = abs.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let store: Arc<dyn ObjectStore> = Arc::new(
                LocalFileSystem::new_with_prefix(parent)
                    .map_err(|e| Error::List { location: shown.clone(), source: e })?,
            );
            let location = Path::from(name);
            let head = store
                .head(&location)
                .await
                .map_err(|e| Error::List { location: shown.clone(), source: e })?;
            // An explicitly named file is always read, whatever its name.
            push(&mut listing, store, location, shown, head.size, head.e_tag, true);
        } else {
            return Err(Error::SourceKind { path: source.clone() });
        }
    }
    listing.objects.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(listing)
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
