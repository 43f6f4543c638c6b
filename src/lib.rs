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
//! Phase 2 (detections over the lake) builds on the tables defined in
//! [`decode::schema`].

pub mod decode;
pub mod error;
pub mod pipeline;
pub mod sink;
pub mod source;
pub mod store;

pub use error::{Error, Result};
pub use pipeline::{scan, ScanOptions};
