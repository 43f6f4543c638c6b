//! Sink stage: record batches to a Hive-partitioned Parquet table.
//!
//! Rows are routed by UTC event date to `<table>/dt=YYYY-MM-DD/`. Each partition
//! buffers incoming rows up to a row-group budget, sorts them by event time and
//! writes them as one row group of a file that streams to the store (multipart
//! upload; a local folder is a store too). A file becomes visible under its final
//! name only when complete; names are new per run (`<run-id>-<seq>.parquet`), so a
//! reader never sees a file change under it. Memory is bounded by the row-group
//! budget times the open partitions, capped by `max_buffered_bytes`.

pub mod commit;
pub mod existing;
pub mod manifest;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch, TimestampMillisecondArray, UInt32Array};
use arrow::compute::{interleave_record_batch, take_record_batch};
use arrow::datatypes::SchemaRef;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::metadata::SortingColumn;
use tokio::runtime::Handle;

use crate::decode::schema::NULL_PARTITION;
use crate::decode::time::{day_of_ms, format_day};
use crate::error::{Error, Result};

/// Parquet compression codecs Athena reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Zstd,
    Snappy,
}

/// How a table is written.
#[derive(Debug, Clone)]
pub struct SinkOptions {
    pub codec: Codec,
    /// Arrow bytes buffered per partition before they are sorted into a row group.
    pub row_group_bytes: usize,
    /// A file is closed once this many Parquet bytes are written to it.
    pub target_file_bytes: usize,
    /// Cap on Arrow bytes buffered over all partitions.
    pub max_buffered_bytes: usize,
}

impl Default for SinkOptions {
    fn default() -> Self {
        Self {
            codec: Codec::Zstd,
            row_group_bytes: 96 << 20,
            target_file_bytes: 256 << 20,
            max_buffered_bytes: 256 << 20,
        }
    }
}

/// A Parquet file the run wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WrittenFile {
    /// Key relative to the lake root.
    pub key: String,
    pub partition: String,
    pub rows: u64,
    pub bytes: u64,
}

struct Partition {
    pending: Vec<RecordBatch>,
    pending_bytes: usize,
    file: Option<OpenFile>,
}

struct OpenFile {
    writer: ArrowWriter<UploadWriter>,
    key: String,
    rows: u64,
}

/// Writes one table of the lake.
pub struct TableWriter {
    store: Arc<dyn ObjectStore>,
    table: String,
    run_id: String,
    schema: SchemaRef,
    ts_column: usize,
    /// String columns rows are sorted by before time.
    key_columns: Vec<usize>,
    props: WriterProperties,
    options: SinkOptions,
    partitions: BTreeMap<String, Partition>,
    buffered_bytes: usize,
    next_seq: u32,
    written: Vec<WrittenFile>,
    runtime: Handle,
    /// Files go to `_staging/<run-id>/<key>` until the run commits.
    staged: bool,
}

impl TableWriter {
    /// # Errors
    /// [`Error::Config`] when `schema` has no `ts_column` timestamp column.
    pub fn try_new(
        store: Arc<dyn ObjectStore>,
        table: &str,
        run_id: &str,
        schema: SchemaRef,
        ts_column: &str,
        options: SinkOptions,
        runtime: Handle,
    ) -> Result<Self> {
        Self::clustered(store, table, run_id, schema, &[], ts_column, options, runtime)
    }

