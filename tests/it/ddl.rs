//! `athena-ddl`: the generated DDL, parsed back with a SQL parser, declares exactly the
//! columns and types of the Parquet files the writer produced, read from their footers
//! and mapped to Athena types here, independently of the writer (spec/formats.md §4).

use std::collections::BTreeMap;

use datafusion::sql::sqlparser::ast::{
    ArrayElemTypeDef, CreateTable, DataType, Expr, SqlOption, Statement, Value as SqlValue,
};
use datafusion::sql::sqlparser::dialect::SparkSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit, Type as Physical};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::Type;

use crate::{repo, walk};

/// The Athena type of a Parquet field, from its physical and logical type only.
fn athena_type_of_parquet(t: &Type) -> String {
    let info = t.get_basic_info();
    match t {
        Type::PrimitiveType { physical_type, .. } => {
            let logical = info.logical_type_ref();
            match (physical_type, logical) {
                (Physical::BOOLEAN, None) => "boolean".into(),
                (Physical::INT32, None) => "int".into(),
                (Physical::INT32, Some(LogicalType::Integer(i))) if i.is_signed && i.bit_width == 8 => "tinyint".into(),
                (Physical::INT32, Some(LogicalType::Integer(i))) if i.is_signed && i.bit_width == 16 => "smallint".into(),
                (Physical::INT64, None) => "bigint".into(),
                (Physical::INT64, Some(LogicalType::Timestamp(t))) if t.unit == TimeUnit::MILLIS && t.is_adjusted_to_u_t_c => {
                    "timestamp".into()
                }
                (Physical::DOUBLE, None) => "double".into(),
                (Physical::BYTE_ARRAY, Some(LogicalType::String)) => "string".into(),
                (Physical::BYTE_ARRAY, None) if info.converted_type() == ConvertedType::UTF8 => "string".into(),
                (Physical::BYTE_ARRAY, None) => "binary".into(),
                other => panic!("{}: Parquet type {other:?} is not one Athena reads safely (formats.md §4.2)", info.name()),
            }
        }
        Type::GroupType { fields, .. } => match info.logical_type_ref() {
            Some(LogicalType::List) => {
                let repeated = &fields[0];
                assert_eq!(repeated.get_basic_info().repetition(), Repetition::REPEATED);
                let Type::GroupType { fields: inner, .. } = repeated.as_ref() else { panic!("3-level LIST") };
                assert_eq!(inner[0].name(), "element", "standard LIST element name");
                format!("array<{}>", athena_type_of_parquet(&inner[0]))
            }
            Some(LogicalType::Map) => {
                let Type::GroupType { fields: kv, .. } = fields[0].as_ref() else { panic!("MAP key_value") };
                format!("map<{},{}>", athena_type_of_parquet(&kv[0]), athena_type_of_parquet(&kv[1]))
            }
            None => {
                let parts: Vec<String> = fields.iter().map(|f| format!("{}:{}", f.name(), athena_type_of_parquet(f))).collect();
                format!("struct<{}>", parts.join(","))
            }
            other => panic!("{}: group with logical type {other:?}", info.name()),
        },
    }
}

/// A parsed DDL column type in the same spelling.
fn athena_type_of_ddl(t: &DataType) -> String {
    match t {
        DataType::String(_) | DataType::Text => "string".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int(_) | DataType::Integer(_) => "int".into(),
        DataType::BigInt(_) => "bigint".into(),
        DataType::TinyInt(_) => "tinyint".into(),
        DataType::SmallInt(_) => "smallint".into(),
        DataType::Double(_) => "double".into(),
        DataType::Timestamp(None, _) => "timestamp".into(),
        DataType::Binary(_) => "binary".into(),
        DataType::Array(ArrayElemTypeDef::AngleBracket(inner)) => format!("array<{}>", athena_type_of_ddl(inner)),
        DataType::Map(k, v) => format!("map<{},{}>", athena_type_of_ddl(k), athena_type_of_ddl(v)),
        DataType::Struct(fields, _) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| format!("{}:{}", f.field_name.as_ref().expect("named struct field").value, athena_type_of_ddl(&f.field_type)))
                .collect();
            format!("struct<{}>", parts.join(","))
        }
        other => panic!("DDL type {other} is not expected"),
    }
}

fn option_map(options: &[SqlOption]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for o in options {
        if let SqlOption::KeyValue { key, value } = o {
            let v = match value {
                Expr::Value(v) => match &v.value {
                    SqlValue::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                },
                other => other.to_string(),
            };
            out.insert(key.value.trim_matches('\'').to_string(), v);
        }
    }
    out
}

