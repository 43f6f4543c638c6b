//! S3 server access logs: space-separated text lines to `s3_access` batches.
//!
//! The format (one request per line, `-` for missing) has three quoted fields that S3
//! does not escape: a `"` inside the Request-URI, Referer or User-Agent is written as
//! is. The parser anchors each quoted field on the structure that follows it instead
//! of on the next quote: the Request-URI ends at a quote followed by an HTTP status,
//! the Referer at a quote followed by the User-Agent field, the User-Agent at the last
//! quote of the line that is not a `"-"` field (every later field is an unquoted token). Lines have 18 to 27
//! fields; later fields S3 may add are kept in `extra_fields`. Zero-copy over the
//! input bytes; no regex. A line that cannot be parsed is quarantined with its line
//! number and reason; the object's other lines are kept.

use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, Int32Builder, Int64Builder, RecordBatch, StringBuilder, TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;

use super::builders::FinishSized;
use super::cloudtrail::{DecodeLimits, FileVerdict, QuarantineLog};
use super::compression::{decompress_into, Compression};
use super::schema::{timestamp_type, SOURCE_KEY};
use super::time::days_from_civil;
use super::{DecodeError, RowFilter};

/// The typed request time.
pub const REQUEST_TIME_TS: &str = "requestdatetime_ts";

/// How a positional field is typed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldType {
    Str,
    Int32,
    Int64,
}

/// The 27 documented fields, in order: (column, description, type).
const FIELDS: [(&str, &str, FieldType); 27] = [
    ("bucketowner", "Bucket Owner", FieldType::Str),
    ("bucket_name", "Bucket", FieldType::Str),
    ("requestdatetime", "Time", FieldType::Str),
    ("remoteip", "Remote IP", FieldType::Str),
    ("requester", "Requester", FieldType::Str),
    ("requestid", "Request ID", FieldType::Str),
    ("operation", "Operation", FieldType::Str),
    ("key", "Key", FieldType::Str),
    ("request_uri", "Request-URI", FieldType::Str),
    ("httpstatus", "HTTP status", FieldType::Int32),
    ("errorcode", "Error Code", FieldType::Str),
    ("bytessent", "Bytes Sent", FieldType::Int64),
    ("objectsize", "Object Size", FieldType::Int64),
    ("totaltime", "Total Time", FieldType::Int64),
    ("turnaroundtime", "Turn-Around Time", FieldType::Int64),
    ("referrer", "Referer", FieldType::Str),
    ("useragent", "User-Agent", FieldType::Str),
    ("versionid", "Version Id", FieldType::Str),
    ("hostid", "Host Id", FieldType::Str),
    ("sigv", "Signature Version", FieldType::Str),
    ("ciphersuite", "Cipher Suite", FieldType::Str),
    ("authtype", "Authentication Type", FieldType::Str),
    ("endpoint", "Host Header", FieldType::Str),
    ("tlsversion", "TLS version", FieldType::Str),
    ("accesspointarn", "Access Point ARN", FieldType::Str),
    ("aclrequired", "aclRequired", FieldType::Str),
    ("sourceregion", "Source Region", FieldType::Str),
];

/// Fields every line has (through Version Id).
const MIN_FIELDS: usize = 18;
/// Trailing tokens S3 may add after the documented fields, space-joined.
pub const EXTRA_FIELDS: &str = "extra_fields";
/// 1-based line number in the source object.
pub const SOURCE_LINE: &str = "source_line";

/// The `s3_access` table schema (without the `dt` partition column).
pub fn s3_access_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let mut fields: Vec<Field> = FIELDS
            .iter()
            .map(|(name, _, t)| {
                let dt = match t {
                    FieldType::Str => DataType::Utf8,
                    FieldType::Int32 => DataType::Int32,
                    FieldType::Int64 => DataType::Int64,
                };
                Field::new(*name, dt, true)
            })
            .collect();
        fields.push(Field::new(REQUEST_TIME_TS, timestamp_type(), true));
        fields.push(Field::new(EXTRA_FIELDS, DataType::Utf8, true));
        fields.push(Field::new(SOURCE_KEY, DataType::Utf8, true));
        fields.push(Field::new(SOURCE_LINE, DataType::Int64, true));
        Arc::new(Schema::new(fields))
    });
    SCHEMA.clone()
}

