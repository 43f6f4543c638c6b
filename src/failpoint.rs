//! Crash points for the commit-protocol tests.
//!
//! `TRAILHOUND_FAILPOINT=<name>[:<n>]` makes the process kill itself with SIGKILL the
//! n-th time (default the first) it reaches the point `name`: no destructor, no flush,
//! no cleanup, exactly what a machine losing power or the OOM killer does. Unset, a
//! point costs one load of a `OnceLock`. The points are listed in [`POINTS`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Every crash point, in the order a scan reaches them.
pub const POINTS: &[&str] = &[
    // An object was fetched (counted per object).
    "fetched",
    // A Parquet file was completed under `_staging/` (counted per file).
    "staged",
    // Every file is staged; the manifest is not written.
    "before-commit",
    // The manifest is written; no staged file is moved yet.
    "after-commit",
    // One staged file was moved to its final key (counted per file).
    "published",
    // Every file is published and superseded files are deleted; the run's
    // `_staging/<run-id>/_pending` marker is still there.
    "before-cleanup",
];

struct Armed {
    name: String,
    at: u64,
    hits: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var("TRAILHOUND_FAILPOINT").ok()?;
            let (name, at) = match spec.split_once(':') {
                Some((name, n)) => (name.to_string(), n.parse().unwrap_or(1)),
                None => (spec, 1),
            };
            Some(Armed { name, at: at.max(1), hits: AtomicU64::new(0) })
        })
        .as_ref()
}

/// Marks the point `name`; kills the process when it is the armed one.
pub fn hit(name: &str) {
    let Some(armed) = armed() else { return };
    if armed.name == name && armed.hits.fetch_add(1, Ordering::SeqCst) + 1 == armed.at {
        #[cfg(unix)]
        // SAFETY: kill(2) on our own pid with a constant signal.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        std::process::abort();
    }
}
