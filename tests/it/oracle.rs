//! An independent statement of how a CloudTrail record maps to a `cloudtrail` row,
//! written against serde_json values and the Arrow output, to check the decoder
//! field by field. It shares no code with the decoder beyond the schema it checks.

use std::collections::BTreeMap;

use arrow::array::{
    Array, AsArray, BooleanArray, ListArray, MapArray, RecordBatch, StringArray, StructArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field};
use serde_json::{Map, Value};

/// Columns that hold JSON text.
pub const JSON_COLUMNS: &[&str] = &[
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "serviceeventdetails",
    "edgedevicedetails",
    "insightdetails",
    "eventcontext",
];

/// Keys inside nested objects that land in top-level columns: (struct path, JSON key, column).
const ROUTED: &[(&str, &str, &str)] = &[
    ("useridentity", "credentialId", "credentialid"),
    ("useridentity", "identityProvider", "identityprovider"),
    ("useridentity", "inScopeOf", "inscopeof"),
    ("useridentity", "invokedByDelegate", "invokedbydelegate"),
    ("useridentity.sessioncontext", "sourceIdentity", "sourceidentity"),
    ("useridentity.sessioncontext", "assumedRoot", "assumedroot"),
    ("tlsdetails", "keyExchange", "tlskeyexchange"),
];

/// Columns that no JSON key fills.
const DERIVED: &[&str] = &["eventtime_ts", "unmapped", "source_key"];

/// The row a record must become, column name -> value, plus the unmapped entries.
pub struct Expected {
    pub columns: BTreeMap<String, Value>,
    pub unmapped: Vec<(String, Value)>,
}

/// Builds the expected row for `record` against the output `fields`.
pub fn expected_row(record: &Map<String, Value>, fields: &[std::sync::Arc<Field>], key: &str) -> Expected {
    let mut exp = Expected { columns: BTreeMap::new(), unmapped: Vec::new() };
    let root: Vec<&Field> = fields
        .iter()
        .map(|f| f.as_ref())
        .filter(|f| !DERIVED.contains(&f.name().as_str()))
        .filter(|f| !ROUTED.iter().any(|(_, _, c)| c == f.name()))
        .collect();
    let mut top = BTreeMap::new();
    let obj = expect_object(record, &root, "", "", &mut exp.unmapped, &mut top);
    let Value::Object(obj) = obj else { unreachable!() };
    for (k, v) in obj {
        exp.columns.insert(k, v);
    }
    for field in fields {
        let name = field.name().as_str();
        if ROUTED.iter().any(|(_, _, c)| *c == name) {
            exp.columns.insert(name.into(), top.remove(name).unwrap_or(Value::Null));
        }
    }
    let ts = record
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("eventTime"))
        .and_then(|(_, v)| v.as_str())
        .and_then(parse_time)
        .map_or(Value::Null, Value::from);
    exp.columns.insert("eventtime_ts".into(), ts);
    exp.columns.insert("source_key".into(), Value::from(key));
    exp
}

fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let s = s.trim_end_matches('Z');
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y%m%dT%H%M%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

/// Expected struct value for JSON object `obj` at struct path `spath` (lowercase
/// names) and JSON path `jpath` (original keys).
fn expect_object(
    obj: &Map<String, Value>,
    fields: &[&Field],
    spath: &str,
    jpath: &str,
    unmapped: &mut Vec<(String, Value)>,
    top: &mut BTreeMap<String, Value>,
) -> Value {
    let mut out = Map::new();
    for (key, value) in obj {
        let child_j = if jpath.is_empty() { key.clone() } else { format!("{jpath}.{key}") };
        let own = fields.iter().find(|f| f.name().eq_ignore_ascii_case(key));
        let routed = ROUTED
            .iter()
            .find(|(p, k, _)| *p == spath && k.eq_ignore_ascii_case(key));
        if let Some(field) = own {
            if out.contains_key(field.name()) {
                unmapped.push((child_j, value.clone()));
                continue;
            }
            let child_s = if spath.is_empty() { field.name().clone() } else { format!("{spath}.{}", field.name()) };
            let v = expect_value(field, value, &child_s, &child_j, unmapped, top);
            out.insert(field.name().clone(), v);
        } else if let Some((_, _, column)) = routed {
            if top.contains_key(*column) {
                unmapped.push((child_j, value.clone()));
                continue;
            }
            let field = routed_field(column);
            let v = expect_value(&field, value, column, &child_j, unmapped, top);
            top.insert(column.to_string(), v);
        } else {
            unmapped.push((child_j, value.clone()));
        }
    }
    for field in fields {
        out.entry(field.name().clone()).or_insert(Value::Null);
    }
    Value::Object(out)
}

fn routed_field(column: &str) -> Field {
    let schema = trailhound::decode::schema::cloudtrail_schema();
    schema.field_with_name(column).expect("routed column exists").clone()
}