/// One parsed line: each documented field as its raw bytes (`None` for `-`, `"-"`
/// and fields the line does not have), quotes removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AccessLogLine<'a> {
    pub fields: [Option<&'a str>; 27],
    /// The request time; `None` when the line says `-`.
    pub time_ms: Option<i64>,
    /// Tokens after the documented fields, or an unknown token S3 inserted before Host Id.
    pub extra: Vec<&'a str>,
}

/// Why a line was not parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError(pub String);

#[cold]
fn err(message: String) -> LineError {
    LineError(message)
}

struct Cursor<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.line.as_bytes()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// The next space-delimited token (empty past the end).
    fn token(&mut self) -> &'a str {
        let rest = self.line.get(self.pos..).unwrap_or("");
        let end = rest.find(' ').unwrap_or(rest.len());
        self.pos += end + 1;
        &rest[..end]
    }

    /// A field that is `-` or a quoted string ending at the quote `is_end` accepts.
    fn quoted(&mut self, name: &str, is_end: impl Fn(&[u8], usize) -> bool) -> Result<&'a str, LineError> {
        let b = self.bytes();
        if b.get(self.pos) != Some(&b'"') {
            return Ok(self.token());
        }
        let start = self.pos + 1;
        let mut q = start;
        while let Some(off) = b.get(q..).and_then(|rest| rest.iter().position(|&c| c == b'"')) {
            let at = q + off;
            if is_end(b, at) {
                self.pos = at + 2;
                return Ok(self.line.get(start..at).unwrap_or(""));
            }
            q = at + 1;
        }
        Err(err(format!(
            "the quoted {name} starting at byte {} has no closing quote where the next field begins",
            self.pos
        )))
    }
}

fn is_dash(token: &[u8]) -> bool {
    token == b"-" || token == b"\"-\""
}

fn is_count(token: &[u8]) -> bool {
    is_dash(token) || (!token.is_empty() && token.iter().all(u8::is_ascii_digit))
}

fn is_status(token: &[u8]) -> bool {
    is_count(token) && token.len() <= 3
}

/// The token starting at `i` (up to a space or the end).
fn token_at(b: &[u8], i: usize) -> &[u8] {
    let rest = b.get(i..).unwrap_or(&[]);
    &rest[..rest.iter().position(|&c| c == b' ').unwrap_or(rest.len())]
}

/// True when the quote at `at` can close the Request-URI: it is followed by the HTTP
/// status, an error code, four counts, then the start of the Referer field.
fn closes_request_uri(b: &[u8], at: usize) -> bool {
    if b.get(at + 1) != Some(&b' ') {
        return false;
    }
    let mut i = at + 2;
    for k in 0..6 {
        let t = token_at(b, i);
        let ok = match k {
            0 => is_status(t),
            1 => is_dash(t) || (!t.is_empty() && !t.contains(&b'"')),
            _ => is_count(t),
        };
        if !ok || b.get(i + t.len()) != Some(&b' ') {
            return false;
        }
        i += t.len() + 1;
    }
    matches!(b.get(i), Some(b'"' | b'-'))
}

/// Position of the last `"` that is not part of a `"-"` token (0 if none).
fn last_significant_quote(b: &[u8]) -> usize {
    let mut last = 0;
    let mut start = 0;
    for token in b.split(|&c| c == b' ') {
        if token != b"\"-\"" {
            if let Some(q) = token.iter().rposition(|&c| c == b'"') {
                last = start + q;
            }
        }
        start += token.len() + 1;
    }
    last
}

fn is_sigv(token: &str) -> bool {
    matches!(token, "SigV2" | "SigV4" | "-")
}

