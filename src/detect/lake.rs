//! The lake as DataFusion tables, and the per-run views the detections read.
//!
//! `lake_cloudtrail`, `lake_s3_access`, `lake_findings` are the whole tables: Parquet
//! listing tables over `<lake>/<table>/dt=.../*.parquet` with the writer's schema (never
//! inferred; top-level strings read as views, see [`view_types`]) and `dt` as a partition
//! column, or in-memory batches (fixtures, tests).
//! For a detection run, `cloudtrail`/`s3_access` are views of the run's days and
//! `cloudtrail_history`/`s3_access_history` of the days before: filters on `dt` only,
//! so DataFusion prunes whole partitions before opening a file.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::datasource::MemTable;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::SessionContext;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt};

use super::config::RunWindow;
use crate::decode::schema::{PARTITION_COLUMN, NULL_PARTITION};
use crate::decode::time::{day_of_ms, format_day};
use crate::decode::Table;
use crate::error::{Error, Result};
use crate::sink::commit::Ledger;
use crate::store::{is_s3, open_s3, parse_s3_url, S3Options};

/// Tables of the lake with their writer schemas and time columns.
pub fn lake_tables() -> Vec<(&'static str, SchemaRef, &'static str)> {
    vec![
        (Table::CloudTrail.name(), Table::CloudTrail.schema(), Table::CloudTrail.time_column()),
        (Table::S3Access.name(), Table::S3Access.schema(), Table::S3Access.time_column()),
        ("findings", super::findings_schema(), "window_start"),
    ]
}

/// Where the lake is, opened.
#[derive(Clone)]
pub struct LakeLocation {
    /// `file:///abs/dir/` or `s3://bucket/prefix/`, with a trailing slash.
    pub url: String,
    /// The store rooted at the bucket (S3) or at `/` (local).
    pub store: Arc<dyn ObjectStore>,
    /// The lake root inside `store`.
    pub prefix: Path,
    /// The lake's committed state; tables show only its live files once loaded.
    pub ledger: Option<Arc<Ledger>>,
}

impl LakeLocation {
    /// Opens a local folder or `s3://bucket/prefix`.
    ///
    /// # Errors
    /// A bad S3 URL or unusable credentials configuration; a missing local folder.
    pub fn open(lake: &str, s3: &S3Options) -> Result<Self> {
        if is_s3(lake) {
            let (bucket, prefix) = parse_s3_url(lake)?;
            let location = open_s3(lake, s3)?;
            let prefix = prefix.trim_matches('/').to_string();
            let url = if prefix.is_empty() { format!("s3://{bucket}/") } else { format!("s3://{bucket}/{prefix}/") };
            Ok(Self { url, store: location.store, prefix: Path::from(prefix), ledger: None })
        } else {
            let dir = std::path::Path::new(lake);
            let abs = std::fs::canonicalize(dir)
                .map_err(|e| Error::Config(format!("lake folder {}: {e}", dir.display())))?;
            let store: Arc<dyn ObjectStore> = Arc::new(object_store::local::LocalFileSystem::new());
            let prefix = Path::from_filesystem_path(&abs).map_err(|e| Error::Config(format!("lake folder {}: {e}", abs.display())))?;
            Ok(Self { url: format!("file:///{}/", prefix.as_ref()), store, prefix, ledger: None })
        }
    }

    /// A store rooted at the lake (keys like `cloudtrail/dt=.../x.parquet`).
    pub fn lake_store(&self) -> Arc<dyn ObjectStore> {
        if self.prefix.as_ref().is_empty() {
            self.store.clone()
        } else {
            Arc::new(PrefixStore::new(self.store.clone(), self.prefix.clone()))
        }
    }

    /// Reads the lake's manifests: from now on its tables show only live files.
    ///
    /// # Errors
    /// An unreadable `_runs/`.
    pub async fn load_ledger(&mut self) -> Result<Arc<Ledger>> {
        let ledger = Arc::new(Ledger::load(&self.lake_store()).await?);
        self.ledger = Some(ledger.clone());
        Ok(ledger)
    }

    /// The store DataFusion reads: only live files of the tables, once the ledger is loaded.
    fn table_store(&self) -> Arc<dyn ObjectStore> {
        match &self.ledger {
            Some(ledger) => Arc::new(LiveStore::new(self.store.clone(), self.prefix.as_ref().to_string(), ledger)),
            None => self.store.clone(),
        }
    }

