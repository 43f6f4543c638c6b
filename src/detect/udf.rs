//! The Trino (Athena engine v3) functions DataFusion lacks, with Trino's semantics, so
//! one detection file runs unchanged in trailhound and in Athena.
//!
//! | function | Trino semantics kept |
//! |---|---|
//! | `json_extract_scalar(json, path)` | text of a string/number/boolean; NULL for objects, arrays, JSON null, a missing path, invalid JSON |
//! | `json_extract(json, path)` | the value as JSON text (Trino's `json` type is text here); NULL when missing or invalid |
//! | `json_array_length(json)` | elements of a JSON array; NULL otherwise |
//! | `json_format(json)` | the JSON text (identity: our `json` is already text) |
//! | `from_iso8601_timestamp(text)` | ISO 8601 date or date-time, offset or `Z`; NULL when it is not one (Trino raises; see below) |
//! | `to_iso8601(ts)` | `YYYY-MM-DDTHH:MM:SS.sssZ` |
//! | `at_timezone(ts, zone)` | the wall-clock time in `zone` (an IANA name or `UTC`), for `hour()`/`day_of_week()` |
//! | `hour(ts)`, `day_of_week(ts)` | hour 0-23; ISO day of week, Monday = 1 ... Sunday = 7 |
//! | `from_base64(text)`, `from_utf8(binary)` | decode base64 to bytes; bytes to text with U+FFFD for invalid UTF-8 |
//!
//! One deliberate difference: Trino's `from_iso8601_timestamp` fails the query on a
//! malformed string; here it is NULL, because one hostile log value must not stop the
//! nightly run. Detections only call it on values that are timestamps in real logs.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, Int64Array, LargeStringArray, StringArray, StringBuilder,
    StringViewArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    create_udf, ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;

use super::jsonpath::{self, Step};
use crate::decode::time::{civil_from_days, days_from_civil, parse_timestamp_ms};

/// Names of the functions registered here (the function-inventory test reads it).
pub const REGISTERED: &[&str] = &[
    "json_extract_scalar",
    "json_extract",
    "json_array_length",
    "json_format",
    "from_iso8601_timestamp",
    "to_iso8601",
    "at_timezone",
    "hour",
    "day_of_week",
    "from_base64",
    "from_utf8",
];

fn utc_ms() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// Registers every function of [`REGISTERED`] on `ctx`.
pub fn register(ctx: &SessionContext) {
    for udf in all() {
        ctx.register_udf(udf);
    }
}

fn all() -> Vec<ScalarUDF> {
    vec![
        text_udf("json_extract_scalar", 2, Returns::Utf8, |a| json_path_fn(a, jsonpath::extract_scalar)),
        text_udf("json_extract", 2, Returns::Utf8, |a| json_path_fn(a, jsonpath::extract)),
        text_udf("json_array_length", 1, Returns::Fixed(DataType::Int64), json_array_length),
        text_udf("json_format", 1, Returns::FirstArgument, |a| Ok(a[0].clone())),
        text_udf("from_iso8601_timestamp", 1, Returns::Fixed(utc_ms()), from_iso8601_timestamp),
        create_udf("to_iso8601", vec![utc_ms()], DataType::Utf8, Volatility::Immutable, Arc::new(to_iso8601)),
        ScalarUDF::from(TextUdf {
            name: "at_timezone",
            signature: Signature::one_of(
                [DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8].into_iter().map(|t| TypeSignature::Exact(vec![utc_ms(), t])).collect(),
                Volatility::Immutable,
            ),
            returns: Returns::Fixed(DataType::Timestamp(TimeUnit::Millisecond, None)),
            f: at_timezone,
        }),
        ScalarUDF::from(TimePartUdf::new("hour", Part::Hour)),
        ScalarUDF::from(TimePartUdf::new("day_of_week", Part::DayOfWeek)),
        text_udf("from_base64", 1, Returns::Fixed(DataType::Binary), from_base64),
        create_udf("from_utf8", vec![DataType::Binary], DataType::Utf8, Volatility::Immutable, Arc::new(from_utf8)),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Returns {
    Utf8,
    Fixed(DataType),
    /// The type of the first argument (an identity on text).
    FirstArgument,
}

/// A function over text arguments of any of Arrow's string layouts. The lake reads as
/// `Utf8View`: taking it as it is spares a copy of every JSON document per call, which
/// an exact `Utf8` signature costs (the planner casts).
#[derive(Debug)]
struct TextUdf {
    name: &'static str,
    signature: Signature,
    returns: Returns,
    f: fn(&[ColumnarValue]) -> Result<ColumnarValue>,
}

// Equal by name and types: each name is registered once, with one implementation.
impl PartialEq for TextUdf {
    fn eq(&self, other: &Self) -> bool {
        (self.name, &self.signature, &self.returns) == (other.name, &other.signature, &other.returns)
    }
}

impl Eq for TextUdf {}

impl std::hash::Hash for TextUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.name, &self.signature, &self.returns).hash(state);
    }
}