/// Splits every non-blank line of `content` into its fields and counts the lines,
/// building nothing: the access-log half of `scan --parse-only`.
pub fn parse_only(content: &[u8]) -> u64 {
    let mut lines = 0;
    for line in content.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|&b| b == b' ') {
            continue;
        }
        lines += 1;
        if let Ok(text) = std::str::from_utf8(line) {
            std::hint::black_box(parse_line(text).is_ok());
        }
    }
    lines
}

/// Parses one line (without its newline).
///
/// # Errors
/// A [`LineError`] saying which field is wrong and what was found.
pub fn parse_line(line: &str) -> Result<AccessLogLine<'_>, LineError> {
    let mut uri_fallback = false;
    parse_fields(line, &mut uri_fallback).map_err(|e| {
        // A line cut short after a Request-URI that fit no structure: the URI is the
        // cause, not the count.
        if uri_fallback && e.0.starts_with("only ") {
            err(format!("the quoted Request-URI has no closing quote where the next field begins ({})", e.0))
        } else {
            e
        }
    })
}

fn parse_fields<'a>(line: &'a str, uri_fallback: &mut bool) -> Result<AccessLogLine<'a>, LineError> {
    let mut out = AccessLogLine::default();
    let mut c = Cursor { line, pos: 0 };
    let mut fields: [Option<&str>; 27] = [None; 27];
    // Field `i` (0-based) must exist: the line has at least `i` fields before it.
    let need = |c: &Cursor<'_>, i: usize| {
        if c.at_end() {
            Err(err(format!("only {i} fields, expected at least {MIN_FIELDS}")))
        } else {
            Ok(())
        }
    };
    // 1-2: owner, bucket.
    for (i, field) in fields.iter_mut().enumerate().take(2) {
        need(&c, i)?;
        *field = Some(c.token());
    }
    // 3: [dd/Mon/yyyy:HH:MM:SS +0000], or `-` / `"-"` when unknown.
    let b = c.bytes();
    if b.get(c.pos) == Some(&b'[') {
        let Some(close) = b[c.pos..].iter().position(|&x| x == b']') else {
            return Err(err("field 3 (Time) has no closing ']'".into()));
        };
        let time = line.get(c.pos + 1..c.pos + close).unwrap_or("");
        out.time_ms = Some(parse_access_time(time).ok_or_else(|| {
            err(format!("field 3 (Time) is not a time like [06/Feb/2019:00:00:38 +0000]: {time:?}"))
        })?);
        fields[2] = Some(time);
        c.pos += close + 2;
    } else {
        let token = c.token();
        if !matches!(token, "-" | "\"-\"") {
            return Err(err(format!("field 3 (Time) should start with '[', found {token:?}")));
        }
    }
    // 4-8: remote ip, requester, request id, operation, key.
    for (i, field) in fields.iter_mut().enumerate().take(8).skip(3) {
        need(&c, i)?;
        *field = Some(c.token());
    }
    // 9: Request-URI, closed by a quote followed by " <status> ".
    need(&c, 8)?;
    // When no quote fits the structure, the first `" ` closes it, so that the field
    // that breaks the structure is the one reported.
    let saved = c.pos;
    fields[8] = Some(match c.quoted("Request-URI", closes_request_uri) {
        Ok(v) => v,
        Err(_) => {
            c.pos = saved;
            *uri_fallback = true;
            c.quoted("Request-URI", |b, at| matches!(b.get(at + 1), None | Some(b' ')))?
        }
    });
    // 10-15: status, error code, bytes sent, object size, total time, turn-around time.
    for (i, field) in fields.iter_mut().enumerate().take(15).skip(9) {
        need(&c, i)?;
        *field = Some(c.token());
    }
    // 16: Referer, closed by a quote followed by the User-Agent field (`"` or `-`).
    need(&c, 15)?;
    fields[15] = Some(c.quoted("Referer", |b, at| {
        b.get(at + 1) == Some(&b' ')
            && match b.get(at + 2) {
                Some(b'"') => true,
                Some(b'-') => matches!(b.get(at + 3), None | Some(b' ')),
                _ => false,
            }
    })?);
    // 17: User-Agent, closed by the last quote of the line: later fields are unquoted.
    need(&c, 16)?;
    // Every later field is an unquoted token (or `"-"`), so the User-Agent's closing
    // quote is at or after the last quote of any other token.
    let last_quote = last_significant_quote(b);
    fields[16] = Some(c.quoted("User-Agent", |b, at| {
        at >= last_quote && matches!(b.get(at + 1), None | Some(b' '))
    })?);
    // 18..: unquoted trailing tokens; an empty token is a stray space.
    let rest = line.get(c.pos..).unwrap_or("");
    let mut trailing: Vec<&str> = rest.split(' ').filter(|t| !t.is_empty()).collect();
    if trailing.is_empty() {
        return Err(err(format!("only 17 fields, expected at least {MIN_FIELDS}")));
    }
    // Some real lines carry one unknown token between Version Id and Host Id; the
    // Signature Version field shows where the documented fields resume.
    if trailing.len() >= 4 && !is_sigv(trailing[2]) && is_sigv(trailing[3]) {
        out.extra.push(trailing.remove(1));
    }
    for (i, t) in trailing.iter().enumerate() {
        if 17 + i < 27 {
            fields[17 + i] = Some(t);
        } else {
            out.extra.push(t);
        }
    }
    for f in &mut fields {
        if matches!(f, Some("-" | "\"-\"" | "")) {
            *f = None;
        }
    }
    for (i, (_, name, t)) in FIELDS.iter().enumerate() {
        let Some(v) = fields[i] else { continue };
        let ok = match t {
            FieldType::Str => true,
            FieldType::Int32 => v.parse::<i32>().is_ok(),
            FieldType::Int64 => v.parse::<i64>().is_ok(),
        };
        if !ok {
            return Err(err(format!("field {} ({name}) is not an integer: {v:?}", i + 1)));
        }
    }
    out.fields = fields;
    Ok(out)
}

