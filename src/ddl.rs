//! `trailhound athena-ddl`: `CREATE EXTERNAL TABLE` statements for the lake, generated
//! from the same Arrow schemas the writer uses, so the DDL and the files cannot disagree.
//!
//! Each table is Parquet (ParquetHiveSerDe), partitioned by `dt` (string) with Athena
//! partition projection over dates (`yyyy-MM-dd`, from `--since` to NOW), and a
//! `storage.location.template`, so no `MSCK REPAIR` or crawler is ever needed. With a
//! site config, the `th_*` views and the history views follow, so that every detection
//! file can be pasted into Athena as it is.

use std::fmt::Write as _;

use crate::decode::schema::hive_type;
use crate::detect::SiteConfig;
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
    athena_ddl_with_config(lake, database, since, None)
}

/// SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A one-column view over a list (an empty list is an empty view of the right type).
fn list_view(db: &str, name: &str, column: &str, values: &[String]) -> String {
    let body = if values.is_empty() {
        format!("SELECT {column} FROM (VALUES (CAST(NULL AS varchar))) AS t({column}) WHERE false")
    } else {
        let rows: Vec<String> = values.iter().map(|v| format!("({})", lit(v))).collect();
        format!("SELECT {column} FROM (VALUES {}) AS t({column})", rows.join(", "))
    };
    format!("CREATE OR REPLACE VIEW {db}.{name} AS {body};\n")
}

/// The site config as the `th_*` views the detections read, so a detection file runs
/// unchanged in Athena. `run_start`/`run_end` cover yesterday and today (UTC) there, and
/// `history_days_available` is taken as the configured history.
pub fn config_views(database: &str, config: &SiteConfig) -> String {
    // Views are Trino statements in Athena: double-quoted identifiers.
    let db = format!("\"{database}\"");
    let mut out = String::from("-- The site config as the tables the detections read (run them after the tables).\n");
    let b = &config.business_hours;
    let mut cols = vec![
        format!("{} AS time_zone", lit(&b.time_zone)),
        format!("{} AS business_start_hour", b.start_hour),
        format!("{} AS business_end_hour", b.end_hour),
        format!("{} AS history_days", config.history.days),
        format!("{} AS min_history_days", config.history.min_days),
        format!("{} AS history_days_available", config.history.days),
        "CAST(current_date - INTERVAL '1' DAY AS timestamp) AS run_start".to_string(),
        "CAST(current_date + INTERVAL '1' DAY AS timestamp) AS run_end".to_string(),
    ];
    for (name, _, _) in crate::detect::config::DEFAULT_THRESHOLDS {
        cols.push(format!("CAST({} AS bigint) AS {name}", config.threshold(name)));
    }
    let _ = writeln!(out, "CREATE OR REPLACE VIEW {db}.th_params AS SELECT {};", cols.join(", "));
    out.push_str(&list_view(&db, "th_approved_regions", "region", &config.approved_regions));
    out.push_str(&list_view(&db, "th_ml_buckets", "pattern", &config.ml_bucket_patterns));
    out.push_str(&list_view(&db, "th_restricted_models", "pattern", &config.restricted_models));
    out.push_str(&list_view(&db, "th_gpu_instance_types", "pattern", &config.gpu_instance_types));
    out.push_str(&list_view(&db, "th_recon_user_agents", "pattern", &config.recon_user_agents));
    let p = &config.approved_principals;
    let mut rows = Vec::new();
    for (service, list) in [("rekognition", &p.rekognition), ("comprehend", &p.comprehend), ("sagemaker", &p.sagemaker), ("bedrock", &p.bedrock)] {
        rows.extend(list.iter().map(|pattern| format!("({}, {})", lit(service), lit(pattern))));
    }
    let _ = writeln!(
        out,
        "CREATE OR REPLACE VIEW {db}.th_approved_principals AS {};",
        if rows.is_empty() {
            "SELECT service, pattern FROM (VALUES (CAST(NULL AS varchar), CAST(NULL AS varchar))) AS t(service, pattern) WHERE false".to_string()
        } else {
            format!("SELECT service, pattern FROM (VALUES {}) AS t(service, pattern)", rows.join(", "))
        }
    );
    let rows: Vec<String> = config.approved_requesters.iter().map(|r| format!("({}, {})", lit(&r.bucket), lit(&r.requester))).collect();
    let _ = writeln!(
        out,
        "CREATE OR REPLACE VIEW {db}.th_approved_requesters AS {};",
        if rows.is_empty() {
            "SELECT bucket_pattern, requester_pattern FROM (VALUES (CAST(NULL AS varchar), CAST(NULL AS varchar))) AS t(bucket_pattern, requester_pattern) WHERE false".to_string()
        } else {
            format!("SELECT bucket_pattern, requester_pattern FROM (VALUES {}) AS t(bucket_pattern, requester_pattern)", rows.join(", "))
        }
    );
    let _ = writeln!(
        out,
        "-- History rules read cloudtrail_history / s3_access_history: the days before the ones you query.\n\
         CREATE OR REPLACE VIEW {db}.cloudtrail_history AS SELECT * FROM {db}.cloudtrail WHERE dt >= CAST(current_date - INTERVAL '{d}' DAY AS varchar) AND dt < CAST(current_date - INTERVAL '1' DAY AS varchar);\n\
         CREATE OR REPLACE VIEW {db}.s3_access_history AS SELECT * FROM {db}.s3_access WHERE dt >= CAST(current_date - INTERVAL '{d}' DAY AS varchar) AND dt < CAST(current_date - INTERVAL '1' DAY AS varchar);",
        d = config.history.days + 1
    );
    out
}

/// [`athena_ddl`], followed by the site config views when `config` is given.
///
/// # Errors
/// As [`athena_ddl`].
pub fn athena_ddl_with_config(lake: &str, database: &str, since: &str, config: Option<&SiteConfig>) -> Result<String> {
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
    if let Some(config) = config {
        out.push_str(&config_views(database, config));
    }
    Ok(out)
}