fn expect_value(
    field: &Field,
    value: &Value,
    spath: &str,
    jpath: &str,
    unmapped: &mut Vec<(String, Value)>,
    top: &mut BTreeMap<String, Value>,
) -> Value {
    let mut reject = |v: &Value| {
        unmapped.push((jpath.to_string(), v.clone()));
        Value::Null
    };
    match field.data_type() {
        DataType::Utf8 if JSON_COLUMNS.contains(&field.name().as_str()) => value.clone(),
        DataType::Utf8 => match value {
            Value::String(s) => Value::from(s.as_str()),
            Value::Bool(b) => Value::from(b.to_string()),
            Value::Number(n) => Value::from(number_text(n)),
            Value::Null => Value::Null,
            other => reject(other),
        },
        DataType::Boolean => match value {
            Value::Bool(b) => Value::from(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Value::from(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Value::from(false),
            Value::Null => Value::Null,
            other => reject(other),
        },
        DataType::Struct(children) => match value {
            Value::Object(obj) => {
                let children: Vec<&Field> = children.iter().map(|f| f.as_ref()).collect();
                expect_object(obj, &children, spath, jpath, unmapped, top)
            }
            Value::Null => Value::Null,
            other => reject(other),
        },
        DataType::List(item) => match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        Value::Object(_) => expect_value(item, v, spath, &format!("{jpath}[{i}]"), unmapped, top),
                        Value::Null => Value::Null,
                        other => {
                            unmapped.push((format!("{jpath}[{i}]"), other.clone()));
                            Value::Null
                        }
                    })
                    .collect(),
            ),
            Value::Null => Value::Null,
            other => reject(other),
        },
        DataType::Map(_, _) => match value {
            Value::Object(obj) => Value::Object(
                obj.iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => Value::from(s.as_str()),
                            Value::Null => Value::Null,
                            other => Value::from(other.to_string()),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Null => Value::Null,
            other => reject(other),
        },
        other => panic!("no oracle for {other}"),
    }
}

/// Numbers kept in a string column keep their value's shortest text.
fn number_text(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        if f.fract() == 0.0 && f.abs() < 1e16 {
            format!("{f:.1}")
        } else {
            format!("{f}")
        }
    } else {
        n.to_string()
    }
}

/// The value of column `array` at `row`, as JSON (JSON-text columns parsed).
pub fn actual_value(field: &Field, array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match field.data_type() {
        DataType::Utf8 => {
            let s = array.as_any().downcast_ref::<StringArray>().expect("utf8").value(row);
            if JSON_COLUMNS.contains(&field.name().as_str()) {
                serde_json::from_str(s).unwrap_or_else(|e| panic!("{} is not JSON ({e}): {s}", field.name()))
            } else {
                Value::from(s)
            }
        }
        DataType::Boolean => Value::from(array.as_any().downcast_ref::<BooleanArray>().expect("bool").value(row)),
        DataType::Timestamp(_, _) => Value::from(
            array.as_any().downcast_ref::<TimestampMillisecondArray>().expect("ts ms").value(row),
        ),
        DataType::Struct(fields) => {
            let s = array.as_any().downcast_ref::<StructArray>().expect("struct");
            let mut out = Map::new();
            for (i, f) in fields.iter().enumerate() {
                out.insert(f.name().clone(), actual_value(f, s.column(i).as_ref(), row));
            }
            Value::Object(out)
        }
        DataType::List(item) => {
            let l = array.as_any().downcast_ref::<ListArray>().expect("list");
            let values = l.value(row);
            Value::Array((0..values.len()).map(|i| actual_value(item, values.as_ref(), i)).collect())
        }
        DataType::Map(_, _) => {
            let m = array.as_any().downcast_ref::<MapArray>().expect("map");
            let entries = m.value(row);
            let keys = entries.column(0).as_string::<i32>();
            let values = entries.column(1).as_string::<i32>();
            Value::Object(
                (0..entries.len())
                    .map(|i| {
                        let v = if values.is_null(i) { Value::Null } else { Value::from(values.value(i)) };
                        (keys.value(i).to_string(), v)
                    })
                    .collect(),
            )
        }
        other => panic!("no reader for {other}"),
    }
}

/// Compares row `row` of `batch` with `record`; returns the differences.
pub fn compare_row(batch: &RecordBatch, row: usize, record: &Map<String, Value>, key: &str) -> Vec<String> {
    let schema = batch.schema();
    let exp = expected_row(record, schema.fields(), key);
    let mut diffs = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let name = field.name();
        let got = actual_value(field, batch.column(i).as_ref(), row);
        if name == "unmapped" {
            let got: Vec<(String, Value)> = match got {
                Value::String(s) => match serde_json::from_str::<Map<String, Value>>(&s) {
                    Ok(m) => m.into_iter().collect(),
                    Err(e) => {
                        diffs.push(format!("unmapped is not a JSON object ({e}): {s}"));
                        continue;
                    }
                },
                Value::Null => Vec::new(),
                other => vec![("?".into(), other)],
            };
            if got != exp.unmapped {
                diffs.push(format!("unmapped: got {got:?}, want {:?}", exp.unmapped));
            }
            continue;
        }
        let want = exp.columns.get(name.as_str()).cloned().unwrap_or(Value::Null);
        if got != want {
            diffs.push(format!("{name}: got {got}, want {want}"));
        }
    }
    diffs
}
