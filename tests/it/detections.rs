//! The detection pack: functions, plans, fixtures, guidance coverage, the Trino functions.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use arrow::array::{Array, AsArray};
use datafusion::sql::sqlparser::ast::{visit_expressions, Expr};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use trailhound::detect::{self, DetectionSet, SiteConfig};

use crate::repo;

/// Trino (Athena engine v3) functions with the same meaning in DataFusion's built-ins.
const SAME_IN_BOTH: &[&str] = &[
    "lower", "upper", "coalesce", "count", "min", "max", "sum", "avg", "array_agg", "date_trunc",
    "regexp_like", "split_part", "strpos", "starts_with", "length", "substr", "concat", "nullif",
    "cardinality", "array_join", "map", "approx_distinct", "trim", "replace", "greatest", "least",
    "abs", "round", "floor", "reverse", "lpad", "rpad", "element_at",
];

/// Every name above and in `trailhound::detect::udf::REGISTERED` is a Trino function
/// (https://trino.io/docs/current/functions/list.html); checked by hand when added.
const TRINO: &[&str] = &[
    "lower", "upper", "coalesce", "count", "min", "max", "sum", "avg", "array_agg", "date_trunc",
    "regexp_like", "split_part", "strpos", "starts_with", "length", "substr", "concat", "nullif",
    "cardinality", "array_join", "map", "approx_distinct", "trim", "replace", "greatest", "least",
    "abs", "round", "floor", "reverse", "lpad", "rpad", "element_at", "json_extract_scalar",
    "json_extract", "json_array_length", "json_format", "from_iso8601_timestamp", "to_iso8601",
    "at_timezone", "hour", "day_of_week", "from_base64", "from_utf8",
];

fn functions_of(sql: &str) -> BTreeSet<String> {
    let statements = Parser::parse_sql(&GenericDialect {}, sql).expect("detection SQL parses");
    let mut names = BTreeSet::new();
    let _ = visit_expressions(&statements, |e: &Expr| {
        if let Expr::Function(f) = e {
            names.insert(f.name.to_string().to_lowercase());
        }
        ControlFlow::<()>::Continue(())
    });
    names
}

#[test]
fn pack_uses_only_trino_functions_that_trailhound_provides() {
    let set = DetectionSet::builtin().expect("pack");
    let mut problems = Vec::new();
    let mut used: BTreeMap<String, usize> = BTreeMap::new();
    for d in &set.detections {
        for name in functions_of(&d.sql) {
            *used.entry(name.clone()).or_default() += 1;
            let ours = detect::udf::REGISTERED.contains(&name.as_str());
            let same = SAME_IN_BOTH.contains(&name.as_str());
            if !TRINO.contains(&name.as_str()) || !(ours || same) {
                problems.push(format!("{}: {name}", d.path));
            }
        }
    }
    assert!(problems.is_empty(), "functions that are not Trino functions trailhound provides: {problems:?}");
    assert!(used.contains_key("json_extract_scalar"), "the inventory saw the pack's functions: {used:?}");
    // The test itself must catch a function that is not Trino's.
    assert!(functions_of("SELECT date_bin(INTERVAL '1' HOUR, t) FROM x").contains("date_bin"));
    assert!(!TRINO.contains(&"date_bin"));
}

#[test]
fn pack_plans_and_covers_every_guidance_item() {
    let set = DetectionSet::builtin().expect("pack");
    assert!(set.detections.len() >= 40, "the pack has {} rules", set.detections.len());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(detect::check_plans(&set, &SiteConfig::default())).expect("every query plans");
    for g in 1..=16 {
        let item = format!("G{g}");
        assert!(
            set.detections.iter().any(|d| d.guidance.contains(&item)),
            "no detection enforces guidance item {item}"
        );
    }
    for d in &set.detections {
        assert!(d.path.starts_with(&format!("queries/{}/", d.table)));
        assert!(["cloudtrail", "s3_access"].contains(&d.table.as_str()), "{}", d.path);
    }
}

#[test]
fn every_detection_has_fixtures_and_every_fixture_a_detection() {
    let set = DetectionSet::builtin().expect("pack");
    let dir = repo().join("testdata/detections");
    let ids: BTreeSet<String> = set.detections.iter().map(|d| d.id.clone()).collect();
    for id in &ids {
        let has = |stem: &str| ["json", "log"].iter().any(|ext| dir.join(id).join(format!("{stem}.{ext}")).is_file());
        assert!(has("fire") && has("near-miss"), "{id} needs testdata/detections/{id}/fire.* and near-miss.*");
    }
    for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            continue;
        }
        assert!(ids.contains(&name), "testdata/detections/{name} belongs to no detection");
    }
}

