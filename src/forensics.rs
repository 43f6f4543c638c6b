//! What a forensic pull brought in: the top principals, source IPs, event names and
//! error codes of the rows a scan wrote, read back from exactly its files.

use std::sync::Arc;

use arrow::array::{Array, AsArray};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::SessionContext;

use crate::decode::Table;
use crate::detect::lake::LakeLocation;
use crate::error::{Error, Result};
use crate::sink::WrittenFile;
use crate::store::S3Options;

/// The most frequent values of one column of the pulled rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Top {
    pub table: &'static str,
    /// `principal`, `source_ip`, `event_name`, `error_code`.
    pub what: &'static str,
    pub values: Vec<(String, u64)>,
}

/// (table, what, SQL expression) of each list.
const LISTS: &[(Table, &str, &str)] = &[
    (Table::CloudTrail, "principal", "coalesce(useridentity.arn, useridentity.principalid, useridentity.type)"),
    (Table::CloudTrail, "source_ip", "sourceipaddress"),
    (Table::CloudTrail, "event_name", "concat(split_part(eventsource, '.', 1), ':', eventname)"),
    (Table::CloudTrail, "error_code", "errorcode"),
    (Table::S3Access, "principal", "requester"),
    (Table::S3Access, "source_ip", "remoteip"),
    (Table::S3Access, "event_name", "operation"),
    (Table::S3Access, "error_code", "errorcode"),
];

/// The top `n` values of each list over the rows in `files` (a run's files).
///
/// # Errors
/// An unreadable lake or file.
pub fn top_of_run(lake: &str, s3: &S3Options, files: &[WrittenFile], n: usize) -> Result<Vec<Top>> {
    let location = LakeLocation::open(lake, s3)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Pipeline(format!("starting a runtime: {e}")))?;
    runtime.block_on(async {
        let ctx = crate::detect::new_context(1);
        ctx.register_object_store(location.store_url()?.as_ref(), location.store.clone());
        let mut out = Vec::new();
        for table in [Table::CloudTrail, Table::S3Access] {
            let urls: Vec<ListingTableUrl> = files
                .iter()
                .filter(|f| f.key.starts_with(&format!("{}/", table.name())))
                .map(|f| ListingTableUrl::parse(format!("{}{}", location.url, f.key)))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::Config(format!("lake file URL: {e}")))?;
            if urls.is_empty() {
                continue;
            }
            let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
            let config = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(options).with_schema(table.schema());
            let provider = ListingTable::try_new(config).map_err(|e| Error::Config(format!("the run's files: {e}")))?;
            register(&ctx, table.name(), Arc::new(provider))?;
            for (t, what, expr) in LISTS.iter().filter(|(t, _, _)| *t == table) {
                let sql = format!(
                    "SELECT {expr} AS v, count(*) AS n FROM {} WHERE {expr} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT {n}",
                    t.name()
                );
                let batches = ctx
                    .sql(&sql)
                    .await
                    .map_err(|e| Error::Config(format!("forensic summary {what}: {e}")))?
                    .collect()
                    .await
                    .map_err(|e| Error::Config(format!("forensic summary {what}: {e}")))?;
                let mut values = Vec::new();
                for b in &batches {
                    let v = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
                    let v = v.as_string::<i32>();
                    let c = b.column(1).as_primitive::<arrow::datatypes::Int64Type>();
                    for i in 0..b.num_rows() {
                        if !v.is_null(i) {
                            values.push((v.value(i).to_string(), u64::try_from(c.value(i)).unwrap_or(0)));
                        }
                    }
                }
                out.push(Top { table: t.name(), what, values });
            }
        }
        Ok(out)
    })
}

fn register(ctx: &SessionContext, name: &str, provider: Arc<ListingTable>) -> Result<()> {
    ctx.register_table(name, provider).map_err(|e| Error::Config(format!("table {name}: {e}")))?;
    Ok(())
}
