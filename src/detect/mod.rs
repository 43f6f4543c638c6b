//! Phase 2: the detection pack over the lake, with DataFusion.
//!
//! ```text
//!  lake tables (lake_cloudtrail, lake_s3_access: Parquet listing tables, or memory)
//!    -> views for one run: cloudtrail / s3_access (the run's days) and
//!       cloudtrail_history / s3_access_history (the N days before)
//!    + th_* tables from the site config ([`config`]) + Trino functions ([`udf`])
//!  queries/<table>/<id>.sql -> the findings contract -> finding ids, metadata
//!    -> findings Parquet (`<lake>/findings/dt=YYYY-MM-DD/`) + a terminal summary
//! ```
//! Every query is planned before any data is read, so a broken query stops the run at
//! startup with its file name. A query's result must have exactly the contract columns
//! ([`CONTRACT`]); the engine casts them, adds the detection's metadata and a finding id
//! that depends only on the finding (same input, same id), and merges rows with the
//! same id. Findings already in the lake (same id) are not written again.

pub mod config;
pub mod distinct;
pub mod fixtures;
pub mod jsonpath;
pub mod lake;
pub mod pack;
pub mod runner;
pub mod udf;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, LazyLock};

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListBuilder, MapArray, RecordBatch, StringArray,
    StringBuilder, TimestampMillisecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use sha2::{Digest, Sha256};

pub use config::{RunWindow, SiteConfig};
pub use pack::{Detection, DetectionSet, Severity};

use crate::decode::schema::timestamp_type;
use crate::error::{Error, Result};

/// The columns every detection returns, with their types.
pub const CONTRACT: &[(&str, &str)] = &[
    ("window_start", "timestamp"),
    ("window_end", "timestamp"),
    ("account_id", "varchar"),
    ("region", "varchar"),
    ("principal_arn", "varchar"),
    ("source_ip", "varchar"),
    ("user_agent", "varchar"),
    ("event_count", "bigint"),
    ("event_ids", "array(varchar)"),
    ("resource", "varchar"),
    ("evidence", "map(varchar, varchar)"),
];

/// Event ids kept per finding (the count is always complete).
pub const MAX_EVENT_IDS: usize = 100;

/// The `findings` table schema (without the `dt` partition, the UTC day of `window_start`).
pub fn findings_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let s = |n: &str| Field::new(n, DataType::Utf8, true);
        Arc::new(Schema::new(vec![
            Field::new("finding_id", DataType::Utf8, false),
            Field::new("detection_id", DataType::Utf8, false),
            Field::new("title", DataType::Utf8, false),
            Field::new("severity", DataType::Utf8, false),
            s("technique"),
            s("guidance"),
            Field::new("window_start", timestamp_type(), true),
            Field::new("window_end", timestamp_type(), true),
            s("account_id"),
            s("region"),
            s("principal_arn"),
            s("source_ip"),
            s("user_agent"),
            Field::new("event_count", DataType::Int64, false),
            Field::new(
                "event_ids",
                DataType::List(Arc::new(Field::new("element", DataType::Utf8, true))),
                true,
            ),
            s("resource"),
            s("evidence"),
        ]))
    });
    SCHEMA.clone()
}

/// One finding, as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub finding_id: String,
    pub detection_id: String,
    pub title: String,
    pub severity: Severity,
    pub technique: String,
    pub guidance: String,
    pub window_start_ms: Option<i64>,
    pub window_end_ms: Option<i64>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub principal_arn: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub event_count: i64,
    /// Sorted, unique, at most [`MAX_EVENT_IDS`].
    pub event_ids: Vec<String>,
    pub resource: Option<String>,
    /// A JSON object (keys sorted).
    pub evidence: String,
}

/// A DataFusion session with the Trino functions registered.
pub fn new_context(threads: usize) -> SessionContext {
    // DATAFUSION_* environment variables tune the engine (e.g. DATAFUSION_EXECUTION_BATCH_SIZE).
    let mut config = SessionConfig::from_env().unwrap_or_default()
        .with_target_partitions(threads.max(1))
        .with_information_schema(true);
    let options = config.options_mut();
    // Decode the filter columns first and the wide JSON columns only for matching rows.
    if std::env::var_os("DATAFUSION_EXECUTION_PARQUET_PUSHDOWN_FILTERS").is_none() {
        options.execution.parquet.pushdown_filters = true;
        options.execution.parquet.reorder_filters = true;
    }
    let ctx = SessionContext::new_with_config(config);
    udf::register(&ctx);
    distinct::register(&ctx);
    ctx
}