#[test]
fn every_detection_fires_on_its_fixtures_and_not_on_near_misses() {
    let set = DetectionSet::builtin().expect("pack");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let outcomes = runtime
        .block_on(detect::fixtures::run_fixtures(&set, &repo().join("testdata/detections"), &SiteConfig::default()))
        .expect("fixtures run");
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.failures.is_empty())
        .map(|o| format!("{}: {}", o.id, o.failures.join("; ")))
        .collect();
    assert!(failed.is_empty(), "{} rules failed their fixtures:\n{}", failed.len(), failed.join("\n"));
    assert_eq!(outcomes.len(), set.detections.len());
}

/// A fixture runner that cannot fail proves nothing: a rule that fires on everything
/// must fail on its near misses, and one that never fires on its fire events.
#[test]
fn fixture_runner_catches_broken_rules() {
    let good = DetectionSet::builtin().expect("pack").select(&["sagemaker_notebook_direct_internet".into()]).expect("rule");
    let mut always = good.clone();
    always.detections[0].sql = always.detections[0].sql.replace("WHERE eventsource = 'sagemaker.amazonaws.com'", "WHERE eventid IS NOT NULL OR eventsource = 'x'");
    let mut never = good.clone();
    never.detections[0].sql = never.detections[0].sql.replace("WHERE eventsource = 'sagemaker.amazonaws.com'", "WHERE 1 = 0 AND eventsource = 'x'");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let dir = repo().join("testdata/detections");
    for (set, says) in [(always, "near-miss"), (never, "fire: no finding")] {
        let o = runtime.block_on(detect::fixtures::run_fixtures(&set, &dir, &SiteConfig::default())).expect("run");
        assert!(o[0].failures.iter().any(|f| f.contains(says)), "{:?}", o[0].failures);
    }
}

fn query(sql: &str) -> Vec<arrow::array::RecordBatch> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let ctx = detect::new_context(1);
        ctx.sql(sql).await.expect("plans").collect().await.expect("runs")
    })
}

#[test]
fn trino_functions_behave_like_trino_in_sql() {
    let b = query(
        "SELECT json_extract_scalar('{\"a\":{\"b\":[1,\"x\"]}}', '$.a.b[1]') AS s,
                json_extract_scalar('{\"a\":{}}', '$.a') AS obj,
                json_extract_scalar('not json', '$.a') AS bad,
                json_extract('{\"a\":{\"b\":[1, 2]}}', '$.a') AS j,
                json_array_length('[1,2,3]') AS n,
                hour(at_timezone(from_iso8601_timestamp('2026-07-01T06:30:00Z'), 'Europe/Berlin')) AS berlin_hour,
                day_of_week(from_iso8601_timestamp('2026-11-29T12:00:00Z')) AS sunday,
                from_utf8(from_base64('Y3VybCAxNjkuMjU0LjE2OS4yNTQ=')) AS script,
                to_iso8601(from_iso8601_timestamp('2026-11-25')) AS midnight",
    );
    let row = &b[0];
    let text = |c: &str| {
        let a = row.column_by_name(c).expect(c);
        let a = arrow::compute::cast(a, &arrow::datatypes::DataType::Utf8).expect("cast");
        let a = a.as_string::<i32>();
        (!a.is_null(0)).then(|| a.value(0).to_string())
    };
    assert_eq!(text("s").as_deref(), Some("x"));
    assert_eq!(text("obj"), None);
    assert_eq!(text("bad"), None);
    assert_eq!(text("j").as_deref(), Some("{\"b\":[1,2]}"));
    assert_eq!(text("n").as_deref(), Some("3"));
    assert_eq!(text("berlin_hour").as_deref(), Some("8"), "CEST is UTC+2 in July");
    assert_eq!(text("sunday").as_deref(), Some("7"));
    assert_eq!(text("script").as_deref(), Some("curl 169.254.169.254"));
    assert_eq!(text("midnight").as_deref(), Some("2026-11-25T00:00:00.000Z"));
}