#[test]
fn athena_ddl_declares_exactly_what_the_files_hold() {
    // A lake with every table: the sample trail (CloudTrail, access logs) and its findings.
    let tmp = tempfile::tempdir().expect("tmp");
    let lake = tmp.path().join("lake");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(["scan", "--out", lake.to_str().expect("utf8")])
        .output()
        .expect("scan");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let ddl = trailhound::ddl::athena_ddl("s3://acme-lake/trailhound", "security", "2024-01-01").expect("ddl");
    let statements = Parser::parse_sql(&SparkSqlDialect {}, &ddl).expect("the DDL parses as Hive DDL (Spark SQL dialect)");
    let mut tables = 0;
    for statement in &statements {
        let Statement::CreateTable(CreateTable { name, columns, external, hive_distribution, hive_formats, location, table_options, .. }) = statement else {
            continue;
        };
        tables += 1;
        assert!(*external, "{name} is EXTERNAL");
        let table = name.0.last().expect("name").to_string().trim_matches('`').to_string();
        assert_eq!(name.0.first().expect("db").to_string().trim_matches('`'), "security");
        let formats = hive_formats.as_ref().expect("formats");
        let serde = format!("{:?}", formats.row_format);
        assert!(serde.contains("ParquetHiveSerDe"), "{serde}");
        let loc = location.clone().or_else(|| formats.location.clone()).expect("LOCATION");
        assert_eq!(loc, format!("s3://acme-lake/trailhound/{table}/"));
        let partition = format!("{hive_distribution:?}");
        assert!(partition.contains("\"dt\"") && partition.contains("String"), "dt string partition: {partition}");
        let props = match table_options {
            datafusion::sql::sqlparser::ast::CreateTableOptions::TableProperties(p) => option_map(p),
            other => panic!("TBLPROPERTIES expected, got {other:?}"),
        };
        assert_eq!(props.get("projection.enabled").map(String::as_str), Some("true"));
        assert_eq!(props.get("projection.dt.type").map(String::as_str), Some("date"));
        assert_eq!(props.get("projection.dt.format").map(String::as_str), Some("yyyy-MM-dd"));
        assert_eq!(props.get("projection.dt.range").map(String::as_str), Some("2024-01-01,NOW"));
        assert_eq!(props.get("projection.dt.interval.unit").map(String::as_str), Some("DAYS"));
        assert_eq!(
            props.get("storage.location.template").map(String::as_str),
            Some(format!("s3://acme-lake/trailhound/{table}/dt=${{dt}}/").as_str())
        );

        // Every Parquet file of the table: same columns, same order, same types.
        let files: Vec<_> = walk(&lake.join(&table)).into_iter().filter(|p| p.extension().is_some_and(|e| e == "parquet")).collect();
        assert!(!files.is_empty(), "the lake has {table} files");
        let declared: Vec<(String, String)> =
            columns.iter().map(|c| (c.name.value.clone(), athena_type_of_ddl(&c.data_type))).collect();
        for file in files {
            let reader = SerializedFileReader::new(std::fs::File::open(&file).expect("open")).expect("parquet footer");
            let root = reader.metadata().file_metadata().schema_descr().root_schema_ptr();
            let Type::GroupType { fields, .. } = root.as_ref() else { panic!("root group") };
            let in_file: Vec<(String, String)> = fields.iter().map(|f| (f.name().to_string(), athena_type_of_parquet(f))).collect();
            assert_eq!(declared, in_file, "{}", file.display());
        }
    }
    assert_eq!(tables, 3, "cloudtrail, s3_access, findings");
    assert!(trailhound::ddl::athena_ddl("/local/lake", "db", "2024-01-01").is_err());
    assert!(trailhound::ddl::athena_ddl("s3://b/p", "bad-name;", "2024-01-01").is_err());
}

/// The th_* views that athena-ddl prints hold what the engine gives the detections:
/// executed as SQL (DataFusion here, Trino syntax), they equal the engine's tables.
#[test]
fn athena_config_views_equal_the_engine_tables() {
    use arrow::util::pretty::pretty_format_batches;
    let config = trailhound::detect::SiteConfig::from_file(&repo().join("testdata/sample-config.toml")).expect("config");
    let views = trailhound::ddl::config_views("site", &config);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let ctx = trailhound::detect::new_context(1);
        let window = trailhound::detect::RunWindow { start_ms: 0, end_ms: 86_400_000, history_days_available: 14 };
        config.register(&ctx, &window).expect("engine tables");
        ctx.sql("CREATE SCHEMA site").await.expect("schema");
        for table in ["cloudtrail", "s3_access"] {
            ctx.sql(&format!("CREATE TABLE site.{table} (dt varchar)")).await.expect("stub table");
        }
        let mut n = 0;
        let code: String = views.lines().filter(|l| !l.starts_with("--")).map(|l| format!("{l}\n")).collect();
        for statement in code.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            ctx.sql(statement).await.unwrap_or_else(|e| panic!("{statement}: {e}")).collect().await.expect("view");
            n += 1;
        }
        assert_eq!(n, 10, "{views}");
        for (table, columns) in [
            ("th_approved_regions", "region"),
            ("th_ml_buckets", "pattern"),
            ("th_restricted_models", "pattern"),
            ("th_gpu_instance_types", "pattern"),
            ("th_recon_user_agents", "pattern"),
            ("th_approved_principals", "service, pattern"),
            ("th_approved_requesters", "bucket_pattern, requester_pattern"),
            ("th_params", "* EXCEPT (run_start, run_end)"),
        ] {
            let q = |from: &str| format!("SELECT {columns} FROM {from} ORDER BY 1");
            let ours = ctx.sql(&q(table)).await.expect("engine").collect().await.expect("rows");
            let view = ctx.sql(&q(&format!("site.{table}"))).await.expect("view").collect().await.expect("rows");
            let (a, b) = (pretty_format_batches(&ours).expect("fmt").to_string(), pretty_format_batches(&view).expect("fmt").to_string());
            assert_eq!(a, b, "{table}");
        }
    });
}
