//! Errors that stop a run. Per-object problems are not errors here: they are
//! recorded in the run report and the manifest, and the run goes on.

use std::path::PathBuf;

/// A fatal problem: bad configuration, an unusable source or destination, a failed write.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("source {path}: {source}")]
    Source { path: PathBuf, source: std::io::Error },
    #[error("source {path} is neither a file nor a folder")]
    SourceKind { path: PathBuf },
    #[error("listing {location}: {source}")]
    List { location: String, source: object_store::Error },
    #[error("output {location}: {source}")]
    Output { location: String, source: object_store::Error },
    #[error("output folder {path}: {source}")]
    OutputDir { path: PathBuf, source: std::io::Error },
    #[error("writing Parquet for partition {partition}: {source}")]
    Parquet { partition: String, source: parquet::errors::ParquetError },
    #[error("building record batches: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("writing the run manifest {location}: {source}")]
    Manifest { location: String, source: serde_json::Error },
    #[error("reading {key}: {source}")]
    Read { key: String, source: object_store::Error },
    #[error("public keys from {location}: {message}")]
    PublicKeys { location: String, message: String },
    #[error("a pipeline stage stopped unexpectedly: {0}")]
    Pipeline(String),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("detection {file}: {reason}")]
    Detection { file: String, reason: String },
    #[error("credentials for {location}: {message}")]
    Credentials { location: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