/// The text functions read every Arrow string layout in place (the lake reads as
/// Utf8View): the same answers for Utf8, LargeUtf8, Utf8View and dictionary input, for
/// constant and per-row paths, with escapes resolved, and no cast of a plain-layout
/// JSON column in the plan of a constant path.
#[test]
fn text_functions_read_every_string_layout_without_a_cast() {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, DictionaryArray, LargeStringArray, RecordBatch, StringArray, StringViewArray};
    use arrow::datatypes::{DataType, Field, Int32Type, Schema};
    use datafusion::datasource::MemTable;

    let doc = Some(r#"{"bucketName":"ml-data","key":"a\/b.bin","n":7}"#);
    let docs = [doc, None, Some("not json"), Some(r#"{"key":"x"}"#), doc, doc];
    // Per-row paths that change and change back.
    let paths = [Some("$.key"), Some("$.key"), Some("$.key"), None, Some("$.n"), Some("$.key")];
    let layouts: Vec<(&str, ArrayRef)> = vec![
        ("Utf8", Arc::new(StringArray::from(docs.to_vec()))),
        ("LargeUtf8", Arc::new(LargeStringArray::from(docs.to_vec()))),
        ("Utf8View", Arc::new(StringViewArray::from(docs.to_vec()))),
        ("Dictionary", Arc::new(docs.iter().copied().collect::<DictionaryArray<Int32Type>>())),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    for (name, doc) in layouts {
        let schema = Arc::new(Schema::new(vec![Field::new("doc", doc.data_type().clone(), true), Field::new("path", DataType::Utf8View, true)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![doc, Arc::new(StringViewArray::from(paths.to_vec()))]).expect("batch");
        let (rows, plan) = runtime.block_on(async {
            let ctx = detect::new_context(1);
            ctx.register_table("t", Arc::new(MemTable::try_new(schema, vec![vec![batch]]).expect("table"))).expect("register");
            let sql = "SELECT json_extract_scalar(doc, '$.key') AS k, json_extract_scalar(doc, path) AS by_row,
                              json_extract(doc, '$.n') AS n, json_format(doc) AS same, json_array_length(doc) AS len FROM t";
            let df = ctx.sql(sql).await.expect("plans");
            let plan = format!("{}", datafusion::physical_plan::displayable(df.clone().create_physical_plan().await.expect("physical").as_ref()).indent(true));
            (df.collect().await.expect("runs"), plan)
        });
        // (DataFusion itself unpacks dictionaries before a string function.)
        assert!(name == "Dictionary" || plan.contains("json_extract_scalar(doc@0, $.key)"), "{name}: the JSON column is cast:\n{plan}");
        let b = arrow::compute::concat_batches(&rows[0].schema(), &rows).expect("concat");
        let col = |c: &str| -> Vec<Option<String>> {
            let a = arrow::compute::cast(b.column_by_name(c).expect(c), &DataType::Utf8).expect("cast");
            a.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
        };
        let s = |v: &str| Some(v.to_string());
        assert_eq!(col("k"), vec![s("a/b.bin"), None, None, s("x"), s("a/b.bin"), s("a/b.bin")], "{name}");
        assert_eq!(col("by_row"), vec![s("a/b.bin"), None, None, None, s("7"), s("a/b.bin")], "{name}: a NULL path is NULL");
        assert_eq!(col("n"), vec![s("7"), None, None, None, s("7"), s("7")], "{name}");
        assert_eq!(col("same"), docs.iter().map(|d| d.map(str::to_string)).collect::<Vec<_>>(), "{name}");
        assert_eq!(col("len"), vec![None; 6], "{name}: no document is an array");
    }
}
/// `count(DISTINCT)` and `array_agg(DISTINCT)` run on trailhound's grouped accumulator
/// (detect::distinct): over many groups, nulls, FILTER clauses, string and view columns,
/// several input partitions (partial and final phases) and with DataFusion skipping the
/// partial phase, the results equal DataFusion's built-in functions.
#[test]
fn distinct_aggregates_equal_the_builtin_ones() {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch, StringArray, StringViewArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::prelude::{SessionConfig, SessionContext};

    let schema = Arc::new(Schema::new(vec![
        Field::new("g", DataType::Int64, false),
        Field::new("w", DataType::Int64, false),
        Field::new("s", DataType::Utf8, true),
        Field::new("v", DataType::Utf8View, true),
    ]));
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pool: Vec<String> = (0..60).map(|i| if i % 2 == 0 { format!("k{i}") } else { format!("arn:aws:iam::123456789012:role/value-number-{i}") }).collect();
    let mut partitions = Vec::new();
    for _ in 0..4 {
        let mut batches = Vec::new();
        for _ in 0..3 {
            let n = 2_000;
            let g: Int64Array = (0..n).map(|_| (next() % 700) as i64).collect();
            let w: Int64Array = (0..n).map(|_| (next() % 20) as i64).collect();
            let mut pick = || -> Option<String> { (next() % 10 != 0).then(|| pool[(next() % 60) as usize].clone()) };
            let s: StringArray = (0..n).map(|_| pick()).collect();
            let v: StringViewArray = (0..n).map(|_| pick()).collect();
            batches.push(RecordBatch::try_new(schema.clone(), vec![Arc::new(g), Arc::new(w), Arc::new(s), Arc::new(v)]).expect("batch"));
        }
        partitions.push(batches);
    }
    let sql = "SELECT g,
                      count(DISTINCT s) AS c_s,
                      count(DISTINCT v) FILTER (WHERE w > 5) AS c_v,
                      count(DISTINCT s) + count(*) AS c_plus,
                      count(DISTINCT NULL) AS c_null,
                      array_sort(array_agg(DISTINCT s)) AS a_s,
                      array_sort(array_agg(DISTINCT v) FILTER (WHERE w % 3 = 0)) AS a_v,
                      array_join(array_sort(array_agg(DISTINCT lower(s))), ',') AS joined
               FROM t GROUP BY g ORDER BY g";
    let whole = "SELECT count(DISTINCT s), array_sort(array_agg(DISTINCT v)), count(*) FROM t";
    let run = |ctx: SessionContext, skip_partial: bool| -> String {
        ctx.register_table("t", Arc::new(MemTable::try_new(schema.clone(), partitions.clone()).expect("table"))).expect("register");
        tokio::runtime::Runtime::new().expect("runtime").block_on(async {
            if skip_partial {
                for set in [
                    "SET datafusion.execution.skip_partial_aggregation_probe_rows_threshold = 100",
                    "SET datafusion.execution.skip_partial_aggregation_probe_ratio_threshold = 0.0",
                ] {
                    ctx.sql(set).await.expect("set").collect().await.expect("set");
                }
            }
            let mut out = String::new();
            for q in [sql, whole] {
                let batches = ctx.sql(q).await.expect("plans").collect().await.expect("runs");
                out.push_str(&arrow::util::pretty::pretty_format_batches(&batches).expect("format").to_string());
            }
            out
        })
    };
    for skip_partial in [false, true] {
        let builtin = run(SessionContext::new_with_config(SessionConfig::new().with_target_partitions(3)), skip_partial);
        let ours = run(detect::new_context(3), skip_partial);
        assert!(builtin.lines().count() > 700, "every group is in the output");
        assert_eq!(ours, builtin, "skip_partial={skip_partial}");
    }
}

/// A rule that `requires` a site-config list does not run while the list is empty, and
/// the report names it and the list; once the list is set it runs. Fixtures without the
/// list fail saying so. A header naming a list the config does not have is a pack error
/// naming the file.
#[test]
fn rules_wait_for_the_site_config_they_require() {
    use trailhound::detect::lake::{self, MemoryLake};
    use trailhound::detect::{Detection, RunWindow};

    let set = DetectionSet::builtin().expect("pack").select(&["unapproved_region".into()]).expect("rule");
    assert_eq!(set.detections[0].requires, vec!["approved_regions".to_string()]);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let window = RunWindow { start_ms: 0, end_ms: 86_400_000, history_days_available: 0 };
    let run = |config: SiteConfig| {
        runtime.block_on(async {
            let ctx = detect::new_context(1);
            lake::register_memory(&ctx, &MemoryLake::default()).expect("lake");
            lake::register_windows(&ctx, &window, config.history.days).await.expect("windows");
            config.register(&ctx, &window).expect("config");
            detect::run(&ctx, &set, &window, &config).await.expect("runs")
        })
    };
    let unset = run(SiteConfig::default());
    assert_eq!((unset.num_detections, unset.waiting_for_config.clone()), (0, vec!["unapproved_region (approved_regions)".to_string()]));
    assert!(detect::summary_table(&unset).contains("1 off until the site config sets what they need: unapproved_region (approved_regions)"), "{}", detect::summary_table(&unset));
    let set_config = SiteConfig::from_toml("approved_regions = [\"eu-west-1\"]").expect("config");
    let configured = run(set_config);
    assert_eq!((configured.num_detections, configured.waiting_for_config.len()), (1, 0));

    // Its fixtures without their config.toml: the runner says what is missing.
    let tmp = tempfile::tempdir().expect("tmp");
    let fixtures = tmp.path().join("unapproved_region");
    std::fs::create_dir(&fixtures).expect("dir");
    for name in ["fire.json", "near-miss.json"] {
        std::fs::copy(repo().join("testdata/detections/unapproved_region").join(name), fixtures.join(name)).expect("copy");
    }
    let outcomes = runtime.block_on(detect::fixtures::run_fixtures(&set, tmp.path(), &SiteConfig::default())).expect("fixtures run");
    assert_eq!(outcomes[0].failures, vec!["requires approved_regions: set it in the fixtures' config.toml".to_string()]);

    let text = set.detections[0].sql.clone();
    let header = "-- id: unapproved_region\n-- title: t\n-- severity: low\n-- technique: -\n-- requires: approved_region\n-- guidance: G16\n-- catalogue: -\n-- description: d\n";
    let err = Detection::parse("cloudtrail/unapproved_region.sql", &format!("{header}{text}")).expect_err("unknown list");
    let message = err.to_string();
    assert!(message.contains("queries/cloudtrail/unapproved_region.sql") && message.contains("approved_region\""), "{message}");
}
