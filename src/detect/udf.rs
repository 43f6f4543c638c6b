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

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, Int64Array, StringArray, StringBuilder,
    TimestampMillisecondArray,
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
    let s = DataType::Utf8;
    vec![
        create_udf("json_extract_scalar", vec![s.clone(), s.clone()], s.clone(), Volatility::Immutable, Arc::new(|a| json_path_fn(a, jsonpath::extract_scalar))),
        create_udf("json_extract", vec![s.clone(), s.clone()], s.clone(), Volatility::Immutable, Arc::new(|a| json_path_fn(a, jsonpath::extract))),
        create_udf("json_array_length", vec![s.clone()], DataType::Int64, Volatility::Immutable, Arc::new(json_array_length)),
        create_udf("json_format", vec![s.clone()], s.clone(), Volatility::Immutable, Arc::new(|a| Ok(a[0].clone()))),
        create_udf("from_iso8601_timestamp", vec![s.clone()], utc_ms(), Volatility::Immutable, Arc::new(from_iso8601_timestamp)),
        create_udf("to_iso8601", vec![utc_ms()], s.clone(), Volatility::Immutable, Arc::new(to_iso8601)),
        create_udf("at_timezone", vec![utc_ms(), s.clone()], DataType::Timestamp(TimeUnit::Millisecond, None), Volatility::Immutable, Arc::new(at_timezone)),
        ScalarUDF::from(TimePartUdf::new("hour", Part::Hour)),
        ScalarUDF::from(TimePartUdf::new("day_of_week", Part::DayOfWeek)),
        create_udf("from_base64", vec![s.clone()], DataType::Binary, Volatility::Immutable, Arc::new(from_base64)),
        create_udf("from_utf8", vec![DataType::Binary], s, Volatility::Immutable, Arc::new(from_utf8)),
    ]
}

/// Runs `f` over arrays; a call whose arguments are all scalars returns a scalar.
fn columnar(args: &[ColumnarValue], f: impl FnOnce(&[ArrayRef]) -> Result<ArrayRef>) -> Result<ColumnarValue> {
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let arrays = ColumnarValue::values_to_arrays(args)?;
    let out = f(&arrays)?;
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
    } else {
        Ok(ColumnarValue::Array(out))
    }
}

fn strings(a: &ArrayRef) -> Result<&StringArray> {
    match a.as_any().downcast_ref::<StringArray>() {
        Some(s) => Ok(s),
        None => exec_err!("expected a varchar argument, got {}", a.data_type()),
    }
}

fn json_path_fn(args: &[ColumnarValue], f: fn(&str, &[Step]) -> Option<String>) -> Result<ColumnarValue> {
    // The path is a literal in every real query: parse it once.
    let constant_path = match &args[1] {
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(p))) => Some(jsonpath::parse_path(p)),
        ColumnarValue::Scalar(_) => Some(None),
        ColumnarValue::Array(_) => None,
    };
    columnar(args, |arrays| {
        let json = strings(&arrays[0])?;
        let paths = strings(&arrays[1])?;
        let mut out = StringBuilder::with_capacity(json.len(), 0);
        for i in 0..json.len() {
            let value = if json.is_null(i) {
                None
            } else {
                match &constant_path {
                    Some(Some(steps)) => f(json.value(i), steps),
                    Some(None) => None,
                    None if paths.is_null(i) => None,
                    None => jsonpath::parse_path(paths.value(i)).and_then(|p| f(json.value(i), &p)),
                }
            };
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
            if ts.is_null(i) || zones.is_null(i) {
                out.push(None);
                continue;
            }
            let name = zones.value(i);
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
