//! CloudTrail log files: `{"Records":[...]}`, gzipped or plain, to `cloudtrail` batches.
//!
//! The whole object is parsed into a simd-json tape (reused across objects) and each
//! record is appended to Arrow builders straight from the tape. Digest files are
//! recognised by content and reported as such; S3/SNS event notifications that share
//! the envelope are recognised and not decoded as CloudTrail.

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use simd_json::{Buffers, Node, Tape};

use super::columns::RecordColumns;
use super::compression::{decompress_into, Compression};
use super::json::{span, type_name, write_value};
use super::schema::{cloudtrail_schema, CLOUDTRAIL_RECORD, EVENT_TIME_TS, SOURCE_KEY, UNMAPPED};
use super::time::parse_timestamp_ms;
use super::{split, DecodeError, RowFilter};

/// Limits that protect the decoder from hostile objects.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Cap on the decompressed size of one object.
    pub max_decompressed_bytes: u64,
    /// Cap on the size of one record (a `Records` element or an access-log line);
    /// larger ones are quarantined.
    pub max_record_bytes: u64,
    /// Cap on JSON nesting depth.
    pub max_depth: usize,
    /// Emit a batch once this many rows are buffered.
    pub batch_rows: usize,
    /// Emit a batch once the builders hold about this many bytes.
    pub batch_bytes: usize,
    /// Keep only records whose event time is in `[start, end)` (ms since the epoch);
    /// records without a readable time are kept.
    pub event_time_range_ms: Option<(i64, i64)>,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_decompressed_bytes: 1 << 30,
            max_record_bytes: 16 << 20,
            max_depth: 512,
            batch_rows: 64 * 1024,
            batch_bytes: 16 << 20,
            event_time_range_ms: None,
        }
    }
}

/// A record that was read but not written, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Quarantined {
    /// Position in the object: `Records` index (0-based) or line number (1-based).
    pub index: usize,
    pub reason: String,
    /// The record as it was read (JSON text or the log line), at most
    /// [`QuarantineLog::MAX_RAW_BYTES`].
    pub raw: String,
    /// True when `raw` was cut at the cap.
    pub raw_truncated: bool,
}

/// The records rejected from one object: every one counted by reason, the first
/// [`Self::MAX_KEPT`] kept with their raw text, so a hostile object of millions of
/// bad records costs bounded memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuarantineLog {
    pub kept: Vec<Quarantined>,
    pub total: u64,
    /// Reason (without the position) -> records.
    pub by_reason: std::collections::BTreeMap<String, u64>,
}

impl QuarantineLog {
    pub const MAX_KEPT: usize = 10_000;
    pub const MAX_RAW_BYTES: usize = 1 << 20;

    /// Records one rejection; `raw` is only produced for kept entries.
    pub fn push(&mut self, index: usize, reason: String, raw: impl FnOnce() -> String) {
        self.total += 1;
        let class = reason_class(&reason);
        *self.by_reason.entry(class).or_default() += 1;
        if self.kept.len() < Self::MAX_KEPT {
            let mut raw = raw();
            let raw_truncated = raw.len() > Self::MAX_RAW_BYTES;
            if raw_truncated {
                let mut cut = Self::MAX_RAW_BYTES;
                while !raw.is_char_boundary(cut) {
                    cut -= 1;
                }
                raw.truncate(cut);
            }
            self.kept.push(Quarantined { index, reason, raw, raw_truncated });
        }
    }

    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// The reason without its position (`record 3 is ...` -> `is ...`), to count reasons.
fn reason_class(reason: &str) -> String {
    let rest = reason
        .strip_prefix("record ")
        .or_else(|| reason.strip_prefix("line "))
        .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start_matches(':').trim_start());
    rest.unwrap_or(reason).to_string()
}