/// Plans every detection against empty tables and the default config: a query that
/// cannot plan stops the run here, before anything is read, naming its file.
///
/// # Errors
/// [`Error::Detection`] for the first query that fails to plan or breaks the contract.
pub async fn check_plans(set: &DetectionSet, config: &SiteConfig) -> Result<()> {
    let ctx = new_context(1);
    lake::register_memory(&ctx, &lake::MemoryLake::default())?;
    let window = RunWindow { start_ms: 0, end_ms: 86_400_000, history_days_available: 0 };
    lake::register_windows(&ctx, &window, config.history.days).await?;
    config.register(&ctx, &window)?;
    for d in &set.detections {
        plan(&ctx, d).await?;
    }
    Ok(())
}

fn plan_error(d: &Detection, e: &datafusion::error::DataFusionError) -> Error {
    Error::Detection { file: d.path.clone(), reason: e.to_string() }
}

fn check_contract(d: &Detection, schema: &Schema) -> Result<()> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let missing: Vec<&str> = CONTRACT.iter().map(|(n, _)| *n).filter(|n| !names.contains(n)).collect();
    let extra: Vec<&str> = names.iter().copied().filter(|n| !CONTRACT.iter().any(|(c, _)| c == n)).collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(Error::Detection {
            file: d.path.clone(),
            reason: format!(
                "the SELECT must return exactly the findings columns; missing [{}], unexpected [{}]",
                missing.join(", "),
                extra.join(", ")
            ),
        });
    }
    Ok(())
}

/// What one detection run found.
#[derive(Debug, Default)]
pub struct DetectReport {
    /// Every finding of the run (merged by id), sorted by severity (highest first), detection, time.
    pub findings: Vec<Finding>,
    /// Detections that ran.
    pub num_detections: usize,
    /// History rules that were silent because the lake holds too little history.
    pub waiting_for_history: Vec<String>,
    /// Rules that did not run because a site-config list they require is empty, each
    /// as `id (list, ...)`.
    pub waiting_for_config: Vec<String>,
    pub elapsed_seconds: f64,
    /// Per detection that ran: id, seconds, rows returned; slowest first.
    pub timings: Vec<(String, f64, usize)>,
}

/// Runs `set` on a context whose lake tables, views and config tables are registered.
/// Every query is planned before any runs, so a query that does not plan (or breaks
/// the findings contract) stops the run before anything is computed; each is planned
/// once, which on a small lake is most of the pack's time.
///
/// # Errors
/// [`Error::Detection`] naming the query that failed.
pub async fn run(ctx: &SessionContext, set: &DetectionSet, window: &RunWindow, config: &SiteConfig) -> Result<DetectReport> {
    let started = std::time::Instant::now();
    let enough_history = window.history_days_available >= config.history.min_days;
    let mut waiting = Vec::new();
    let mut waiting_for_config = Vec::new();
    let mut runnable = Vec::new();
    for d in &set.detections {
        let unset: Vec<&str> = d.requires.iter().map(String::as_str).filter(|r| !config.list_is_set(r)).collect();
        if !unset.is_empty() {
            waiting_for_config.push(format!("{} ({})", d.id, unset.join(", ")));
        } else if d.uses_history() && !enough_history {
            waiting.push(d.id.clone());
        } else {
            runnable.push(d);
        }
    }
    // Planning is CPU work (about 9 ms a query): on tasks of their own, the queries
    // plan on every core; the first failure in pack order is the one reported.
    let plans: Vec<Result<Arc<dyn ExecutionPlan>>> = futures::stream::iter(runnable.iter().map(|d| {
        let (ctx, d) = (ctx.clone(), (*d).clone());
        let file = d.path.clone();
        async move {
            tokio::spawn(async move { plan(&ctx, &d).await })
                .await
                .unwrap_or_else(|e| Err(Error::Detection { file, reason: format!("planning stopped: {e}") }))
        }
    }))
    .buffered(detect_concurrency())
    .collect()
    .await;
    let mut planned = Vec::with_capacity(runnable.len());
    for (d, plan) in runnable.into_iter().zip(plans) {
        planned.push((d, plan?));
    }
    tracing::debug!(detections = planned.len(), seconds = started.elapsed().as_secs_f64(), "detections planned");
    // A few queries at once: small ones overlap, big ones share the cores.
    let results: Vec<(String, f64, Result<Vec<Finding>>)> = futures::stream::iter(planned.iter().map(|(d, plan)| {
        let (ctx, d, plan) = (ctx.clone(), (*d).clone(), plan.clone());
        async move {
            let (id, file) = (d.id.clone(), d.path.clone());
            // A task of its own: a query's streams run on any free worker, not all
            // multiplexed on the one task that collects the results.
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let result = run_one(&ctx, &d, plan).await;
                (d.id.clone(), started.elapsed().as_secs_f64(), result)
            })
            .await
            .unwrap_or_else(|e| (id, 0.0, Err(Error::Detection { file, reason: format!("the query stopped: {e}") })))
        }
    }))
    .buffer_unordered(detect_concurrency())
    .collect()
    .await;
    let mut by_id: BTreeMap<String, Finding> = BTreeMap::new();
    let mut timings = Vec::with_capacity(results.len());
    for (id, secs, result) in results {
        let found = result?;
        timings.push((id, secs, found.len()));
        for f in found {
            merge_into(&mut by_id, f);
        }
    }
    timings.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (id, secs, rows) in &timings {
        tracing::debug!(detection = %id, seconds = secs, rows, "detection finished");
    }
    let mut findings: Vec<Finding> = by_id.into_values().collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.detection_id.cmp(&b.detection_id))
            .then_with(|| a.window_start_ms.cmp(&b.window_start_ms))
            .then_with(|| a.finding_id.cmp(&b.finding_id))
    });
    Ok(DetectReport {
        findings,
        num_detections: planned.len(),
        waiting_for_history: waiting,
        waiting_for_config,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        timings,
    })
}

