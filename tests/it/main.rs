//! The one integration-test binary (one link on 2 cores).

mod access;
mod cli;
mod commit;
mod corpus;
mod ddl;
mod detect_cli;
mod detections;
mod hostile;
mod labels;
mod oracle;
mod plan;
mod s3;
mod schema;
mod sink;
mod verify;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus` beside the checkout, or `None` with a message saying the
/// corpus tests are skipped (a fresh clone outside the team layout has no corpus).
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("TRAILHOUND_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: the shared corpus is not at {} (set TRAILHOUND_CORPUS to run the corpus tests)",
            dir.display()
        );
        None
    }
}

/// Every file under `dir`, sorted.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Gunzips (any number of members) or passes plain bytes through.
pub fn inflate(raw: &[u8]) -> Vec<u8> {
    use std::io::Read;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out).expect("test gzip");
        out
    } else {
        raw.to_vec()
    }
}