fn text_udf(name: &'static str, arity: usize, returns: Returns, f: fn(&[ColumnarValue]) -> Result<ColumnarValue>) -> ScalarUDF {
    ScalarUDF::from(TextUdf { name, signature: Signature::string(arity, Volatility::Immutable), returns, f })
}

impl ScalarUDFImpl for TextUdf {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match &self.returns {
            Returns::Utf8 => DataType::Utf8,
            Returns::Fixed(t) => t.clone(),
            Returns::FirstArgument => arg_types.first().cloned().unwrap_or(DataType::Utf8),
        })
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        (self.f)(&args.args)
    }
}

/// Runs `f` over arrays; a call whose arguments are all scalars returns a scalar.
fn columnar(args: &[ColumnarValue], f: impl FnOnce(&[ArrayRef]) -> Result<ArrayRef>) -> Result<ColumnarValue> {
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let mut arrays = ColumnarValue::values_to_arrays(args)?;
    for a in &mut arrays {
        // Dictionary-encoded text (the string signature lets it through) reads as its values.
        if let DataType::Dictionary(_, value) = a.data_type() {
            *a = arrow::compute::cast(a, value)?;
        }
    }
    let out = f(&arrays)?;
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
    } else {
        Ok(ColumnarValue::Array(out))
    }
}

/// A text column in any of Arrow's string layouts, read in place.
#[derive(Clone, Copy)]
enum Text<'a> {
    Utf8(&'a StringArray),
    Large(&'a LargeStringArray),
    View(&'a StringViewArray),
}

impl<'a> Text<'a> {
    fn len(self) -> usize {
        match self {
            Text::Utf8(a) => a.len(),
            Text::Large(a) => a.len(),
            Text::View(a) => a.len(),
        }
    }

    /// The value of row `i`, `None` when it is null.
    fn get(self, i: usize) -> Option<&'a str> {
        match self {
            Text::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Text::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Text::View(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }

    fn iter(self) -> impl Iterator<Item = Option<&'a str>> {
        (0..self.len()).map(move |i| self.get(i))
    }
}

fn strings(a: &ArrayRef) -> Result<Text<'_>> {
    match a.data_type() {
        DataType::Utf8 => Ok(Text::Utf8(a.as_string::<i32>())),
        DataType::LargeUtf8 => Ok(Text::Large(a.as_string::<i64>())),
        DataType::Utf8View => Ok(Text::View(a.as_string_view())),
        other => exec_err!("expected a varchar argument, got {other}"),
    }
}

/// The text of a scalar argument; `Some(None)` for a NULL or non-text scalar.
fn scalar_text(v: &ColumnarValue) -> Option<Option<&str>> {
    match v {
        ColumnarValue::Scalar(ScalarValue::Utf8(p) | ScalarValue::Utf8View(p) | ScalarValue::LargeUtf8(p)) => Some(p.as_deref()),
        ColumnarValue::Scalar(_) => Some(None),
        ColumnarValue::Array(_) => None,
    }
}

fn json_path_fn(args: &[ColumnarValue], f: for<'a> fn(&'a str, &[Step]) -> Option<Cow<'a, str>>) -> Result<ColumnarValue> {
    // The path is a literal in every real query: parse it once.
    let constant_path = scalar_text(&args[1]).map(|p| p.and_then(jsonpath::parse_path));
    columnar(args, |arrays| {
        let json = strings(&arrays[0])?;
        let paths = strings(&arrays[1])?;
        let mut out = StringBuilder::with_capacity(json.len(), 0);
        // A path per row (`concat('$.', eventname)`) mostly repeats the previous row's
        // (the lake is sorted by event name): parse it when it changes.
        let mut last: Option<(&str, Option<Vec<Step>>)> = None;
        for i in 0..json.len() {
            let value = json.get(i).and_then(|doc| match &constant_path {
                Some(Some(steps)) => f(doc, steps),
                Some(None) => None,
                None => {
                    let path = paths.get(i)?;
                    let steps = match &last {
                        Some((text, steps)) if *text == path => steps,
                        _ => &last.insert((path, jsonpath::parse_path(path))).1,
                    };
                    f(doc, steps.as_deref()?)
                }
            });
            out.append_option(value);
        }
        Ok(Arc::new(out.finish()) as ArrayRef)
    })
}