/// Queries run at once (`TRAILHOUND_DETECT_CONCURRENCY`, default 4).
fn detect_concurrency() -> usize {
    std::env::var("TRAILHOUND_DETECT_CONCURRENCY").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(4)
}

fn merge_into(by_id: &mut BTreeMap<String, Finding>, f: Finding) {
    match by_id.get_mut(&f.finding_id) {
        None => {
            by_id.insert(f.finding_id.clone(), f);
        }
        Some(existing) => {
            existing.event_count += f.event_count;
            existing.event_ids.extend(f.event_ids);
            existing.event_ids.sort();
            existing.event_ids.dedup();
            existing.event_ids.truncate(MAX_EVENT_IDS);
        }
    }
}

/// The physical plan of `d`, its output checked against the findings contract.
async fn plan(ctx: &SessionContext, d: &Detection) -> Result<Arc<dyn ExecutionPlan>> {
    let df = ctx.sql(&d.sql).await.map_err(|e| plan_error(d, &e))?;
    check_contract(d, df.schema().as_arrow())?;
    df.create_physical_plan().await.map_err(|e| plan_error(d, &e))
}

async fn run_one(ctx: &SessionContext, d: &Detection, plan: Arc<dyn ExecutionPlan>) -> Result<Vec<Finding>> {
    let batches = datafusion::physical_plan::collect(plan.clone(), ctx.task_ctx()).await.map_err(|e| plan_error(d, &e))?;
    tracing::trace!(detection = %d.id, "executed plan\n{}", datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(plan.as_ref()).indent(true));
    let mut out = Vec::new();
    for batch in &batches {
        findings_of(d, batch, &mut out).map_err(|e| Error::Detection { file: d.path.clone(), reason: e })?;
    }
    Ok(out)
}

fn column(batch: &RecordBatch, name: &str, to: &DataType) -> std::result::Result<ArrayRef, String> {
    let a = batch.column_by_name(name).ok_or_else(|| format!("no column {name}"))?;
    if a.data_type() == to {
        return Ok(a.clone());
    }
    cast(a, to).map_err(|e| format!("column {name} ({}) cannot be read as {to}: {e}", a.data_type()))
}

