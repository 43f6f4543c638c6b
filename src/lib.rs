//! trailhound: AWS AI/ML audit logs to an Athena-ready Parquet lake.
//!
//! Phase 1, ingest ([`pipeline::scan`]):
//! [`source`] lists objects by the AWS key layout -> fetch (many in flight) ->
//! [`decode`] sniffs gzip, parses JSON to a simd-json tape and fills Arrow builders
//! straight from it -> [`sink`] routes rows to `dt=YYYY-MM-DD` partitions, sorts by
//! event time and streams Parquet to the lake; every object ends in the run manifest
//! as decoded, skipped (with why) or failed (with why), and every record read is
//! written or quarantined.
//!
//! Phase 2, detect ([`detect::runner::detect_lake`]): the SQL pack in `queries/`
//! runs with DataFusion over the lake's tables for the run's days (and the days
//! before, for history rules), with Trino's functions and the site config as
//! tables; findings go back to the lake as a `findings` table.
//!
//! Integrity ([`verify::verify`]): CloudTrail's signed hourly digests are followed as
//! a chain and every log file they list is hashed; the report names each digest and
//! log file that is modified, deleted, unsigned or not covered.

pub mod decode;
#[cfg(feature = "engine")]
pub mod ddl;
#[cfg(feature = "engine")]
pub mod detect;
#[cfg(feature = "engine")]
pub mod error;
#[cfg(feature = "engine")]
pub mod failpoint;
#[cfg(feature = "engine")]
pub mod forensics;
#[cfg(feature = "engine")]
pub mod pipeline;
#[cfg(feature = "engine")]
pub mod sink;
#[cfg(feature = "engine")]
pub mod source;
#[cfg(feature = "engine")]
pub mod store;
#[cfg(feature = "engine")]
pub mod verify;

#[cfg(feature = "engine")]
pub use error::{Error, Result};
#[cfg(feature = "engine")]
pub use pipeline::{scan, ScanOptions};