fn in_range(range: Option<(i64, i64)>, time: Option<i64>) -> bool {
    match (range, time) {
        (Some((start, end)), Some(t)) => start <= t && t < end,
        _ => true,
    }
}

fn month(m: &[u8]) -> Option<u32> {
    Some(match m {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &d| acc.checked_mul(10)?.checked_add(u32::from(d - b'0')))
}

/// `06/Feb/2019:00:00:38 +0000` to milliseconds since the epoch.
pub fn parse_access_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[14] != b':' || b[17] != b':' || b[20] != b' ' {
        return None;
    }
    let day = digits(&b[0..2])?;
    let mon = month(&b[3..6])?;
    let year = digits(&b[7..11])?;
    let (h, m, sec) = (digits(&b[12..14])?, digits(&b[15..17])?, digits(&b[18..20])?);
    let sign = match b[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, om) = (digits(&b[22..24])?, digits(&b[24..26])?);
    if day == 0 || day > 31 || h > 23 || m > 59 || sec > 60 || oh > 23 || om > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), mon, day);
    // Reject 31/Feb and friends: the day must survive a round trip.
    if super::time::civil_from_days(days) != (i64::from(year), mon, day) {
        return None;
    }
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + sec.min(59))
        - sign * i64::from(oh * 3600 + om * 60);
    Some(secs * 1000)
}

enum Builder {
    Str(StringBuilder),
    Int32(Int32Builder),
    Int64(Int64Builder),
}

/// Decodes S3 server access log objects into batches of the `s3_access` schema.
pub struct AccessLogDecoder {
    filter: Arc<RowFilter>,
    fields: Vec<Builder>,
    time: TimestampMillisecondBuilder,
    extra: StringBuilder,
    source_key: StringBuilder,
    source_line: Int64Builder,
    rows: usize,
    bytes: usize,
    scratch: String,
    input: Vec<u8>,
    limits: DecodeLimits,
    ready: Vec<RecordBatch>,
}