fn findings_of(d: &Detection, batch: &RecordBatch, out: &mut Vec<Finding>) -> std::result::Result<(), String> {
    let ts = |name| -> std::result::Result<TimestampMillisecondArray, String> {
        Ok(column(batch, name, &timestamp_type())?.as_primitive().clone())
    };
    let text = |name| -> std::result::Result<StringArray, String> { Ok(column(batch, name, &DataType::Utf8)?.as_string::<i32>().clone()) };
    let (start, end) = (ts("window_start")?, ts("window_end")?);
    let (account, region, principal, ip, agent, resource) =
        (text("account_id")?, text("region")?, text("principal_arn")?, text("source_ip")?, text("user_agent")?, text("resource")?);
    let count: Int64Array = column(batch, "event_count", &DataType::Int64)?.as_primitive().clone();
    let list_type = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let ids_col = column(batch, "event_ids", &list_type)?;
    let ids = ids_col.as_list::<i32>();
    let evidence_col = batch.column_by_name("evidence").ok_or("no column evidence")?;
    let evidence: Option<&MapArray> = evidence_col.as_map_opt();
    if evidence.is_none() && evidence_col.data_type() != &DataType::Null {
        return Err(format!("column evidence must be a map(varchar, varchar), got {}", evidence_col.data_type()));
    }
    // The map with its keys and values as text, cast once for the batch (casting per row
    // copies every buffer of a view array each time).
    let evidence = match evidence {
        Some(m) => {
            let keys = cast(m.keys(), &DataType::Utf8).map_err(|e| e.to_string())?;
            let values = cast(m.values(), &DataType::Utf8).map_err(|e| format!("evidence values must be varchar: {e}"))?;
            Some((m, keys.as_string::<i32>().clone(), values.as_string::<i32>().clone()))
        }
        None => None,
    };
    let opt = |a: &StringArray, i: usize| (!a.is_null(i)).then(|| a.value(i).to_string());
    for i in 0..batch.num_rows() {
        let mut event_ids: Vec<String> = Vec::new();
        if !ids.is_null(i) {
            let v = ids.value(i);
            let v = v.as_string::<i32>();
            event_ids.extend(v.iter().flatten().map(str::to_string));
        }
        event_ids.sort();
        event_ids.dedup();
        event_ids.truncate(MAX_EVENT_IDS);
        let evidence_json = match &evidence {
            Some((m, keys, values)) if !m.is_null(i) => map_to_json(m, keys, values, i)?,
            _ => "{}".to_string(),
        };
        let mut f = Finding {
            finding_id: String::new(),
            detection_id: d.id.clone(),
            title: d.title.clone(),
            severity: d.severity,
            technique: d.technique.clone(),
            guidance: d.guidance.join(","),
            window_start_ms: (!start.is_null(i)).then(|| start.value(i)),
            window_end_ms: (!end.is_null(i)).then(|| end.value(i)),
            account_id: opt(&account, i),
            region: opt(&region, i),
            principal_arn: opt(&principal, i),
            source_ip: opt(&ip, i),
            user_agent: opt(&agent, i),
            event_count: if count.is_null(i) { 0 } else { count.value(i) },
            event_ids,
            resource: opt(&resource, i),
            evidence: evidence_json,
        };
        f.finding_id = finding_id(&f);
        out.push(f);
    }
    Ok(())
}

/// Row `i` of a map as a JSON object with sorted keys (values are strings or null);
/// `keys` and `values` are the map's entry columns as text.
fn map_to_json(m: &MapArray, keys: &StringArray, values: &StringArray, i: usize) -> std::result::Result<String, String> {
    let offsets = m.value_offsets();
    let (lo, hi) = (offsets[i] as usize, offsets[i + 1] as usize);
    let mut object = BTreeMap::new();
    for j in lo..hi {
        let v = (!values.is_null(j)).then(|| values.value(j));
        object.insert(keys.value(j), v);
    }
    serde_json::to_string(&object).map_err(|e| e.to_string())
}

/// The finding's identity: the detection, the window and who/where/what. Not the event
/// ids, so a finding that gains late events keeps its id.
pub fn finding_id(f: &Finding) -> String {
    let mut h = Sha256::new();
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "\u{0}".into());
    for part in [
        f.detection_id.clone(),
        f.window_start_ms.map_or("-".into(), |v| v.to_string()),
        f.window_end_ms.map_or("-".into(), |v| v.to_string()),
        opt(&f.account_id),
        opt(&f.region),
        opt(&f.principal_arn),
        opt(&f.source_ip),
        opt(&f.resource),
    ] {
        h.update(part.as_bytes());
        h.update([0x1f]);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Findings as one record batch of [`findings_schema`].
///
/// # Errors
/// Only on an internal schema mismatch.
pub fn findings_batch(findings: &[Finding]) -> Result<RecordBatch> {
    let s = |f: &dyn Fn(&Finding) -> Option<String>| -> ArrayRef { Arc::new(findings.iter().map(f).collect::<StringArray>()) };
    let ts = |f: &dyn Fn(&Finding) -> Option<i64>| -> ArrayRef {
        Arc::new(findings.iter().map(f).collect::<TimestampMillisecondArray>().with_timezone("UTC"))
    };
    let mut ids = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new("element", DataType::Utf8, true)));
    for f in findings {
        for id in &f.event_ids {
            ids.values().append_value(id);
        }
        ids.append(true);
    }
    let columns: Vec<ArrayRef> = vec![
        s(&|f| Some(f.finding_id.clone())),
        s(&|f| Some(f.detection_id.clone())),
        s(&|f| Some(f.title.clone())),
        s(&|f| Some(f.severity.as_str().to_string())),
        s(&|f| Some(f.technique.clone())),
        s(&|f| Some(f.guidance.clone())),
        ts(&|f| f.window_start_ms),
        ts(&|f| f.window_end_ms),
        s(&|f| f.account_id.clone()),
        s(&|f| f.region.clone()),
        s(&|f| f.principal_arn.clone()),
        s(&|f| f.source_ip.clone()),
        s(&|f| f.user_agent.clone()),
        Arc::new(findings.iter().map(|f| f.event_count).collect::<Int64Array>()),
        Arc::new(ids.finish()),
        s(&|f| f.resource.clone()),
        s(&|f| Some(f.evidence.clone())),
    ];
    Ok(RecordBatch::try_new(findings_schema(), columns)?)
}