    /// Like [`Self::try_new`], with rows sorted by the string columns `cluster_by`
    /// first, then by time: a selective filter on them (`eventsource = 'bedrock...'`)
    /// then reads a few pages instead of the row group (page statistics, page index).
    ///
    /// # Errors
    /// [`Error::Config`] when a column is missing or not a string.
    #[allow(clippy::too_many_arguments)]
    pub fn clustered(
        store: Arc<dyn ObjectStore>,
        table: &str,
        run_id: &str,
        schema: SchemaRef,
        cluster_by: &[&str],
        ts_column: &str,
        options: SinkOptions,
        runtime: Handle,
    ) -> Result<Self> {
        let ts_index = schema
            .index_of(ts_column)
            .map_err(|_| Error::Config(format!("table {table} has no column {ts_column}")))?;
        let mut key_columns = Vec::with_capacity(cluster_by.len());
        for name in cluster_by {
            let i = schema.index_of(name).map_err(|_| Error::Config(format!("table {table} has no column {name}")))?;
            if schema.field(i).data_type() != &arrow::datatypes::DataType::Utf8 {
                return Err(Error::Config(format!("table {table}: {name} is not a string column")));
            }
            key_columns.push(i);
        }
        let descriptor = ArrowSchemaConverter::new()
            .convert(&schema)
            .map_err(|e| Error::Parquet { partition: table.into(), source: e })?;
        let leaf = |name: &str| {
            (0..descriptor.num_columns())
                .find(|&i| descriptor.column(i).path().string() == name)
                .ok_or_else(|| Error::Config(format!("{name} is not a Parquet leaf")))
        };
        let mut sorting = Vec::new();
        for name in cluster_by.iter().copied().chain([ts_column]) {
            sorting.push(SortingColumn { column_idx: i32::try_from(leaf(name)?).unwrap_or(0), descending: false, nulls_first: false });
        }
        let compression = match options.codec {
            Codec::Zstd => Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()),
            Codec::Snappy => Compression::SNAPPY,
        };
        let props = WriterProperties::builder()
            .set_writer_version(WriterVersion::PARQUET_1_0)
            .set_compression(compression)
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_dictionary_enabled(true)
            .set_max_row_group_row_count(None)
            .set_max_row_group_bytes(None)
            .set_sorting_columns(Some(sorting))
            // Pages of at most 8 Ki rows: fine enough for the sort to prune by.
            .set_data_page_row_count_limit(8192)
            .set_created_by(format!("trailhound {}", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            store,
            table: table.to_string(),
            run_id: run_id.to_string(),
            schema,
            ts_column: ts_index,
            key_columns,
            props,
            options,
            partitions: BTreeMap::new(),
            buffered_bytes: 0,
            next_seq: 0,
            written: Vec::new(),
            runtime,
            staged: false,
        })
    }

    /// Writes every file under `_staging/<run-id>/` (see [`commit`]); the files'
    /// reported keys stay their final keys.
    #[must_use]
    pub fn staged(mut self) -> Self {
        self.staged = true;
        self
    }

    /// Routes a batch's rows to their partitions; writes row groups as budgets fill.
    ///
    /// # Errors
    /// Writing to the store failed; the run must stop.
    pub fn push(&mut self, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        for (partition, part) in split_by_day(&batch, self.ts_column)? {
            let bytes = part.get_array_memory_size();
            let entry = self.partitions.entry(partition.clone()).or_insert_with(|| Partition {
                pending: Vec::new(),
                pending_bytes: 0,
                file: None,
            });
            entry.pending.push(part);
            entry.pending_bytes += bytes;
            self.buffered_bytes += bytes;
            if entry.pending_bytes >= self.options.row_group_bytes {
                self.write_row_group(&partition)?;
            }
        }
        while self.buffered_bytes > self.options.max_buffered_bytes {
            let Some(largest) = self
                .partitions
                .iter()
                .max_by_key(|(_, p)| p.pending_bytes)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.write_row_group(&largest)?;
        }
        Ok(())
    }

    fn write_row_group(&mut self, partition: &str) -> Result<()> {
        let Some(part) = self.partitions.get_mut(partition) else { return Ok(()) };
        if part.pending.is_empty() {
            return Ok(());
        }
        let batches = std::mem::take(&mut part.pending);
        self.buffered_bytes -= std::mem::take(&mut part.pending_bytes);
        let batch = sorted_rows(&batches, &self.key_columns, self.ts_column)?;
        drop(batches);
        let parquet_err = |source| Error::Parquet { partition: partition.to_string(), source };
        if part.file.is_none() {
            let key = format!("{}/dt={}/{}-{:05}.parquet", self.table, partition, self.run_id, self.next_seq);
            self.next_seq += 1;
            let location = if self.staged {
                Path::from(commit::staged_key(&self.run_id, &key))
            } else {
                Path::from(key.as_str())
            };
            let upload = self
                .runtime
                .block_on(self.store.put_multipart(&location))
                .map_err(|e| Error::Output { location: key.clone(), source: e })?;
            let sink = UploadWriter {
                upload: Some(WriteMultipart::new_with_chunk_size(upload, 8 << 20)),
                runtime: self.runtime.clone(),
                bytes: 0,
            };
            let writer = ArrowWriter::try_new(sink, self.schema.clone(), Some(self.props.clone()))
                .map_err(parquet_err)?;
            part.file = Some(OpenFile { writer, key, rows: 0 });
        }
        let Some(file) = part.file.as_mut() else { return Ok(()) };
        file.writer.write(&batch).map_err(parquet_err)?;
        file.writer.flush().map_err(parquet_err)?;
        file.rows += batch.num_rows() as u64;
        if file.writer.bytes_written() >= self.options.target_file_bytes {
            self.close_file(partition)?;
        }
        Ok(())
    }

    fn close_file(&mut self, partition: &str) -> Result<()> {
        let Some(file) = self.partitions.get_mut(partition).and_then(|p| p.file.take()) else {
            return Ok(());
        };
        let OpenFile { writer, key, rows } = file;
        let parquet_err = |source| Error::Parquet { partition: partition.to_string(), source };
        // Writes the footer and hands back the upload.
        let mut sink = writer.into_inner().map_err(parquet_err)?;
        let bytes = sink.bytes;
        let upload = sink.upload.take();
        if let Some(upload) = upload {
            self.runtime
                .block_on(upload.finish())
                .map_err(|e| Error::Output { location: key.clone(), source: e })?;
        }
        crate::failpoint::hit("staged");
        self.written.push(WrittenFile { key, partition: partition.to_string(), rows, bytes });
        Ok(())
    }

    /// Writes everything buffered, closes every file and returns the files written.
    ///
    /// # Errors
    /// Writing to the store failed.
    pub fn finish(mut self) -> Result<Vec<WrittenFile>> {
        let partitions: Vec<String> = self.partitions.keys().cloned().collect();
        for partition in partitions {
            self.write_row_group(&partition)?;
            self.close_file(&partition)?;
        }
        Ok(self.written)
    }
}

