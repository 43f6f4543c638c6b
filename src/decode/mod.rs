//! Decode stage: object bytes in, Arrow record batches out.
//!
//! Pure and synchronous (`&[u8] -> RecordBatch`), so it is unit-tested and
//! benchmarked without I/O. One [`ObjectDecoder`] per worker thread; it inflates
//! once, tells CloudTrail JSON from S3 access-log text by content, and reuses its
//! buffers, tape and builders across objects. A bad object is a [`DecodeError`] for
//! that object only; a bad record is quarantined and the object's other records kept.

mod builders;
pub mod cloudtrail;
pub mod columns;
pub mod compression;
pub mod filter;
pub mod json;
pub mod s3_access;
pub mod schema;
mod split;
pub mod time;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use compression::Compression;

pub use cloudtrail::{CloudTrailDecoder, DecodeLimits, FileVerdict, QuarantineLog, Quarantined};
pub use filter::RowFilter;
pub use s3_access::AccessLogDecoder;

/// Why an object could not be decoded. Positions are byte offsets into the
/// decompressed content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("the object is empty")]
    Empty,
    #[error("gzip stream {} after {inflated_bytes} decompressed bytes: {message}", if *truncated { "ends early" } else { "is corrupt" })]
    Gzip { inflated_bytes: u64, message: String, truncated: bool },
    #[error("decompressed content is larger than the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("neither a CloudTrail log file (JSON) nor an S3 access log (text): content starts with {prefix}")]
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

/// The lake's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    #[serde(rename = "cloudtrail")]
    CloudTrail,
    S3Access,
}

impl Table {
    pub const ALL: [Table; 2] = [Table::CloudTrail, Table::S3Access];

    /// The table's folder under the lake root.
    pub fn name(self) -> &'static str {
        match self {
            Table::CloudTrail => "cloudtrail",
            Table::S3Access => "s3_access",
        }
    }

    pub fn schema(self) -> SchemaRef {
        match self {
            Table::CloudTrail => schema::cloudtrail_schema(),
            Table::S3Access => s3_access::s3_access_schema(),
        }
    }

    /// String columns the table's rows are sorted by, before time: the columns the
    /// detections and analysts filter on most.
    pub fn cluster_columns(self) -> &'static [&'static str] {
        match self {
            Table::CloudTrail => &["eventsource", "eventname"],
            Table::S3Access => &[],
        }
    }

    /// String columns whose values are nearly all distinct (ids, JSON documents, host
    /// ids): written without a dictionary or statistics, which cost encoding time
    /// and buy neither size nor pruning there.
    pub fn high_cardinality_columns(self) -> &'static [&'static str] {
        match self {
            Table::CloudTrail => &["eventid", "requestid", "requestparameters", "responseelements", "additionaleventdata"],
            Table::S3Access => &["requestid", "hostid", "request_uri"],
        }
    }

    /// The typed event-time column: partitions and sort order come from it.
    pub fn time_column(self) -> &'static str {
        match self {
            Table::CloudTrail => schema::EVENT_TIME_TS,
            Table::S3Access => s3_access::REQUEST_TIME_TS,
        }
    }
}

/// Which decoder to use for an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindHint {
    /// By content: JSON is CloudTrail, a line with a bracketed time is an access log.
    #[default]
    Auto,
    /// Always decode as this table's format.
    Force(Table),
}

/// Decodes any supported object; one per worker thread.
pub struct ObjectDecoder {
    input: Vec<u8>,
    limits: DecodeLimits,
    cloudtrail: CloudTrailDecoder,
    access: AccessLogDecoder,
}