/// What an object turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum FileVerdict {
    /// A log file: `records` entries read, all appended except `quarantined`.
    Events {
        records: u64,
        quarantined: QuarantineLog,
        /// Records outside the requested event-time range, not written.
        out_of_range: u64,
        /// Records the row filter (principal, source, name) left out.
        filtered: u64,
        compression: Compression,
        /// Size of the content after decompression.
        decompressed_bytes: u64,
        /// Damage to the object as a whole that its records survived (a gzip stream
        /// that ends early, content that is not valid JSON as a whole): the good
        /// records are kept and the bad parts quarantined.
        damage: Option<String>,
    },
    /// A CloudTrail digest file (integrity validation), not events.
    Digest,
    /// Looks like CloudTrail but is another AWS envelope (S3 event notifications, SNS).
    NotCloudTrail { reason: String },
}

/// Decodes CloudTrail objects into batches of the `cloudtrail` schema.
pub struct CloudTrailDecoder {
    filter: std::sync::Arc<RowFilter>,
    columns: RecordColumns,
    buffers: Buffers,
    tape: Vec<Node<'static>>,
    input: Vec<u8>,
    /// One record at a time, when reading record by record.
    scratch: Vec<u8>,
    limits: DecodeLimits,
    ready: Vec<RecordBatch>,
}

impl CloudTrailDecoder {
    /// Keeps only records whose event time is in `[start, end)` ms (all when `None`).
    pub fn set_event_time_range(&mut self, range: Option<(i64, i64)>) {
        self.limits.event_time_range_ms = range;
    }

    /// Keeps only the records `filter` matches.
    pub fn with_filter(mut self, filter: std::sync::Arc<RowFilter>) -> Self {
        self.filter = filter;
        self
    }

