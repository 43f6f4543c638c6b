//! Decode stage: object bytes in, Arrow record batches out.
//!
//! Pure and synchronous (`&[u8] -> RecordBatch`), so it is unit-tested and
//! benchmarked without I/O. One decoder per worker thread; it reuses its buffers,
//! tape and builders across objects. A bad object is a [`DecodeError`] for that
//! object only; a bad record is quarantined and the object's other records are kept.

pub mod cloudtrail;
pub mod columns;
pub mod compression;
pub mod json;
pub mod schema;
pub mod time;

pub use cloudtrail::{CloudTrailDecoder, FileVerdict, Quarantined};

/// Why an object could not be decoded. Positions are byte offsets into the
/// decompressed content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("the object is empty")]
    Empty,
    #[error("gzip stream is corrupt or truncated after {inflated_bytes} decompressed bytes: {message}")]
    Gzip { inflated_bytes: u64, message: String },
    #[error("decompressed content is larger than the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("neither gzip nor JSON: content starts with {prefix}")]
    NotJson { prefix: String },
    #[error("invalid JSON: {message}")]
    Json { message: String },
    #[error("top-level JSON value is {found}, expected an object with a Records array")]
    NotAnObject { found: &'static str },
    #[error("no Records array: the top-level object has keys {keys}")]
    NoRecords { keys: String },
    #[error("Records is {found}, expected an array")]
    RecordsNotArray { found: &'static str },
}