/// The rows of `batches` in one batch, ordered by the string columns `keys` (nulls
/// last), then the timestamp column (nulls last), ties in arrival order, gathered in a
/// single copy.
fn sorted_rows(batches: &[RecordBatch], keys: &[usize], ts_column: usize) -> Result<RecordBatch> {
    let mut times = Vec::with_capacity(batches.len());
    let mut strings: Vec<Vec<&arrow::array::StringArray>> = Vec::with_capacity(batches.len());
    for batch in batches {
        let Some(ts) = batch.column(ts_column).as_any().downcast_ref::<TimestampMillisecondArray>() else {
            return Err(Error::Pipeline("the event-time column is not a millisecond timestamp".into()));
        };
        times.push(ts);
        let mut columns = Vec::with_capacity(keys.len());
        for &k in keys {
            let Some(column) = batch.column(k).as_any().downcast_ref::<arrow::array::StringArray>() else {
                return Err(Error::Pipeline("a sort column is not a string column".into()));
            };
            columns.push(column);
        }
        strings.push(columns);
    }
    let key = |b: usize, row: usize| {
        let ts = times[b];
        let t = if ts.is_null(row) { i64::MAX } else { ts.value(row) };
        (strings[b].iter().map(move |c| if c.is_null(row) { None } else { Some(c.value(row)) }), t)
    };
    let compare = |&(b1, r1): &(usize, usize), &(b2, r2): &(usize, usize)| {
        let ((k1, t1), (k2, t2)) = (key(b1, r1), key(b2, r2));
        for (a, b) in k1.zip(k2) {
            // None (null) sorts after every value.
            let o = match (a, b) {
                (Some(a), Some(b)) => a.cmp(b),
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
            };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        t1.cmp(&t2).then((b1, r1).cmp(&(b2, r2)))
    };
    let mut order: Vec<(usize, usize)> =
        batches.iter().enumerate().flat_map(|(b, batch)| (0..batch.num_rows()).map(move |r| (b, r))).collect();
    if batches.len() == 1 && order.windows(2).all(|w| compare(&w[0], &w[1]) != std::cmp::Ordering::Greater) {
        return Ok(batches[0].clone());
    }
    order.sort_unstable_by(compare);
    let refs: Vec<&RecordBatch> = batches.iter().collect();
    Ok(interleave_record_batch(&refs, &order)?)
}

/// Splits a batch by the UTC day of its timestamp column; null times go to the
/// Hive default partition.
fn split_by_day(batch: &RecordBatch, ts_column: usize) -> Result<Vec<(String, RecordBatch)>> {
    let Some(ts) = batch.column(ts_column).as_any().downcast_ref::<TimestampMillisecondArray>() else {
        return Err(Error::Pipeline("the event-time column is not a millisecond timestamp".into()));
    };
    let day = |i: usize| if ts.is_null(i) { None } else { Some(day_of_ms(ts.value(i))) };
    let first = day(0);
    if (1..ts.len()).all(|i| day(i) == first) {
        return Ok(vec![(partition_name(first), batch.clone())]);
    }
    let mut groups: BTreeMap<Option<i64>, Vec<u32>> = BTreeMap::new();
    for i in 0..ts.len() {
        groups.entry(day(i)).or_default().push(i as u32);
    }
    let mut out = Vec::with_capacity(groups.len());
    for (d, rows) in groups {
        let indices = UInt32Array::from(rows);
        out.push((partition_name(d), take_record_batch(batch, &indices)?));
    }
    Ok(out)
}

fn partition_name(day: Option<i64>) -> String {
    match day {
        Some(d) => format_day(d),
        None => NULL_PARTITION.to_string(),
    }
}

/// `std::io::Write` over a multipart upload, for the synchronous Parquet writer.
struct UploadWriter {
    upload: Option<WriteMultipart>,
    runtime: Handle,
    bytes: u64,
}

impl Write for UploadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let Some(upload) = self.upload.as_mut() else {
            return Err(std::io::Error::other("upload already finished"));
        };
        // Back pressure: at most a few parts in flight per file.
        self.runtime.block_on(upload.wait_for_capacity(4)).map_err(std::io::Error::other)?;
        let _guard = self.runtime.enter();
        upload.write(buf);
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