fn json_array_length(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    columnar(args, |arrays| {
        let json = strings(&arrays[0])?;
        let out: Int64Array = json.iter().map(|v| v.and_then(jsonpath::array_length)).collect();
        Ok(Arc::new(out) as ArrayRef)
    })
}

fn from_iso8601_timestamp(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    columnar(args, |arrays| {
        let text = strings(&arrays[0])?;
        let out: TimestampMillisecondArray = text.iter().map(|v| v.and_then(parse_iso8601)).collect();
        Ok(Arc::new(out.with_timezone("UTC")) as ArrayRef)
    })
}

/// ISO 8601 as Trino reads it: a date alone is midnight UTC.
fn parse_iso8601(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        let b = s.as_bytes();
        if b[4] == b'-' && b[7] == b'-' {
            let y: i64 = s[0..4].parse().ok()?;
            let m: u32 = s[5..7].parse().ok()?;
            let d: u32 = s[8..10].parse().ok()?;
            if (1..=12).contains(&m) && (1..=31).contains(&d) {
                return Some(days_from_civil(y, m, d) * 86_400_000);
            }
            return None;
        }
    }
    parse_timestamp_ms(s)
}

fn timestamps(a: &ArrayRef) -> Result<&TimestampMillisecondArray> {
    match a.as_any().downcast_ref::<TimestampMillisecondArray>() {
        Some(t) => Ok(t),
        None => exec_err!("expected a timestamp argument, got {}", a.data_type()),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.sssZ` of a UTC millisecond timestamp.
pub fn format_iso8601(ms: i64) -> String {
    let (y, mo, d) = civil_from_days(ms.div_euclid(86_400_000));
    let t = ms.rem_euclid(86_400_000);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        t / 3_600_000,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000
    )
}

fn to_iso8601(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    columnar(args, |arrays| {
        let ts = timestamps(&arrays[0])?;
        let out: StringArray = ts.iter().map(|v| v.map(format_iso8601)).collect();
        Ok(Arc::new(out) as ArrayRef)
    })
}

fn at_timezone(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    use chrono::{Offset, TimeZone};
    columnar(args, |arrays| {
        let ts = timestamps(&arrays[0])?;
        let zones = strings(&arrays[1])?;
        let mut cached: Option<(String, Option<chrono_tz::Tz>)> = None;
        let mut out = Vec::with_capacity(ts.len());
        for i in 0..ts.len() {
            let Some(name) = zones.get(i).filter(|_| ts.is_valid(i)) else {
                out.push(None);
                continue;
            };
            if cached.as_ref().is_none_or(|(n, _)| n != name) {
                cached = Some((name.to_string(), name.parse::<chrono_tz::Tz>().ok()));
            }
            let Some((_, Some(tz))) = &cached else {
                return exec_err!("at_timezone: unknown time zone {name:?}");
            };
            let ms = ts.value(i);
            let offset_ms = match chrono::DateTime::from_timestamp_millis(ms) {
                Some(utc) => i64::from(tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc()) * 1000,
                None => 0,
            };
            out.push(Some(ms + offset_ms));
        }
        Ok(Arc::new(TimestampMillisecondArray::from(out)) as ArrayRef)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Hour,
    DayOfWeek,
}

/// `hour`/`day_of_week` over UTC and wall-clock (`at_timezone`) timestamps alike.
#[derive(Debug, PartialEq, Eq, Hash)]
struct TimePartUdf {
    name: &'static str,
    part: Part,
    signature: Signature,
}

impl TimePartUdf {
    fn new(name: &'static str, part: Part) -> Self {
        let types = [None, Some("UTC".into()), Some("+00:00".into())]
            .into_iter()
            .map(|tz| TypeSignature::Exact(vec![DataType::Timestamp(TimeUnit::Millisecond, tz)]))
            .collect();
        Self { name, part, signature: Signature::one_of(types, Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for TimePartUdf {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        time_part(&args.args, self.part)
    }
}

fn time_part(args: &[ColumnarValue], part: Part) -> Result<ColumnarValue> {
    columnar(args, |arrays| {
        let a = &arrays[0];
        // Accept naive and UTC timestamps alike (both are milliseconds since the epoch).
        let values: Vec<Option<i64>> = match a.as_any().downcast_ref::<TimestampMillisecondArray>() {
            Some(t) => t.iter().collect(),
            None => return exec_err!("expected a timestamp argument, got {}", a.data_type()),
        };
        let out: Int64Array = values
            .into_iter()
            .map(|v| {
                v.map(|ms| match part {
                    Part::Hour => ms.rem_euclid(86_400_000) / 3_600_000,
                    // 1970-01-01 was a Thursday (ISO 4).
                    Part::DayOfWeek => (ms.div_euclid(86_400_000) + 3).rem_euclid(7) + 1,
                })
            })
            .collect();
        Ok(Arc::new(out) as ArrayRef)
    })
}

fn base64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' | b'-' => 62,
        b'/' | b'_' => 63,
        _ => return None,
    } as u32)
}

/// Standard or URL-safe base64, padding optional; `None` when it is not base64.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let body = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        acc = (acc << 6) | base64_value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn from_base64(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    columnar(args, |arrays| {
        let text = strings(&arrays[0])?;
        let mut out = BinaryBuilder::new();
        for v in text.iter() {
            out.append_option(v.and_then(decode_base64));
        }
        Ok(Arc::new(out.finish()) as ArrayRef)
    })
}

fn from_utf8(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    columnar(args, |arrays| {
        let Some(bytes) = arrays[0].as_any().downcast_ref::<BinaryArray>() else {
            return exec_err!("from_utf8: expected varbinary, got {}", arrays[0].data_type());
        };
        let out: StringArray = bytes.iter().map(|v| v.map(|b| String::from_utf8_lossy(b).into_owned())).collect();
        Ok(Arc::new(out) as ArrayRef)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_time_parts() {
        let ms = parse_iso8601("2026-11-29T23:30:00Z").expect("ts");
        assert_eq!(format_iso8601(ms), "2026-11-29T23:30:00.000Z");
        assert_eq!(parse_iso8601("2026-11-29"), Some(days_from_civil(2026, 11, 29) * 86_400_000));
        assert_eq!(parse_iso8601("yesterday"), None);
        // 2026-11-29 is a Sunday (ISO 7), 2026-11-30 a Monday (ISO 1).
        let a: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![Some(ms), Some(ms + 3_600_000), None]));
        let dow = time_part(&[ColumnarValue::Array(a.clone())], Part::DayOfWeek).expect("dow");
        let hour = time_part(&[ColumnarValue::Array(a)], Part::Hour).expect("hour");
        let ColumnarValue::Array(dow) = dow else { panic!("array") };
        let ColumnarValue::Array(hour) = hour else { panic!("array") };
        let dow = dow.as_any().downcast_ref::<Int64Array>().expect("i64");
        let hour = hour.as_any().downcast_ref::<Int64Array>().expect("i64");
        assert_eq!((dow.value(0), dow.value(1), dow.is_null(2)), (7, 1, true));
        assert_eq!((hour.value(0), hour.value(1)), (23, 0));
    }

    #[test]
    fn base64_round_trips_scripts() {
        assert_eq!(decode_base64("IyEvYmluL2Jhc2gKY3VybCAxNjkuMjU0LjE2OS4yNTQ=").as_deref(), Some(&b"#!/bin/bash\ncurl 169.254.169.254"[..]));
        assert_eq!(decode_base64("not base64!"), None);
    }
}