    pub fn store_url(&self) -> Result<ObjectStoreUrl> {
        let end = self.url.find("://").map(|i| i + 3).unwrap_or(0);
        let authority_end = self.url[end..].find('/').map_or(self.url.len(), |i| end + i);
        ObjectStoreUrl::parse(&self.url[..authority_end]).map_err(|e| Error::Config(format!("lake {}: {e}", self.url)))
    }

    /// The `dt=` partitions of a table present in the lake (sorted).
    ///
    /// # Errors
    /// A failing listing.
    pub async fn partitions(&self, table: &str) -> Result<Vec<String>> {
        if let Some(ledger) = &self.ledger {
            return Ok(ledger.partitions(table));
        }
        let prefix = self.prefix.clone().join(table);
        let listing = match self.store.list_with_delimiter(Some(&prefix)).await {
            Ok(l) => l,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(Error::List { location: format!("{}{table}/", self.url), source: e }),
        };
        let mut days: Vec<String> = listing
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().and_then(|f| f.strip_prefix("dt=")).map(str::to_string))
            .collect();
        days.sort();
        Ok(days)
    }
}

/// Registers the lake's tables on `ctx` as `<prefix><table>` (`lake_cloudtrail`, or
/// `cloudtrail` for ad-hoc SQL).
///
/// # Errors
/// DataFusion refusing a table (a bad URL).
pub fn register_lake(ctx: &SessionContext, lake: &LakeLocation, name_prefix: &str) -> Result<()> {
    ctx.register_object_store(lake.store_url()?.as_ref(), lake.table_store());
    for (table, schema, _) in lake_tables() {
        let url = format!("{}{table}/", lake.url);
        let table_url = ListingTableUrl::parse(&url).map_err(|e| Error::Config(format!("lake table {url}: {e}")))?;
        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![(PARTITION_COLUMN.to_string(), DataType::Utf8)]);
        let config = ListingTableConfig::new(table_url).with_listing_options(options).with_schema(view_types(&schema));
        // The context's statistics cache: each file's statistics are read from its footer
        // once per run, not once per query (a ListingTable has no cache of its own).
        let provider = ListingTable::try_new(config)
            .map_err(|e| Error::Config(format!("lake table {url}: {e}")))?
            .with_cache(ctx.runtime_env().cache_manager.get_file_statistic_cache());
        ctx.register_table(format!("{name_prefix}{table}"), Arc::new(provider))
            .map_err(|e| Error::Config(format!("lake table {url}: {e}")))?;
    }
    Ok(())
}

/// Lake tables held in memory (detection fixtures, tests).
#[derive(Debug, Default, Clone)]
pub struct MemoryLake {
    pub cloudtrail: Vec<RecordBatch>,
    pub s3_access: Vec<RecordBatch>,
}

impl MemoryLake {
    /// The UTC days of rows in the tables (sorted, unique).
    pub fn days(&self) -> Vec<i64> {
        let mut days = Vec::new();
        for (batches, table) in [(&self.cloudtrail, Table::CloudTrail), (&self.s3_access, Table::S3Access)] {
            for b in batches {
                if let Some(ts) = b.column_by_name(table.time_column()) {
                    let ts = ts.as_primitive::<arrow::datatypes::TimestampMillisecondType>();
                    days.extend(ts.iter().flatten().map(day_of_ms));
                }
            }
        }
        days.sort_unstable();
        days.dedup();
        days
    }
}

/// Registers `lake_cloudtrail`, `lake_s3_access` and an empty `lake_findings` from memory.
///
/// # Errors
/// Batches that do not match the table schemas.
pub fn register_memory(ctx: &SessionContext, lake: &MemoryLake) -> Result<()> {
    for (table, schema, ts) in lake_tables() {
        let batches = match table {
            "cloudtrail" => &lake.cloudtrail[..],
            "s3_access" => &lake.s3_access[..],
            _ => &[],
        };
        let with_dt_schema = with_partition_column(&view_types(&schema));
        let mut parts = Vec::with_capacity(batches.len());
        for b in batches {
            parts.push(add_dt(b, ts, &with_dt_schema)?);
        }
        let provider = MemTable::try_new(with_dt_schema, vec![parts])
            .map_err(|e| Error::Config(format!("memory table {table}: {e}")))?;
        ctx.register_table(format!("lake_{table}"), Arc::new(provider))
            .map_err(|e| Error::Config(format!("memory table {table}: {e}")))?;
    }
    Ok(())
}