impl AccessLogDecoder {
    /// Keeps only lines whose request time is in `[start, end)` ms (all when `None`).
    pub fn set_event_time_range(&mut self, range: Option<(i64, i64)>) {
        self.limits.event_time_range_ms = range;
    }
    /// Keeps only the lines `filter` matches: principal against the requester, event
    /// name against the operation, event source `s3`.
    pub fn with_filter(mut self, filter: Arc<RowFilter>) -> Self {
        self.filter = filter;
        self
    }

    fn keeps(&self, line: &AccessLogLine<'_>) -> bool {
        let f = &self.filter;
        f.is_empty()
            || (f.source_ok(Some("s3.amazonaws.com"))
                && f.name_ok(line.fields[6])
                && f.principal_ok(line.fields[4]))
    }

    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            filter: Arc::new(RowFilter::default()),
            fields: FIELDS
                .iter()
                .map(|(_, _, t)| match t {
                    FieldType::Str => Builder::Str(StringBuilder::new()),
                    FieldType::Int32 => Builder::Int32(Int32Builder::new()),
                    FieldType::Int64 => Builder::Int64(Int64Builder::new()),
                })
                .collect(),
            time: TimestampMillisecondBuilder::new(),
            extra: StringBuilder::new(),
            source_key: StringBuilder::new(),
            source_line: Int64Builder::new(),
            rows: 0,
            bytes: 0,
            scratch: String::new(),
            input: Vec::new(),
            limits,
            ready: Vec::new(),
        }
    }

    /// Decodes one object (plain text as S3 delivers it, or gzip): every non-empty
    /// line is a record, appended or quarantined.
    ///
    /// # Errors
    /// When the object as a whole is unreadable (corrupt gzip, over the size limit);
    /// nothing from it has been appended then.
    pub fn decode(&mut self, source_key: &str, raw: &[u8]) -> Result<FileVerdict, DecodeError> {
        let mut input = std::mem::take(&mut self.input);
        let result = decompress_into(raw, &mut input, self.limits.max_decompressed_bytes)
            .map(|compression| self.decode_decompressed(source_key, &input, compression));
        self.input = input;
        result
    }

    /// Decodes content already decompressed.
    pub fn decode_decompressed(&mut self, source_key: &str, input: &[u8], compression: Compression) -> FileVerdict {
        let mut records = 0u64;
        let mut out_of_range = 0u64;
        let mut filtered = 0u64;
        let mut quarantined = QuarantineLog::default();
        for (index, line) in input.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(|&b| b == b' ') {
                continue;
            }
            records += 1;
            let parsed = if line.len() as u64 > self.limits.max_record_bytes {
                let max = self.limits.max_record_bytes;
                Err(format!("is {} bytes, larger than the limit of {max} bytes (--max-record-bytes)", line.len()))
            } else {
                match std::str::from_utf8(line) {
                    Ok(text) => parse_line(text).map_err(|e| e.0),
                    Err(e) => Err(format!("not UTF-8 at byte {}", e.valid_up_to())),
                }
            };
            match parsed {
                Ok(fields) if !in_range(self.limits.event_time_range_ms, fields.time_ms) => out_of_range += 1,
                Ok(fields) if !self.keeps(&fields) => filtered += 1,
                Ok(fields) => self.append(&fields, source_key, index as i64 + 1, line.len()),
                Err(reason) => quarantined.push(index + 1, format!("line {}: {reason}", index + 1), || {
                    String::from_utf8_lossy(&line[..line.len().min(QuarantineLog::MAX_RAW_BYTES)]).into_owned()
                }),
            }
            if records % 256 == 0 {
                self.flush_if_full();
            }
        }
        self.flush_if_full();
        FileVerdict::Events {
            records,
            quarantined,
            out_of_range,
            filtered,
            compression,
            decompressed_bytes: input.len() as u64,
            damage: None,
        }
    }

    /// Decodes the whole lines of gzip content that ends early (`input` is what was
    /// inflated before the cut); the cut-off last line is quarantined.
    pub fn decode_cut(&mut self, source_key: &str, input: &[u8], damage: &str) -> FileVerdict {
        let whole = input.iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1);
        let mut verdict = self.decode_decompressed(source_key, &input[..whole], Compression::Gzip);
        if let FileVerdict::Events { records, quarantined, decompressed_bytes, damage: note, .. } = &mut verdict {
            let tail = &input[whole..];
            if !tail.iter().all(u8::is_ascii_whitespace) {
                let line = input[..whole].iter().filter(|&&b| b == b'\n').count() + 1;
                *records += 1;
                quarantined.push(line, format!("line {line} is cut off: the content ends inside it"), || {
                    String::from_utf8_lossy(&tail[..tail.len().min(QuarantineLog::MAX_RAW_BYTES)]).into_owned()
                });
            }
            *decompressed_bytes = input.len() as u64;
            *note = Some(format!("{damage}; the lines before the cut are kept"));
        }
        verdict
    }

    /// True when the first non-empty line of `content` looks like an access log
    /// record: two tokens, then a bracketed request time.
    pub fn sniff(content: &[u8]) -> bool {
        let Some(line) = content.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace)) else {
            return false;
        };
        let mut parts = line.splitn(3, |&b| b == b' ');
        let (Some(_), Some(_), Some(rest)) = (parts.next(), parts.next(), parts.next()) else { return false };
        rest.first() == Some(&b'[')
            && rest
                .get(1..27)
                .and_then(|t| std::str::from_utf8(t).ok())
                .is_some_and(|t| parse_access_time(t).is_some())
    }

    fn append(&mut self, line: &AccessLogLine<'_>, source_key: &str, line_number: i64, line_bytes: usize) {
        for (builder, value) in self.fields.iter_mut().zip(line.fields.iter()) {
            match builder {
                Builder::Str(b) => b.append_option(*value),
                // parse_line rejected non-numeric values.
                Builder::Int32(b) => b.append_option(value.and_then(|v| v.parse().ok())),
                Builder::Int64(b) => b.append_option(value.and_then(|v| v.parse().ok())),
            }
        }
        self.time.append_option(line.time_ms);
        if line.extra.is_empty() {
            self.extra.append_null();
        } else {
            self.scratch.clear();
            for (i, t) in line.extra.iter().enumerate() {
                if i > 0 {
                    self.scratch.push(' ');
                }
                self.scratch.push_str(t);
            }
            self.extra.append_value(&self.scratch);
        }
        self.source_key.append_value(source_key);
        self.source_line.append_value(line_number);
        self.rows += 1;
        self.bytes += line_bytes + source_key.len() + 64;
    }

    fn flush_if_full(&mut self) {
        if self.rows >= self.limits.batch_rows || self.bytes >= self.limits.batch_bytes {
            if let Ok(batch) = self.finish_batch() {
                self.ready.push(batch);
            }
        }
    }

    fn finish_batch(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut columns: Vec<ArrayRef> = self
            .fields
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Str(b) => Arc::new(b.finish_sized()),
                    Builder::Int32(b) => Arc::new(b.finish_sized()),
                    Builder::Int64(b) => Arc::new(b.finish_sized()),
                }
            })
            .collect();
        columns.push(Arc::new(self.time.finish_sized().with_timezone("UTC")));
        columns.push(Arc::new(self.extra.finish_sized()));
        columns.push(Arc::new(self.source_key.finish_sized()));
        columns.push(Arc::new(self.source_line.finish_sized()));
        self.rows = 0;
        self.bytes = 0;
        RecordBatch::try_new(s3_access_schema(), columns)
    }

    /// Batches completed so far.
    pub fn take_batches(&mut self) -> Vec<RecordBatch> {
        std::mem::take(&mut self.ready)
    }

    /// Completes the rows buffered so far into a batch.
    ///
    /// # Errors
    /// Only on a broken internal invariant.
    pub fn finish(&mut self) -> Result<Vec<RecordBatch>, ArrowError> {
        let mut out = self.take_batches();
        if self.rows > 0 {
            out.push(self.finish_batch()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(line: &AccessLogLine<'_>, name: &str) -> Option<String> {
        let i = FIELDS.iter().position(|f| f.0 == name).expect("known field");
        line.fields[i].map(str::to_string)
    }

    const OWNER: &str = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be";

    #[test]
    fn parse_line_reads_every_field_count() {
        let l18 = format!(r#"{OWNER} mybucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT photos/a%20b.jpg "GET /mybucket/photos/a%20b.jpg HTTP/1.1" 200 - 2662992 3462992 70 10 "-" "curl/7.15.1" -"#);
        let l24 = format!(r#"{l18} s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader mybucket.s3.us-west-1.amazonaws.com TLSv1.2"#);
        let l26 = format!("{l24} arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes");
        let l27 = format!("{l26} us-east-1");
        let l29 = format!("{l27} future1 future2");
        for (line, n) in [(&l18, 18), (&l24, 24), (&l26, 26), (&l27, 27), (&l29, 29)] {
            let p = parse_line(line).unwrap_or_else(|e| panic!("{n} fields: {e:?}"));
            assert_eq!(field(&p, "bucket_name").as_deref(), Some("mybucket"));
            assert_eq!(field(&p, "request_uri").as_deref(), Some("GET /mybucket/photos/a%20b.jpg HTTP/1.1"));
            assert_eq!(field(&p, "httpstatus").as_deref(), Some("200"));
            assert_eq!(field(&p, "useragent").as_deref(), Some("curl/7.15.1"));
            assert_eq!(field(&p, "referrer"), None);
            assert_eq!(field(&p, "requester"), None);
            assert_eq!(p.time_ms, Some(1_549_411_238_000));
            assert_eq!(field(&p, "sigv").is_some(), n >= 24, "{n}");
            assert_eq!(field(&p, "aclrequired").as_deref(), (n >= 26).then_some("Yes"));
            assert_eq!(field(&p, "sourceregion").as_deref(), (n >= 27).then_some("us-east-1"));
            assert_eq!(p.extra, if n == 29 { vec!["future1", "future2"] } else { vec![] });
        }
    }

    #[test]
    fn parse_line_anchors_unescaped_quotes_on_structure() {
        let head = format!("{OWNER} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID REST.GET.OBJECT k");
        let tail = "- HOSTID SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader b.s3.amazonaws.com TLSv1.2";
        let cases = [
            // (request-uri field, referer field, user-agent field, want uri, want referer, want ua)
            (r#""GET /b/a"b.tar.gz HTTP/1.1""#, r#""-""#, r#""curl/8""#, Some(r#"GET /b/a"b.tar.gz HTTP/1.1"#), None, Some("curl/8")),
            (r#""GET / HTTP/1.1""#, r#""-""#, r#""Mozilla/5.0 (iPhone) Safari/604.1"""#, Some("GET / HTTP/1.1"), None, Some(r#"Mozilla/5.0 (iPhone) Safari/604.1""#)),
            (r#""GET / HTTP/1.1""#, r#""https://x/?q=a b""#, r#""() { :;}; echo; echo "masked"""#, Some("GET / HTTP/1.1"), Some("https://x/?q=a b"), Some(r#"() { :;}; echo; echo "masked""#)),
            (r#""GET a\" HTTP/1.1""#, "-", r#""linux64 sra-toolkit \"test-sra.2.8.2 (phid=noc7737000,libc=2.17)""#, Some(r#"GET a\" HTTP/1.1"#), None, Some(r#"linux64 sra-toolkit \"test-sra.2.8.2 (phid=noc7737000,libc=2.17)"#)),
            ("-", "-", "-", None, None, None),
            (r#""-""#, r#""-""#, r#""-""#, None, None, None),
        ];
        for (uri, referer, ua, want_uri, want_ref, want_ua) in cases {
            let line = format!("{head} {uri} 200 - 1 2 3 4 {referer} {ua} {tail}");
            let p = parse_line(&line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(field(&p, "request_uri").as_deref(), want_uri, "{line}");
            assert_eq!(field(&p, "referrer").as_deref(), want_ref, "{line}");
            assert_eq!(field(&p, "useragent").as_deref(), want_ua, "{line}");
            assert_eq!(field(&p, "hostid").as_deref(), Some("HOSTID"), "{line}");
            assert_eq!(field(&p, "tlsversion").as_deref(), Some("TLSv1.2"), "{line}");
        }
    }

    #[test]
    fn parse_line_moves_an_inserted_token_out_of_the_way() {
        let line = format!(r#"{OWNER} b [20/Mar/2019:19:44:01 +0000] 130.14.20.103 arn:aws:iam::1:user/u 92D3B218463A63EA REST.GET.TAGGING - "GET /b?tagging HTTP/1.1" 404 NoSuchTagSet 285 - 8 - "-" "S3Console/0.4, aws-internal/3" - AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5X= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader b.s3.amazonaws.com TLSv1.2"#);
        let p = parse_line(&line).expect("parses");
        assert_eq!(field(&p, "hostid").as_deref(), Some("LzYGhqEwXn5X="));
        assert_eq!(field(&p, "sigv").as_deref(), Some("SigV4"));
        assert_eq!(field(&p, "tlsversion").as_deref(), Some("TLSv1.2"));
        assert_eq!(p.extra, vec!["AIDAISBTTLPGXGH6YFFAY"]);
    }

    #[test]
    fn parse_line_rejects_broken_lines_with_a_reason() {
        let ok = format!(r#"{OWNER} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 2 3 4 "-" "ua" -"#);
        assert!(parse_line(&ok).is_ok());
        let cases = [
            (format!("{OWNER} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3"), "only 4 fields"),
            (ok.replace("[06/Feb/2019", "[06/Fob/2019"), "field 3 (Time)"),
            (ok.replace("[06/Feb/2019", "[31/Feb/2019"), "field 3 (Time)"),
            (ok.replace("[06/Feb/2019:00:00:38 +0000]", "06/Feb/2019"), "should start with '['"),
            (ok.replace(" 200 ", " abc "), "field 10 (HTTP status) is not an integer"),
            (ok.replace(" 1 2 3 4 ", " 1 x 3 4 "), "field 13 (Object Size) is not an integer"),
            (ok.replace(r#""GET / HTTP/1.1""#, r#""GET / HTTP/1.1"#), "Request-URI"),
            (ok.replace(r#" "ua" -"#, r#" "ua -"#), "User-Agent"),
            (ok.replace(r#" "ua" -"#, r#" "ua""#), "only 17 fields"),
        ];
        for (line, want) in cases {
            let e = parse_line(&line).expect_err(&line);
            assert!(e.0.contains(want), "{line}: {e:?} should mention {want}");
        }
    }

    #[test]
    fn decode_quarantines_bad_lines_and_keeps_the_rest() {
        let good = format!(r#"{OWNER} b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ID REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 2 3 4 "-" "ua" -"#);
        let doc = format!("{good}\n\ngarbage line\n{good}\r\n");
        let mut d = AccessLogDecoder::new(DecodeLimits::default());
        let verdict = d.decode("logs/2019-02-06-00-00-38-E568B2907131C0C0", doc.as_bytes()).expect("decodes");
        let FileVerdict::Events { records, quarantined, .. } = verdict else { panic!("{verdict:?}") };
        assert_eq!(records, 3);
        assert_eq!(quarantined.len(), 1);
        let q = &quarantined.kept[0];
        assert_eq!(q.index, 3);
        assert!(q.reason.starts_with("line 3: "), "{}", q.reason);
        assert_eq!(q.raw, "garbage line");
        assert_eq!(quarantined.by_reason.keys().next().map(String::as_str), Some("field 3 (Time) should start with '[', found \"\""));
        let batches = d.finish().expect("batches");
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, 2);
        let lines = batches[0].column_by_name(SOURCE_LINE).expect("col");
        let lines = lines.as_any().downcast_ref::<arrow::array::Int64Array>().expect("i64");
        assert_eq!(lines.values().to_vec(), vec![1, 4]);
    }
}