/// Ids of findings already in the lake's `findings` table for the run's days.
///
/// # Errors
/// A failing read of the findings table.
pub async fn existing_finding_ids(ctx: &SessionContext, window: &RunWindow) -> Result<HashSet<String>> {
    if !ctx.table_exist("lake_findings").unwrap_or(false) {
        return Ok(HashSet::new());
    }
    let (first, last) = lake::window_days(window);
    // Findings of a run lie in its days; a window may start the day before (late events).
    let sql = format!(
        "SELECT finding_id FROM lake_findings WHERE dt >= '{}' AND dt <= '{}'",
        crate::decode::time::format_day(first - 1),
        crate::decode::time::format_day(last)
    );
    let batches = ctx
        .sql(&sql)
        .await
        .map_err(|e| Error::Detection { file: "findings table".into(), reason: e.to_string() })?
        .collect()
        .await
        .map_err(|e| Error::Detection { file: "findings table".into(), reason: e.to_string() })?;
    let mut ids = HashSet::new();
    for b in batches {
        let col = cast(b.column(0), &DataType::Utf8).map_err(|e| Error::Detection { file: "findings table".into(), reason: e.to_string() })?;
        let col = col.as_string::<i32>();
        ids.extend(col.iter().flatten().map(str::to_string));
    }
    Ok(ids)
}

/// The terminal summary: findings by severity, then rule, with counts and top principals.
pub fn summary_table(report: &DetectReport) -> String {
    use std::fmt::Write as _;
    /// Severity, detection, findings, findings per principal.
    type Row = (Severity, String, usize, BTreeMap<String, usize>);
    let mut rows: Vec<Row> = Vec::new();
    for f in &report.findings {
        let p = f.principal_arn.clone().unwrap_or_else(|| "-".into());
        match rows.iter_mut().find(|r| r.1 == f.detection_id) {
            Some(r) => {
                r.2 += 1;
                *r.3.entry(p).or_default() += 1;
            }
            None => rows.push((f.severity, f.detection_id.clone(), 1, BTreeMap::from([(p, 1)]))),
        }
    }
    rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "detections: {} ran, {} findings{}{}",
        report.num_detections,
        report.findings.len(),
        if report.waiting_for_history.is_empty() {
            String::new()
        } else {
            format!(", {} history rules waiting for enough history", report.waiting_for_history.len())
        },
        if report.waiting_for_config.is_empty() {
            String::new()
        } else {
            format!(", {} off until the site config sets what they need: {}", report.waiting_for_config.len(), report.waiting_for_config.join(", "))
        }
    );
    if rows.is_empty() {
        return out;
    }
    let _ = writeln!(out, "  {:<9} {:<50} {:>6}  top principals", "severity", "detection", "count");
    for (severity, id, n, principals) in rows {
        let mut top: Vec<(String, usize)> = principals.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let top: Vec<String> = top.into_iter().take(3).map(|(p, n)| format!("{p} ({n})")).collect();
        let _ = writeln!(out, "  {:<9} {:<50} {:>6}  {}", severity.as_str(), id, n, top.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_id_ignores_event_ids_and_metadata_order() {
        let mut f = Finding {
            finding_id: String::new(),
            detection_id: "d".into(),
            title: "t".into(),
            severity: Severity::High,
            technique: "-".into(),
            guidance: "G1".into(),
            window_start_ms: Some(1),
            window_end_ms: Some(2),
            account_id: Some("1".into()),
            region: None,
            principal_arn: Some("arn".into()),
            source_ip: None,
            user_agent: None,
            event_count: 1,
            event_ids: vec!["a".into()],
            resource: None,
            evidence: "{}".into(),
        };
        let id = finding_id(&f);
        f.event_ids.push("b".into());
        f.event_count = 2;
        assert_eq!(finding_id(&f), id);
        f.region = Some("".into());
        assert_ne!(finding_id(&f), id, "null and empty differ");
    }
}