/// The schema the detections read a table with: its top-level strings as `Utf8View`.
///
/// The Parquet reader then decodes a dictionary page into views of the dictionary
/// (instead of copying every value), and `eventsource = '...'` compares a value's length
/// and prefix, held in its view, before its bytes: the pack spent 15-20 % of its CPU
/// copying and comparing those strings. (Only top-level columns: DataFusion
/// reads a file's top-level strings as views when the table asks, not struct children.)
pub fn view_types(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

fn with_partition_column(schema: &SchemaRef) -> SchemaRef {
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(PARTITION_COLUMN, DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

fn add_dt(batch: &RecordBatch, ts: &str, schema: &SchemaRef) -> Result<RecordBatch> {
    let times = batch
        .column_by_name(ts)
        .ok_or_else(|| Error::Config(format!("memory batch has no {ts} column")))?
        .as_primitive::<arrow::datatypes::TimestampMillisecondType>();
    let dt: StringArray = (0..times.len())
        .map(|i| Some(if times.is_null(i) { NULL_PARTITION.to_string() } else { format_day(day_of_ms(times.value(i))) }))
        .collect();
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (column, field) in batch.columns().iter().zip(schema.fields()) {
        columns.push(if column.data_type() == field.data_type() { column.clone() } else { arrow::compute::cast(column, field.data_type())? });
    }
    columns.push(Arc::new(dt));
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// The first and last UTC day of a run window.
pub fn window_days(window: &RunWindow) -> (i64, i64) {
    (day_of_ms(window.start_ms), day_of_ms(window.end_ms - 1))
}

/// Creates the per-run views over the `lake_*` tables.
///
/// # Errors
/// DataFusion refusing a view (a bug).
pub async fn register_windows(ctx: &SessionContext, window: &RunWindow, history_days: i64) -> Result<()> {
    let (first, last) = window_days(window);
    let (first, last, history_first) = (format_day(first), format_day(last), format_day(day_of_ms(window.start_ms) - history_days));
    for table in ["cloudtrail", "s3_access"] {
        for (view, lo, hi) in [
            (table.to_string(), format!("dt >= '{first}'"), format!("dt <= '{last}'")),
            (format!("{table}_history"), format!("dt >= '{history_first}'"), format!("dt < '{first}'")),
        ] {
            let sql = format!("CREATE OR REPLACE VIEW {view} AS SELECT * FROM lake_{table} WHERE {lo} AND {hi}");
            ctx.sql(&sql)
                .await
                .map_err(|e| Error::Config(format!("view {view}: {e}")))?
                .collect()
                .await
                .map_err(|e| Error::Config(format!("view {view}: {e}")))?;
        }
    }
    Ok(())
}

/// How many distinct day numbers of `days` lie in the history window before `window`.
pub fn history_days_available(window: &RunWindow, history_days: i64, days: impl IntoIterator<Item = i64>) -> i64 {
    let first = day_of_ms(window.start_ms);
    let mut seen: Vec<i64> = days.into_iter().filter(|d| *d < first && *d >= first - history_days).collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len() as i64
}

/// Day numbers of `YYYY-MM-DD` partition names (others skipped).
pub fn partition_days(names: &[String]) -> Vec<i64> {
    names
        .iter()
        .filter_map(|n| {
            let b = n.as_bytes();
            if b.len() != 10 {
                return None;
            }
            let y = n.get(0..4)?.parse().ok()?;
            let m = n.get(5..7)?.parse().ok()?;
            let d = n.get(8..10)?.parse().ok()?;
            Some(crate::decode::time::days_from_civil(y, m, d))
        })
        .collect()
}

/// The lake's store as trailhound's readers see it: exactly the live files of the
/// tables. Parquet files that are not live (staged, superseded and not yet deleted,
/// left by a run that never committed) are not listed; a live file that its run
/// committed but had not yet moved from staging when it died is read from there.
/// Everything else passes through.
#[derive(Debug, Clone)]
struct LiveStore {
    inner: Arc<dyn ObjectStore>,
    /// The lake root inside `inner` (no trailing slash).
    prefix: String,
    /// Live files, as keys of `inner`, with their staged keys.
    live: Arc<std::collections::HashMap<String, String>>,
}

impl LiveStore {
    fn new(inner: Arc<dyn ObjectStore>, prefix: String, ledger: &Ledger) -> Self {
        let full = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}/{k}") };
        let live = ledger
            .live
            .iter()
            .map(|(k, f)| (full(k), full(&crate::sink::commit::staged_key(&f.run_id, k))))
            .collect();
        Self { inner, prefix, live: Arc::new(live) }
    }

    fn is_table_file(&self, key: &str) -> bool {
        let relative = if self.prefix.is_empty() { Some(key) } else { key.strip_prefix(&self.prefix).and_then(|r| r.strip_prefix('/')) };
        let Some(relative) = relative else { return false };
        let table = relative.split('/').next().unwrap_or_default();
        lake_tables().iter().any(|(t, _, _)| *t == table) && relative.ends_with(".parquet")
    }

    fn visible(&self, location: &Path) -> bool {
        let key = location.as_ref();
        !self.is_table_file(key) || self.live.contains_key(key)
    }

    /// Live files under `prefix` (segment-wise) that are still only staged.
    async fn unpublished(&self, prefix: Option<&Path>, listed: &std::collections::HashSet<String>) -> Vec<object_store::ObjectMeta> {
        let under = |key: &str| match prefix {
            None => true,
            Some(p) if p.as_ref().is_empty() => true,
            Some(p) => key.strip_prefix(p.as_ref()).is_some_and(|r| r.starts_with('/')),
        };
        let mut out = Vec::new();
        for (key, staged) in self.live.iter() {
            if under(key) && !listed.contains(key) {
                if let Ok(meta) = self.inner.head(&Path::from(staged.as_str())).await {
                    out.push(object_store::ObjectMeta { location: Path::from(key.as_str()), ..meta });
                }
            }
        }
        out
    }
}

fn not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

impl std::fmt::Display for LiveStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LiveStore({})", self.inner)
    }
}

#[async_trait::async_trait]
impl ObjectStore for LiveStore {
    async fn put_opts(&self, location: &Path, payload: object_store::PutPayload, opts: object_store::PutOptions) -> object_store::Result<object_store::PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: object_store::PutMultipartOptions) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: object_store::GetOptions) -> object_store::Result<object_store::GetResult> {
        match self.inner.get_opts(location, options.clone()).await {
            Err(e) if not_found(&e) => match self.live.get(location.as_ref()) {
                Some(staged) => self.inner.get_opts(&Path::from(staged.as_str()), options).await,
                None => Err(e),
            },
            other => other,
        }
    }

    async fn get_ranges(&self, location: &Path, ranges: &[std::ops::Range<u64>]) -> object_store::Result<Vec<bytes::Bytes>> {
        match self.inner.get_ranges(location, ranges).await {
            Err(e) if not_found(&e) => match self.live.get(location.as_ref()) {
                Some(staged) => self.inner.get_ranges(&Path::from(staged.as_str()), ranges).await,
                None => Err(e),
            },
            other => other,
        }
    }

    fn delete_stream(
        &self,
        locations: futures::stream::BoxStream<'static, object_store::Result<Path>>,
    ) -> futures::stream::BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
        use futures::{StreamExt, TryStreamExt};
        let me = self.clone();
        let prefix = prefix.cloned();
        futures::stream::once(async move {
            let listed: Vec<object_store::ObjectMeta> = me.inner.list(prefix.as_ref()).try_collect().await?;
            let mut out: Vec<object_store::ObjectMeta> = listed.into_iter().filter(|m| me.visible(&m.location)).collect();
            let seen = out.iter().map(|m| m.location.to_string()).collect();
            out.extend(me.unpublished(prefix.as_ref(), &seen).await);
            Ok::<_, object_store::Error>(futures::stream::iter(out.into_iter().map(Ok)))
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<object_store::ListResult> {
        let mut result = match self.inner.list_with_delimiter(prefix).await {
            Ok(r) => r,
            Err(e) if not_found(&e) => object_store::ListResult { common_prefixes: Vec::new(), objects: Vec::new() },
            Err(e) => return Err(e),
        };
        result.objects.retain(|m| self.visible(&m.location));
        let seen = result.objects.iter().map(|m| m.location.to_string()).collect();
        let depth = prefix.map_or(0, |p| p.parts().count());
        for meta in self.unpublished(prefix, &seen).await {
            let parts: Vec<_> = meta.location.parts().collect();
            if parts.len() == depth + 1 {
                result.objects.push(meta);
            } else if parts.len() > depth + 1 {
                let dir = Path::from_iter(parts.into_iter().take(depth + 1));
                if !result.common_prefixes.contains(&dir) {
                    result.common_prefixes.push(dir);
                }
            }
        }
        Ok(result)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: object_store::CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: object_store::RenameOptions) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}