impl ObjectDecoder {
    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            input: Vec::new(),
            limits,
            cloudtrail: CloudTrailDecoder::new(limits),
            access: AccessLogDecoder::new(limits),
        }
    }

    /// Keeps only the rows `filter` matches.
    pub fn with_filter(mut self, filter: std::sync::Arc<RowFilter>) -> Self {
        self.cloudtrail = self.cloudtrail.with_filter(filter.clone());
        self.access = self.access.with_filter(filter);
        self
    }

    /// Keeps only rows whose event time is in `[start, end)` ms (all when `None`),
    /// from the next object on.
    pub fn set_event_time_range(&mut self, range: Option<(i64, i64)>) {
        self.limits.event_time_range_ms = range;
        self.cloudtrail.set_event_time_range(range);
        self.access.set_event_time_range(range);
    }

    /// Decodes one object into the table its content (or `hint`) says.
    ///
    /// # Errors
    /// A [`DecodeError`] when the object as a whole is unreadable.
    pub fn decode(&mut self, key: &str, raw: &[u8], hint: KindHint) -> Result<(Table, FileVerdict), DecodeError> {
        let mut input = std::mem::take(&mut self.input);
        let result = self.decode_into(key, raw, hint, &mut input);
        self.input = input;
        result
    }

    fn decode_into(&mut self, key: &str, raw: &[u8], hint: KindHint, input: &mut Vec<u8>) -> Result<(Table, FileVerdict), DecodeError> {
        // A gzip stream that ends early still holds whole records before the cut.
        let (compression, truncated) = match compression::decompress_into(raw, input, self.limits.max_decompressed_bytes) {
            Ok(compression) => (compression, None),
            Err(e @ DecodeError::Gzip { truncated: true, .. }) if !input.is_empty() => (Compression::Gzip, Some(e)),
            Err(e) => return Err(e),
        };
        let table = match hint {
            KindHint::Force(table) => table,
            KindHint::Auto if cloudtrail::json_start(input).is_ok() => Table::CloudTrail,
            KindHint::Auto if AccessLogDecoder::sniff(input) => Table::S3Access,
            KindHint::Auto if truncated.is_some() => return Err(truncated.unwrap_or(DecodeError::Empty)),
            KindHint::Auto => return Err(DecodeError::NotJson { prefix: cloudtrail::describe_prefix(trim_start(input)) }),
        };
        let verdict = match (table, truncated) {
            (Table::CloudTrail, None) => self.cloudtrail.decode_inflated(key, raw, input, compression)?,
            (Table::CloudTrail, Some(e)) => {
                let damage = format!("{e}; the records before the cut are kept");
                self.cloudtrail.decode_records(key, input, compression, damage).ok_or(e)?
            }
            (Table::S3Access, None) => self.access.decode_decompressed(key, input, compression),
            (Table::S3Access, Some(e)) => self.access.decode_cut(key, input, &e.to_string()),
        };
        Ok((table, verdict))
    }

    /// Inflates and parses one object, building nothing: what `scan --parse-only`
    /// measures, the floor under decoding. Returns the table and its records
    /// (CloudTrail) or lines (access logs, split into fields), and the bytes inflated.
    ///
    /// # Errors
    /// A [`DecodeError`] when the object does not inflate or parse as a whole.
    pub fn parse_only(&mut self, raw: &[u8]) -> Result<(Table, u64, u64), DecodeError> {
        let mut input = std::mem::take(&mut self.input);
        let result = compression::decompress_into(raw, &mut input, self.limits.max_decompressed_bytes).and_then(|_| {
            if cloudtrail::json_start(&input).is_ok() {
                Ok((Table::CloudTrail, self.cloudtrail.parse_only(&mut input)?, input.len() as u64))
            } else if AccessLogDecoder::sniff(&input) {
                Ok((Table::S3Access, s3_access::parse_only(&input), input.len() as u64))
            } else {
                Err(DecodeError::NotJson { prefix: cloudtrail::describe_prefix(trim_start(&input)) })
            }
        });
        self.input = input;
        result
    }

    /// Batches completed so far, with their table.
    pub fn take_batches(&mut self) -> Vec<(Table, RecordBatch)> {
        let mut out: Vec<(Table, RecordBatch)> =
            self.cloudtrail.take_batches().into_iter().map(|b| (Table::CloudTrail, b)).collect();
        out.extend(self.access.take_batches().into_iter().map(|b| (Table::S3Access, b)));
        out
    }

    /// Completes every buffered row into batches.
    ///
    /// # Errors
    /// Only on a broken internal invariant.
    pub fn finish(&mut self) -> Result<Vec<(Table, RecordBatch)>, ArrowError> {
        let mut out: Vec<(Table, RecordBatch)> =
            self.cloudtrail.finish()?.into_iter().map(|b| (Table::CloudTrail, b)).collect();
        out.extend(self.access.finish()?.into_iter().map(|b| (Table::S3Access, b)));
        Ok(out)
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}
