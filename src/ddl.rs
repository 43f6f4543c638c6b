//! `trailhound athena-ddl`: `CREATE EXTERNAL TABLE` statements for the lake, generated
//! from the same Arrow schemas the writer uses, so the DDL and the files cannot disagree.
//!
//! Each table is Parquet (ParquetHiveSerDe), partitioned by `dt` (string) with Athena
//! partition projection over dates (`yyyy-MM-dd`, from `--since` to NOW), and a
//! `storage.location.template`, so no `MSCK REPAIR` or crawler is ever needed.

use std::fmt::Write as _;

use crate::decode::schema::hive_type;
use crate::detect::lake::lake_tables;
use crate::error::{Error, Result};

/// Quotes an identifier for Athena DDL (Hive backticks).
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// The DDL for every lake table under `lake` (`s3://bucket/prefix`).
///
/// # Errors
/// [`Error::Config`] when `lake` is not an `s3://` URL, the database name is not a
/// plain identifier, or a column has no Hive type (a writer bug).
pub fn athena_ddl(lake: &str, database: &str, since: &str) -> Result<String> {
    if !lake.starts_with("s3://") {
        return Err(Error::Config(format!("athena-ddl --lake must be s3://bucket/prefix, got {lake:?}")));
    }
    if database.is_empty() || !database.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::Config(format!("--database {database:?} must be letters, digits and _")));
    }
    if crate::detect::lake::partition_days(&[since.to_string()]).is_empty() {
        return Err(Error::Config(format!("--since {since:?} is not a date like 2024-01-01")));
    }
    let root = lake.trim_end_matches('/');
    let mut out = String::new();
    let _ = writeln!(out, "CREATE DATABASE IF NOT EXISTS {};\n", ident(database));
    for (table, schema, _) in lake_tables() {
        let mut columns = Vec::new();
        for field in schema.fields() {
            let t = hive_type(field.data_type()).ok_or_else(|| {
                Error::Config(format!("table {table} column {} has no Athena type ({})", field.name(), field.data_type()))
            })?;
            columns.push(format!("  {} {t}", ident(field.name())));
        }
        let location = format!("{root}/{table}/");
        let _ = write!(
            out,
            "CREATE EXTERNAL TABLE IF NOT EXISTS {db}.{t} (\n{cols}\n)\n\
             PARTITIONED BY ({dt} string)\n\
             ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n\
             STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n\
             OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'\n\
             LOCATION '{location}'\n\
             TBLPROPERTIES (\n\
             \x20 'projection.enabled' = 'true',\n\
             \x20 'projection.dt.type' = 'date',\n\
             \x20 'projection.dt.format' = 'yyyy-MM-dd',\n\
             \x20 'projection.dt.range' = '{since},NOW',\n\
             \x20 'projection.dt.interval' = '1',\n\
             \x20 'projection.dt.interval.unit' = 'DAYS',\n\
             \x20 'storage.location.template' = '{location}dt=${{dt}}/'\n\
             );\n\n",
            db = ident(database),
            t = ident(table),
            cols = columns.join(",\n"),
            dt = ident(crate::decode::schema::PARTITION_COLUMN),
        );
    }
    Ok(out)
}