    /// Whether the record passes the row filter.
    fn keeps(&self, tape: &[Node<'_>], head: &RecordHead<'_>) -> bool {
        let f = &self.filter;
        if !f.source_ok(head.event_source) || !f.name_ok(head.event_name) {
            return false;
        }
        let Some(ui) = head.user_identity else { return f.principals.is_empty() };
        let issuer = field(tape, ui, "sessionContext").and_then(|sc| field(tape, sc, "sessionIssuer"));
        let ids = [
            str_at(tape, field(tape, ui, "arn")),
            str_at(tape, field(tape, ui, "userName")),
            str_at(tape, field(tape, ui, "principalId")),
            issuer.and_then(|si| str_at(tape, field(tape, si, "arn"))),
            issuer.and_then(|si| str_at(tape, field(tape, si, "userName"))),
        ];
        f.principal_ok(ids.into_iter().flatten())
    }

    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            filter: std::sync::Arc::new(RowFilter::default()),
            columns: RecordColumns::new(
                CLOUDTRAIL_RECORD,
                cloudtrail_schema(),
                EVENT_TIME_TS,
                UNMAPPED,
                SOURCE_KEY,
            ),
            buffers: Buffers::with_max_depth(1 << 16, limits.max_depth),
            tape: Vec::new(),
            input: Vec::new(),
            scratch: Vec::new(),
            limits,
            ready: Vec::new(),
        }
    }

    /// Decodes one object (gzip or plain). Rows go to the builders; full batches are
    /// collected for [`Self::take_batches`].
    ///
    /// # Errors
    /// A [`DecodeError`] when the object as a whole is unreadable; nothing from it
    /// has been appended then.
    pub fn decode(&mut self, source_key: &str, raw: &[u8]) -> Result<FileVerdict, DecodeError> {
        let mut input = std::mem::take(&mut self.input);
        let result = self.decode_raw(source_key, raw, &mut input);
        self.input = input;
        result
    }

    /// [`Self::decode`] with the caller's buffer for the decompressed content; also
    /// reads a damaged object record by record (see [`Self::decode_records`]).
    ///
    /// # Errors
    /// As [`Self::decode`].
    pub fn decode_raw(&mut self, source_key: &str, raw: &[u8], input: &mut Vec<u8>) -> Result<FileVerdict, DecodeError> {
        match decompress_into(raw, input, self.limits.max_decompressed_bytes) {
            Ok(compression) => self.decode_inflated(source_key, raw, input, compression),
            Err(e @ DecodeError::Gzip { truncated: true, .. }) if json_start(input).is_ok() => {
                let damage = format!("{e}; the records before the cut are kept");
                self.decode_records(source_key, input, Compression::Gzip, damage).ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Decodes `input`, the content of `raw` already inflated; when it is not valid
    /// JSON as a whole, inflates `raw` again and reads it record by record.
    ///
    /// # Errors
    /// As [`Self::decode`].
    pub fn decode_inflated(
        &mut self,
        source_key: &str,
        raw: &[u8],
        input: &mut Vec<u8>,
        compression: Compression,
    ) -> Result<FileVerdict, DecodeError> {
        match self.decode_decompressed(source_key, input, compression) {
            Err(DecodeError::Json { message }) => {
                // The parser unescapes strings in place: start again from the object.
                decompress_into(raw, input, self.limits.max_decompressed_bytes)?;
                let damage = format!("not valid JSON as a whole ({message}); records read one by one");
                self.decode_records(source_key, input, compression, damage).ok_or(DecodeError::Json { message })
            }
            other => other,
        }
    }

    /// Decodes content already decompressed into `input` (which is padded in place
    /// for the parser).
    ///
    /// # Errors
    /// As [`Self::decode`].
    pub fn decode_decompressed(
        &mut self,
        source_key: &str,
        input: &mut Vec<u8>,
        compression: Compression,
    ) -> Result<FileVerdict, DecodeError> {
        let start = json_start(input)?;
        let len = input.len();
        input.resize(len + simd_json::INPUT_PADDING, 0);
        let doc = &mut input[start..];
        let mut tape = Tape(std::mem::take(&mut self.tape)).reset();
        let parsed = simd_json::fill_tape_padded(doc, len - start, &mut self.buffers, &mut tape)
            .map_err(|e| DecodeError::Json { message: json_error(&e, start) });
        let verdict = parsed.and_then(|()| match self.decode_tape(source_key, &tape.0, len - start) {
            Ok(TapeOutcome::Events { records, counts }) => Ok(FileVerdict::Events {
                records,
                quarantined: counts.quarantined,
                out_of_range: counts.out_of_range,
                filtered: counts.filtered,
                compression,
                decompressed_bytes: len as u64,
                damage: None,
            }),
            Ok(TapeOutcome::LookAlike(reason)) => Ok(FileVerdict::NotCloudTrail { reason }),
            Err(DecodeError::NoRecords { .. }) if is_digest(&tape.0) => Ok(FileVerdict::Digest),
            Err(e) => Err(e),
        });
        self.tape = tape.reset().0;
        input.truncate(len);
        verdict
    }

    /// Parses content already decompressed into `input` into the tape and counts the
    /// `Records`, building nothing: the floor `scan --parse-only` measures.
    ///
    /// # Errors
    /// Invalid JSON, or no `Records` array.
    pub fn parse_only(&mut self, input: &mut Vec<u8>) -> Result<u64, DecodeError> {
        let start = json_start(input)?;
        let len = input.len();
        input.resize(len + simd_json::INPUT_PADDING, 0);
        let mut tape = Tape(std::mem::take(&mut self.tape)).reset();
        let parsed = simd_json::fill_tape_padded(&mut input[start..], len - start, &mut self.buffers, &mut tape)
            .map_err(|e| DecodeError::Json { message: json_error(&e, start) });
        let records = parsed.and_then(|()| match records_array(&tape.0).map(|at| tape.0[at]) {
            Ok(Node::Array { len, .. }) => Ok(len as u64),
            Ok(other) => Err(DecodeError::RecordsNotArray { found: type_name(&other) }),
            Err(e) => Err(e),
        });
        self.tape = tape.reset().0;
        input.truncate(len);
        records
    }

    fn decode_tape(
        &mut self,
        source_key: &str,
        tape: &[Node<'_>],
        input_len: usize,
    ) -> Result<TapeOutcome, DecodeError> {
        let records_at = records_array(tape)?;
        let Node::Array { len, .. } = tape[records_at] else {
            return Err(DecodeError::RecordsNotArray { found: type_name(&tape[records_at]) });
        };
        let mut counts = Counts::default();
        // No record can be over the cap when the whole content is not.
        let check_size = input_len as u64 > self.limits.max_record_bytes;
        let mut j = records_at + 1;
        for index in 0..len {
            let size = if check_size { record_bytes_at_least(tape, j) } else { 0 };
            if size as u64 > self.limits.max_record_bytes {
                let max = self.limits.max_record_bytes;
                counts.quarantined.push(
                    index,
                    format!("record {index} is at least {size} bytes, larger than the limit of {max} bytes (--max-record-bytes)"),
                    || raw_json(tape, j),
                );
            } else if let Some(look_alike) = self.record(tape, j, index, source_key, &mut counts) {
                return Ok(TapeOutcome::LookAlike(look_alike));
            }
            j += span(tape, j);
        }
        self.flush_if_full();
        Ok(TapeOutcome::Events { records: len as u64, counts })
    }

    /// Appends, counts or quarantines the record at tape index `j` (element `index`
    /// of `Records`). Returns why the object is not CloudTrail when its first record
    /// is an AWS event notification.
    fn record(&mut self, tape: &[Node<'_>], j: usize, index: usize, source_key: &str, counts: &mut Counts) -> Option<String> {
        match tape[j] {
            Node::Object { .. } => {
                let head = record_head(tape, j);
                let in_range = match (self.limits.event_time_range_ms, head.event_time.and_then(parse_timestamp_ms)) {
                    (Some((start, end)), Some(t)) => start <= t && t < end,
                    _ => true,
                };
                if let Some(source) = head.event_source.filter(|s| s.starts_with("aws:")) {
                    if index == 0 {
                        return Some(format!("an AWS event notification (eventSource {source}), not a CloudTrail log file"));
                    }
                    counts.quarantined.push(
                        index,
                        format!("record {index} is an AWS event notification (eventSource {source}), not a CloudTrail record"),
                        || raw_json(tape, j),
                    );
                } else if !in_range {
                    counts.out_of_range += 1;
                } else if !self.filter.is_empty() && !self.keeps(tape, &head) {
                    counts.filtered += 1;
                } else {
                    self.columns.append_record(tape, j, source_key);
                    if index % 64 == 63 {
                        self.flush_if_full();
                    }
                }
            }
            other => counts.quarantined.push(
                index,
                format!("record {index} is {}, expected an object", type_name(&other)),
                || raw_json(tape, j),
            ),
        }
        None
    }

    /// Reads the `Records` elements of damaged content one at a time: each is
    /// parsed on its own, so one bad record (or a cut-off tail) costs only itself.
    /// `input` must be the content as delivered (not a buffer the parser has
    /// rewritten). `damage` says what is wrong with the object as a whole.
    ///
    /// `None` when no `Records` array can be framed: the object is rejected whole.
    pub fn decode_records(
        &mut self,
        source_key: &str,
        input: &[u8],
        compression: Compression,
        damage: String,
    ) -> Option<FileVerdict> {
        let start = json_start(input).ok()?;
        let split = split::split_records(input, start)?;
        let lossy = |bytes: &[u8]| String::from_utf8_lossy(&bytes[..bytes.len().min(QuarantineLog::MAX_RAW_BYTES)]).into_owned();
        let mut counts = Counts::default();
        let mut scratch = std::mem::take(&mut self.scratch);
        let last = split.records.len().saturating_sub(1);
        for (index, range) in split.records.iter().enumerate() {
            let bytes = &input[range.clone()];
            let at = range.start;
            if split.cut && index == last {
                counts.quarantined.push(
                    index,
                    format!("record {index} at byte {at} is cut off: the content ends inside it"),
                    || lossy(bytes),
                );
                continue;
            }
            if bytes.len() as u64 > self.limits.max_record_bytes {
                let (size, max) = (bytes.len(), self.limits.max_record_bytes);
                counts.quarantined.push(
                    index,
                    format!("record {index} at byte {at} is {size} bytes, larger than the limit of {max} bytes (--max-record-bytes)"),
                    || lossy(bytes),
                );
                continue;
            }
            scratch.clear();
            scratch.extend_from_slice(bytes);
            scratch.resize(bytes.len() + simd_json::INPUT_PADDING, 0);
            let mut tape = Tape(std::mem::take(&mut self.tape)).reset();
            match simd_json::fill_tape_padded(&mut scratch, bytes.len(), &mut self.buffers, &mut tape) {
                Ok(()) => {
                    // A look-alike first record here means a damaged notification file.
                    if let Some(reason) = self.record(&tape.0, 0, index, source_key, &mut counts) {
                        counts.quarantined.push(index, format!("record {index}: {reason}"), || lossy(bytes));
                    }
                }
                Err(e) => counts.quarantined.push(
                    index,
                    format!("record {index} at byte {at} is not valid JSON: {}", json_error(&e, at)),
                    || lossy(bytes),
                ),
            }
            self.tape = tape.reset().0;
        }
        self.scratch = scratch;
        let mut records = split.records.len() as u64;
        let mut damage = damage;
        if let Some((at, why)) = split.broken {
            damage.push_str(&format!("; {why} at byte {at}"));
            let rest = &input[at.min(input.len())..];
            if !rest.iter().all(|&b| b.is_ascii_whitespace() || b == b']' || b == b'}') {
                // Unframed bytes: kept as one quarantine entry, counted as one record.
                let index = split.records.len();
                counts.quarantined.push(
                    index,
                    format!("record {index}: {why} at byte {at}; the remaining {} bytes are kept as one entry", rest.len()),
                    || lossy(rest),
                );
                records += 1;
            }
        }
        self.flush_if_full();
        Some(FileVerdict::Events {
            records,
            quarantined: counts.quarantined,
            out_of_range: counts.out_of_range,
            filtered: counts.filtered,
            compression,
            decompressed_bytes: input.len() as u64,
            damage: Some(damage),
        })
    }

    fn flush_if_full(&mut self) {
        if self.columns.num_rows() >= self.limits.batch_rows
            || self.columns.memory_bytes() >= self.limits.batch_bytes
        {
            // finish() fails only on a broken invariant; keep it for take_batches.
            if let Ok(batch) = self.columns.finish() {
                self.ready.push(batch);
            }
        }
    }

    /// Batches completed so far.
    pub fn take_batches(&mut self) -> Vec<RecordBatch> {
        std::mem::take(&mut self.ready)
    }

    /// Rows appended but not yet returned as a batch.
    pub fn pending_rows(&self) -> usize {
        self.columns.num_rows()
    }

    /// Completes the rows buffered so far into a batch (also those not yet full).
    ///
    /// # Errors
    /// Only on a broken internal invariant.
    pub fn finish(&mut self) -> Result<Vec<RecordBatch>, ArrowError> {
        let mut out = self.take_batches();
        if self.columns.num_rows() > 0 {
            out.push(self.columns.finish()?);
        }
        Ok(out)
    }
}

/// What became of an object's records besides being written.
#[derive(Default)]
struct Counts {
    quarantined: QuarantineLog,
    out_of_range: u64,
    filtered: u64,
}

/// A lower bound on the JSON size of the value at tape index `j`: its strings'
/// bytes plus one per node. Cheap, and enough to enforce the record cap.
fn record_bytes_at_least(tape: &[Node<'_>], j: usize) -> usize {
    tape[j..j + span(tape, j)]
        .iter()
        .map(|node| match node {
            Node::String(s) => s.len() + 2,
            _ => 1,
        })
        .sum()
}

enum TapeOutcome {
    Events { records: u64, counts: Counts },
    /// The envelope belongs to another AWS service.
    LookAlike(String),
}

fn raw_json(tape: &[Node<'_>], j: usize) -> String {
    let mut raw = String::new();
    write_value(tape, j, &mut raw);
    raw
}

/// Offset of the first JSON byte (after whitespace and a UTF-8 BOM).
pub(crate) fn json_start(input: &[u8]) -> Result<usize, DecodeError> {
    let mut start = 0;
    if input.starts_with(&[0xef, 0xbb, 0xbf]) {
        start = 3;
    }
    while start < input.len() && input[start].is_ascii_whitespace() {
        start += 1;
    }
    // A log file is a JSON object; a bare scalar at the top is text, not a log.
    match input.get(start) {
        Some(b'{' | b'[') => Ok(start),
        _ => Err(DecodeError::NotJson { prefix: describe_prefix(&input[start..]) }),
    }
}

pub(crate) fn describe_prefix(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "only whitespace".into();
    }
    let head = &bytes[..bytes.len().min(16)];
    let text: String = head
        .iter()
        .map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' })
        .collect();
    let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{text:?} (hex {})", hex.join(" "))
}

fn json_error(e: &simd_json::Error, start: usize) -> String {
    // simd-json reports the structural position; shift it to the decompressed content.
    let text = e.to_string();
    match text.rsplit_once(" at character ") {
        Some((kind, rest)) => {
            let (pos, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            match pos.parse::<usize>() {
                Ok(p) => format!("{kind} at byte {}{}{tail}", p + start, if tail.is_empty() { "" } else { " " }),
                Err(_) => text,
            }
        }
        None => text,
    }
}

/// Tape index of the `Records` value.
fn records_array(tape: &[Node<'_>]) -> Result<usize, DecodeError> {
    let Some(&root) = tape.first() else {
        return Err(DecodeError::Json { message: "empty document".into() });
    };
    let Node::Object { len, .. } = root else {
        return Err(DecodeError::NotAnObject { found: type_name(&root) });
    };
    let mut j = 1;
    let mut keys = Vec::new();
    for _ in 0..len {
        if let Node::String(k) = tape[j] {
            if k == "Records" {
                return Ok(j + 1);
            }
            if keys.len() < 8 {
                keys.push(format!("{k:?}"));
            }
        }
        j += 1 + span(tape, j + 1);
    }
    let keys = if keys.is_empty() { "none".to_string() } else { keys.join(", ") };
    Err(DecodeError::NoRecords { keys })
}

fn is_digest(tape: &[Node<'_>]) -> bool {
    let Some(Node::Object { len, .. }) = tape.first() else { return false };
    let mut j = 1;
    for _ in 0..*len {
        if let Node::String("digestS3Object" | "logFiles" | "digestPublicKeyFingerprint") = tape[j] {
            return true;
        }
        j += 1 + span(tape, j + 1);
    }
    false
}

/// The top-level keys a record is triaged on before it is decoded.
#[derive(Default)]
struct RecordHead<'a> {
    /// `aws:s3`, `aws:sagemaker`: an AWS event notification, not CloudTrail (whose
    /// sources are host names).
    event_source: Option<&'a str>,
    event_time: Option<&'a str>,
    event_name: Option<&'a str>,
    /// Tape index of `userIdentity`.
    user_identity: Option<usize>,
}

/// Value of `key` in the object at tape index `i`.
fn field<'a>(tape: &[Node<'a>], i: usize, key: &str) -> Option<usize> {
    let Node::Object { len, .. } = tape[i] else { return None };
    let mut j = i + 1;
    for _ in 0..len {
        if matches!(tape[j], Node::String(k) if k == key) {
            return Some(j + 1);
        }
        j += 1 + span(tape, j + 1);
    }
    None
}

fn str_at<'a>(tape: &[Node<'a>], i: Option<usize>) -> Option<&'a str> {
    match tape[i?] {
        Node::String(s) => Some(s),
        _ => None,
    }
}

fn record_head<'a>(tape: &[Node<'a>], i: usize) -> RecordHead<'a> {
    let mut head = RecordHead::default();
    let Node::Object { len, .. } = tape[i] else { return head };
    let mut j = i + 1;
    for _ in 0..len {
        match (tape[j], tape[j + 1]) {
            (Node::String("eventSource"), Node::String(v)) => head.event_source = Some(v),
            (Node::String("eventTime"), Node::String(v)) => head.event_time = Some(v),
            (Node::String("eventName"), Node::String(v)) => head.event_name = Some(v),
            (Node::String("userIdentity"), Node::Object { .. }) => head.user_identity = Some(j + 1),
            _ => {}
        }
        if head.event_source.is_some() && head.event_time.is_some() && head.event_name.is_some() && head.user_identity.is_some() {
            break;
        }
        j += 1 + span(tape, j + 1);
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, BooleanArray, StructArray};

    fn decode_all(doc: &str) -> (FileVerdict, RecordBatch) {
        let mut d = CloudTrailDecoder::new(DecodeLimits::default());
        let verdict = d.decode("k", doc.as_bytes()).expect("decodes");
        let batches = d.finish().expect("finish");
        let schema = cloudtrail_schema();
        let batch = arrow::compute::concat_batches(&schema, &batches).expect("concat");
        (verdict, batch)
    }

    fn str_at<'a>(batch: &'a RecordBatch, column: &str, row: usize) -> Option<&'a str> {
        let array = batch.column_by_name(column).expect("column").as_string::<i32>();
        (!array.is_null(row)).then(|| array.value(row))
    }

    #[test]
    fn decode_keeps_every_value_in_a_column_or_unmapped() {
        let doc = r#"{"Records":[{
            "eventVersion":"1.10","eventTime":"2024-05-01T10:00:00Z","eventName":"GetObject",
            "userIdentity":{"type":"AssumedRole","accesKeyId":"typo","sessionContext":{"sessionIssuer":{},"sourceIdentity":"alice@example.com"}},
            "userAgent":["a","b"],"readOnly":"True","managementEvent":"maybe","recipientAccountId":123456789012,
            "requestParameters":{"bucketName":"b","n":1.5,"deep":{"x":[1,{"y":null}]}},
            "responseElements":null,
            "resources":[{"ARN":"arn:aws:s3:::b/k","arn":"dup"},{"ARNPrefix":"arn:aws:s3:::b/p"},"junk",null],
            "tlsDetails":{"keyExchange":"X25519MLKEM768"},
            "p_log_type":"AWS.CloudTrail","errorMessage":"Zugriff verweigert – 拒否 🤖"
        }]}"#;
        let (verdict, b) = decode_all(doc);
        assert!(matches!(verdict, FileVerdict::Events { records: 1, .. }));
        assert_eq!(b.num_rows(), 1);
        assert_eq!(str_at(&b, "useragent", 0), None);
        assert_eq!(str_at(&b, "readonly", 0), Some("True"));
        assert_eq!(str_at(&b, "recipientaccountid", 0), Some("123456789012"));
        assert_eq!(
            str_at(&b, "requestparameters", 0),
            Some(r#"{"bucketName":"b","n":1.5,"deep":{"x":[1,{"y":null}]}}"#)
        );
        assert_eq!(str_at(&b, "responseelements", 0), None);
        assert_eq!(str_at(&b, "errormessage", 0), Some("Zugriff verweigert – 拒否 🤖"));
        assert_eq!(str_at(&b, "sourceidentity", 0), Some("alice@example.com"));
        assert_eq!(str_at(&b, "tlskeyexchange", 0), Some("X25519MLKEM768"));
        let mgmt = b.column_by_name("managementevent").expect("col");
        assert!(mgmt.as_any().downcast_ref::<BooleanArray>().expect("bool").is_null(0));
        // `sessionIssuer: {}` is a present struct with null fields.
        let ui = b.column_by_name("useridentity").expect("col").as_any().downcast_ref::<StructArray>().expect("struct");
        let sc = ui.column_by_name("sessioncontext").expect("sc").as_any().downcast_ref::<StructArray>().expect("struct");
        let si = sc.column_by_name("sessionissuer").expect("si");
        assert!(si.is_valid(0));
        assert!(sc.column_by_name("attributes").expect("attributes").is_null(0));
        let resources = b.column_by_name("resources").expect("col").as_list::<i32>();
        assert_eq!(resources.value_length(0), 4);
        let unmapped: serde_json::Value =
            serde_json::from_str(str_at(&b, "unmapped", 0).expect("unmapped")).expect("json");
        assert_eq!(
            unmapped,
            serde_json::json!({
                "userIdentity.accesKeyId": "typo",
                "userAgent": ["a", "b"],
                "managementEvent": "maybe",
                "resources[0].arn": "dup",
                "resources[1].ARNPrefix": "arn:aws:s3:::b/p",
                "resources[2]": "junk",
                "p_log_type": "AWS.CloudTrail"
            })
        );
        let ts = b.column_by_name("eventtime_ts").expect("ts").as_primitive::<arrow::datatypes::TimestampMillisecondType>();
        assert_eq!(ts.value(0), 1_714_557_600_000);
    }

    #[test]
    fn decode_large_records_across_batch_boundaries() {
        let big = "x".repeat(1 << 20);
        let record = |i: usize| {
            format!(r#"{{"eventID":"{i}","eventTime":"2024-05-01T10:00:0{}Z","requestParameters":{{"policy":"{big}"}}}}"#, i % 10)
        };
        let doc = format!(r#"{{"Records":[{}]}}"#, (0..70).map(record).collect::<Vec<_>>().join(","));
        let mut d = CloudTrailDecoder::new(DecodeLimits { batch_bytes: 2 << 20, ..DecodeLimits::default() });
        let verdict = d.decode("k", doc.as_bytes()).expect("decodes");
        assert!(matches!(verdict, FileVerdict::Events { records: 70, .. }));
        let batches = d.finish().expect("finish");
        assert!(batches.len() > 1, "64-record checks split the rows into several batches");
        let ids: Vec<String> = batches
            .iter()
            .flat_map(|b| {
                let ids = b.column_by_name("eventid").expect("id").as_string::<i32>();
                (0..b.num_rows()).map(|i| ids.value(i).to_string()).collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(ids, (0..70).map(|i| i.to_string()).collect::<Vec<_>>());
        let params = batches[0].column_by_name("requestparameters").expect("col").as_string::<i32>();
        assert_eq!(params.value(0).len(), big.len() + r#"{"policy":""}"#.len());
    }

    #[test]
    fn decode_rejects_hostile_structure_without_crashing() {
        let mut d = CloudTrailDecoder::new(DecodeLimits::default());
        let deep = format!(r#"{{"Records":[{{"requestParameters":{}{}}}]}}"#, "[".repeat(100_000), "]".repeat(100_000));
        // Past the depth cap the record is quarantined, not the object.
        let FileVerdict::Events { records: 1, quarantined, damage: Some(_), .. } = d.decode("k", deep.as_bytes()).expect("framed") else {
            panic!("one record, read on its own")
        };
        assert!(quarantined.kept[0].reason.starts_with("record 0 at byte 12 is not valid JSON"), "{:?}", quarantined.kept[0].reason);
        let digest = r#"{"awsAccountId":"1","digestS3Object":"x","logFiles":[]}"#;
        assert_eq!(d.decode("k", digest.as_bytes()), Ok(FileVerdict::Digest));
        assert!(matches!(d.decode("k", b"[1,2]"), Err(DecodeError::NotAnObject { found: "array" })));
        assert!(matches!(d.decode("k", b"\xef\xbb\xbf {\"Records\":[]}"), Ok(FileVerdict::Events { records: 0, .. })));
        let FileVerdict::Events { quarantined, .. } = d.decode("k", b"{\"Records\":[\"\xff\"]}").expect("framed") else { panic!() };
        assert_eq!(quarantined.kept[0].raw, "\"\u{fffd}\"");
        assert!(matches!(d.decode("k", b"{\"Records\":\xff}"), Err(DecodeError::Json { .. })));
        assert!(matches!(d.decode("k", b"{\"Recor"), Err(DecodeError::Json { .. })));
        assert_eq!(d.pending_rows(), 0, "nothing appended from rejected objects");
    }

    #[test]
    fn decode_bounds_what_it_keeps_of_many_bad_records() {
        // 30,000 non-object records and a 2 MiB one: all counted, 10,000 kept, raw capped.
        let big = format!("\"{}\"", "x".repeat(2 << 20));
        let doc = format!(r#"{{"Records":[{big},{}1,{{"eventID":"ok"}}]}}"#, "1,".repeat(29_998));
        let mut d = CloudTrailDecoder::new(DecodeLimits::default());
        let FileVerdict::Events { records, quarantined, .. } = d.decode("k", doc.as_bytes()).expect("decodes") else {
            panic!("events expected")
        };
        assert_eq!(records, 30_001);
        assert_eq!(quarantined.len(), 30_000);
        assert_eq!(quarantined.kept.len(), QuarantineLog::MAX_KEPT);
        assert_eq!(quarantined.by_reason.get("is number, expected an object"), Some(&29_999));
        assert_eq!(quarantined.by_reason.get("is string, expected an object"), Some(&1));
        assert!(quarantined.kept[0].raw_truncated);
        assert_eq!(quarantined.kept[0].raw.len(), QuarantineLog::MAX_RAW_BYTES);
        assert_eq!(d.pending_rows(), 1);
    }
}
