//! Sink stage: record batches to a Hive-partitioned Parquet table.
//!
//! Rows are routed by UTC event date to `<table>/dt=YYYY-MM-DD/`. Each partition
//! buffers incoming rows up to a row-group budget, sorts them by event time and
//! writes them as one row group of a file that streams to the store (multipart
//! upload; a local folder is a store too). A row group's columns are gathered into
//! sorted order and encoded one column at a time, on `encode_threads` threads. A file
//! becomes visible under its final name only when complete; names are new per run
//! (`<run-id>-<seq>.parquet`), so a reader never sees a file change under it. Memory is bounded by the row-group
//! budget times the open partitions, capped by `max_buffered_bytes`.

pub mod commit;
pub mod existing;
pub mod manifest;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arrow::array::{Array, ArrayRef, RecordBatch, TimestampMillisecondArray, UInt32Array};
use arrow::compute::{interleave, take_record_batch};
use arrow::datatypes::{Field, SchemaRef};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory};
use parquet::arrow::{ArrowSchemaConverter, ArrowWriter};
use parquet::errors::ParquetError;
use parquet::file::writer::SerializedFileWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::file::metadata::SortingColumn;
use parquet::schema::types::ColumnPath;
use tokio::runtime::Handle;

use crate::decode::schema::NULL_PARTITION;
use crate::decode::Table;
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
    /// Cap on Arrow bytes buffered over all partitions (of every table, in a scan: see
    /// [`enforce_shared_budget`]).
    pub max_buffered_bytes: usize,
    /// Threads a row group's columns are sorted and encoded on (the writing thread
    /// is one of them).
    pub encode_threads: usize,
}

impl Default for SinkOptions {
    fn default() -> Self {
        Self {
            codec: Codec::Zstd,
            row_group_bytes: 96 << 20,
            target_file_bytes: 256 << 20,
            max_buffered_bytes: 256 << 20,
            encode_threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
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
    writer: SerializedFileWriter<UploadWriter>,
    columns: ArrowRowGroupWriterFactory,
    row_groups: usize,
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
    /// For each Parquet leaf column, the schema field it belongs to.
    leaf_fields: Vec<usize>,
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
            // Level 1: on the 2 GB bench trail it writes 1 % smaller files than level 3
            // (probably because the sorted 8 Ki-row pages leave level 3's match finder
            // little more to find), and the scan takes 0.2-0.6 s less CPU (of about 10 s).
            Codec::Zstd => Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()),
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
            leaf_fields: (0..descriptor.num_columns()).map(|i| descriptor.get_column_root_idx(i)).collect(),
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

    /// The writer of one of the lake's tables, with its clustering and column layout.
    ///
    /// # Errors
    /// [`Error::Config`] when the table's layout names a column it does not have.
    pub fn for_table(store: Arc<dyn ObjectStore>, table: Table, run_id: &str, options: SinkOptions, runtime: Handle) -> Result<Self> {
        Self::clustered(store, table.name(), run_id, table.schema(), table.cluster_columns(), table.time_column(), options, runtime)?
            .plain_columns(table.high_cardinality_columns())
    }

    /// Writes these columns without a dictionary or statistics: for columns whose
    /// values are nearly all distinct, both cost encoding time and buy nothing.
    ///
    /// # Errors
    /// [`Error::Config`] when a column is not in the schema.
    pub fn plain_columns(mut self, columns: &[&str]) -> Result<Self> {
        let mut props = self.props.clone().into_builder();
        for name in columns {
            if self.schema.index_of(name).is_err() {
                return Err(Error::Config(format!("table {} has no column {name}", self.table)));
            }
            let path = ColumnPath::from(*name);
            props = props.set_column_dictionary_enabled(path.clone(), false).set_column_statistics_enabled(path, EnabledStatistics::None);
        }
        self.props = props.build();
        Ok(self)
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
            if !self.flush_largest()? {
                break;
            }
        }
        Ok(())
    }

    /// Arrow bytes buffered over all partitions, not yet written.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes
    }

    /// Bytes buffered in the fullest partition.
    pub fn largest_pending_bytes(&self) -> usize {
        self.partitions.values().map(|p| p.pending_bytes).max().unwrap_or(0)
    }

    /// Writes the fullest partition's rows as a row group; `false` when nothing is buffered.
    ///
    /// # Errors
    /// Writing to the store failed; the run must stop.
    pub fn flush_largest(&mut self) -> Result<bool> {
        let Some(largest) = self.partitions.iter().filter(|(_, p)| p.pending_bytes > 0).max_by_key(|(_, p)| p.pending_bytes).map(|(k, _)| k.clone()) else {
            return Ok(false);
        };
        self.write_row_group(&largest)?;
        Ok(true)
    }

    fn write_row_group(&mut self, partition: &str) -> Result<()> {
        let Some(part) = self.partitions.get_mut(partition) else { return Ok(()) };
        if part.pending.is_empty() {
            return Ok(());
        }
        let batches = std::mem::take(&mut part.pending);
        self.buffered_bytes -= std::mem::take(&mut part.pending_bytes);
        let order = sort_order(&batches, &self.key_columns, self.ts_column)?;
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
            // The Arrow writer sets up the file (its Arrow schema metadata included); its
            // lower half writes row groups whose columns were encoded apart.
            let (writer, columns) = ArrowWriter::try_new(sink, self.schema.clone(), Some(self.props.clone()))
                .and_then(ArrowWriter::into_serialized_writer)
                .map_err(parquet_err)?;
            part.file = Some(OpenFile { writer, columns, row_groups: 0, key, rows: 0 });
        }
        let Some(file) = part.file.as_mut() else { return Ok(()) };
        let order: Option<Vec<(usize, usize)>> = order.map(|o| o.into_iter().map(|(b, r)| (b as usize, r as usize)).collect());
        let rows = encode_row_group(file, &self.schema, &self.leaf_fields, &batches, order.as_deref(), self.options.encode_threads)
            .map_err(parquet_err)?;
        file.rows += rows;
        if file.writer.bytes_written() >= self.options.target_file_bytes {
            self.close_file(partition)?;
        }
        Ok(())
    }

    fn close_file(&mut self, partition: &str) -> Result<()> {
        let Some(file) = self.partitions.get_mut(partition).and_then(|p| p.file.take()) else {
            return Ok(());
        };
        let OpenFile { writer, key, rows, .. } = file;
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

/// Holds `writers` (one per table) to one buffer budget, `max_bytes` over all their
/// partitions, by writing the fullest partition of any table first; each writer's own
/// budget still holds. So the tables do not each fill a budget of their own: the rows held
/// in memory have one bound, whichever mix of tables the input holds.
///
/// # Errors
/// Writing to the store failed; the run must stop.
pub fn enforce_shared_budget<'a>(writers: impl IntoIterator<Item = &'a mut TableWriter>, max_bytes: usize) -> Result<()> {
    let mut writers: Vec<&mut TableWriter> = writers.into_iter().collect();
    while writers.iter().map(|w| w.buffered_bytes()).sum::<usize>() > max_bytes {
        let Some(fullest) = writers.iter_mut().max_by_key(|w| w.largest_pending_bytes()) else { break };
        if !fullest.flush_largest()? {
            break;
        }
    }
    Ok(())
}

/// Writes `batches` as the next row group of `file`, rows in `order` (as they come
/// when `None`). Each column is gathered into order, split into its Parquet leaves and
/// encoded on its own, on `threads` threads (this one included), largest columns
/// first; the encoded chunks are then written in schema order. So the sorted copy
/// exists one column at a time, and the encoding is not one thread's work.
fn encode_row_group(
    file: &mut OpenFile,
    schema: &SchemaRef,
    leaf_fields: &[usize],
    batches: &[RecordBatch],
    order: Option<&[(usize, usize)]>,
    threads: usize,
) -> parquet::errors::Result<u64> {
    let fields = schema.fields();
    let mut writers: Vec<Vec<ArrowColumnWriter>> = (0..fields.len()).map(|_| Vec::new()).collect();
    for (writer, &field) in file.columns.create_column_writers(file.row_groups)?.into_iter().zip(leaf_fields) {
        if let Some(w) = writers.get_mut(field) {
            w.push(writer);
        }
    }
    let size = |field: usize| batches.iter().map(|b| b.column(field).get_array_memory_size()).sum::<usize>();
    let mut by_size: Vec<usize> = (0..fields.len()).collect();
    by_size.sort_by_cached_key(|&f| std::cmp::Reverse(size(f)));
    let jobs: Vec<Mutex<Option<(usize, Vec<ArrowColumnWriter>)>>> =
        by_size.into_iter().map(|f| Mutex::new(Some((f, std::mem::take(&mut writers[f]))))).collect();
    let chunks: Vec<Mutex<Option<parquet::errors::Result<Vec<ArrowColumnChunk>>>>> = (0..fields.len()).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
            let Some((field, writers)) = lock(job).take() else { continue };
            let encoded = encode_column(batches, order, field, &fields[field], writers);
            *lock(&chunks[field]) = Some(encoded);
        }
    };
    std::thread::scope(|scope| {
        for n in 1..threads.min(jobs.len()) {
            // Without another thread this one does all the columns.
            if std::thread::Builder::new().name(format!("trailhound-encode-{n}")).spawn_scoped(scope, work).is_err() {
                break;
            }
        }
        work();
    });
    let mut row_group = file.writer.next_row_group()?;
    for chunk in chunks {
        let encoded = chunk.into_inner().unwrap_or_else(PoisonError::into_inner);
        for column in encoded.ok_or_else(|| ParquetError::General("a column was not encoded".into()))?? {
            column.append_to_row_group(&mut row_group)?;
        }
    }
    row_group.close()?;
    file.row_groups += 1;
    Ok(batches.iter().map(|b| b.num_rows() as u64).sum())
}

/// One column of a row group: gathered into `order`, then encoded by its leaves' writers.
fn encode_column(
    batches: &[RecordBatch],
    order: Option<&[(usize, usize)]>,
    field: usize,
    schema_field: &Field,
    mut writers: Vec<ArrowColumnWriter>,
) -> parquet::errors::Result<Vec<ArrowColumnChunk>> {
    let parts: Vec<ArrayRef> = match order {
        Some(order) => {
            let arrays: Vec<&dyn Array> = batches.iter().map(|b| b.column(field).as_ref()).collect();
            vec![interleave(&arrays, order)?]
        }
        None => batches.iter().map(|b| b.column(field).clone()).collect(),
    };
    for part in &parts {
        let leaves = compute_leaves(schema_field, part)?;
        if leaves.len() != writers.len() {
            return Err(ParquetError::General(format!("column {} has {} leaves, not {}", schema_field.name(), leaves.len(), writers.len())));
        }
        for (writer, leaf) in writers.iter_mut().zip(&leaves) {
            writer.write(leaf)?;
        }
    }
    writers.into_iter().map(ArrowColumnWriter::close).collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The order to write the rows of `batches` in, as (batch, row): by the string
/// columns `keys` (nulls last), then the timestamp column (nulls last), ties in
/// arrival order. `None` when they already are in that order.
///
/// The key columns are ranked first (one hash lookup per row and column, over a few
/// hundred distinct values), so the sort compares integers, never strings.
fn sort_order(batches: &[RecordBatch], keys: &[usize], ts_column: usize) -> Result<Option<Vec<(u32, u32)>>> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut rank = vec![0u32; rows];
    for &k in keys {
        let mut columns = Vec::with_capacity(batches.len());
        for batch in batches {
            let Some(column) = batch.column(k).as_any().downcast_ref::<arrow::array::StringArray>() else {
                return Err(Error::Pipeline("a sort column is not a string column".into()));
            };
            columns.push(column);
        }
        // Dense ids of (rank so far, value) in arrival order, then renumbered in sorted order.
        let mut ids: std::collections::HashMap<(u32, Option<&str>), u32> = std::collections::HashMap::new();
        let mut distinct: Vec<(u32, Option<&str>)> = Vec::new();
        let mut row = 0;
        for column in &columns {
            for i in 0..column.len() {
                let value = if column.is_null(i) { None } else { Some(column.value(i)) };
                let key = (rank[row], value);
                rank[row] = *ids.entry(key).or_insert_with(|| {
                    distinct.push(key);
                    (distinct.len() - 1) as u32
                });
                row += 1;
            }
        }
        let mut by_value: Vec<u32> = (0..distinct.len() as u32).collect();
        // None (null) sorts after every value.
        by_value.sort_unstable_by(|&a, &b| {
            let ((ra, va), (rb, vb)) = (distinct[a as usize], distinct[b as usize]);
            ra.cmp(&rb).then_with(|| match (va, vb) {
                (Some(a), Some(b)) => a.cmp(b),
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(_), None) => std::cmp::Ordering::Less,
            })
        });
        let mut sorted_rank = vec![0u32; distinct.len()];
        for (position, &id) in by_value.iter().enumerate() {
            sorted_rank[id as usize] = position as u32;
        }
        for r in &mut rank {
            *r = sorted_rank[*r as usize];
        }
    }
    let mut sort_keys: Vec<(u32, i64, u32)> = Vec::with_capacity(rows);
    let mut locations: Vec<(u32, u32)> = Vec::with_capacity(rows);
    for (b, batch) in batches.iter().enumerate() {
        let Some(ts) = batch.column(ts_column).as_any().downcast_ref::<TimestampMillisecondArray>() else {
            return Err(Error::Pipeline("the event-time column is not a millisecond timestamp".into()));
        };
        for i in 0..ts.len() {
            let t = if ts.is_null(i) { i64::MAX } else { ts.value(i) };
            let n = sort_keys.len();
            sort_keys.push((rank[n], t, n as u32));
            locations.push((b as u32, i as u32));
        }
    }
    drop(rank);
    if sort_keys.windows(2).all(|w| w[0] <= w[1]) {
        return Ok(None);
    }
    sort_keys.sort_unstable();
    Ok(Some(sort_keys.into_iter().map(|(_, _, n)| locations[n as usize]).collect()))
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

/// `std::io::Write` over a multipart upload, for the synchronous Parquet writer (and
/// the run manifest, streamed as it is serialised).
pub(crate) struct UploadWriter {
    upload: Option<WriteMultipart>,
    runtime: Handle,
    bytes: u64,
}

impl UploadWriter {
    /// Starts a multipart upload of `location` (parts of 8 MiB); it becomes visible
    /// only when [`Self::finish`] completes it.
    pub(crate) fn start(store: &Arc<dyn ObjectStore>, location: &Path, runtime: Handle) -> object_store::Result<Self> {
        let upload = runtime.block_on(store.put_multipart(location))?;
        Ok(Self { upload: Some(WriteMultipart::new_with_chunk_size(upload, 8 << 20)), runtime, bytes: 0 })
    }

    /// Completes the upload: the object appears whole, at once.
    pub(crate) fn finish(mut self) -> object_store::Result<()> {
        match self.upload.take() {
            Some(upload) => self.runtime.block_on(upload.finish()).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Gives up the upload; nothing becomes visible.
    pub(crate) fn abort(mut self) {
        if let Some(upload) = self.upload.take() {
            let _ = self.runtime.block_on(upload.abort());
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    fn batch(source: &[Option<&str>], name: &[Option<&str>], time: &[Option<i64>]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("n", DataType::Utf8, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(source.to_vec())),
                Arc::new(StringArray::from(name.to_vec())),
                Arc::new(TimestampMillisecondArray::from(time.to_vec())),
            ],
        )
        .expect("valid batch")
    }

    /// The order a comparison sort of the whole key gives: the reference.
    fn reference(batches: &[RecordBatch]) -> Vec<(u32, u32)> {
        let mut rows = Vec::new();
        for (b, batch) in batches.iter().enumerate() {
            let s = batch.column(0).as_any().downcast_ref::<StringArray>().expect("utf8");
            let n = batch.column(1).as_any().downcast_ref::<StringArray>().expect("utf8");
            let t = batch.column(2).as_any().downcast_ref::<TimestampMillisecondArray>().expect("ts");
            for i in 0..batch.num_rows() {
                let opt = |a: &StringArray| if a.is_null(i) { (1, String::new()) } else { (0, a.value(i).to_string()) };
                let time = if t.is_null(i) { i64::MAX } else { t.value(i) };
                rows.push(((opt(s), opt(n), time, b, i), (b as u32, i as u32)));
            }
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(_, at)| at).collect()
    }

    #[test]
    fn sort_order_is_keys_then_time_nulls_last_ties_in_arrival_order() {
        let batches = vec![
            batch(&[Some("s3"), None, Some("kms"), Some("s3")], &[Some("Get"), Some("X"), None, Some("Get")], &[Some(5), Some(1), Some(2), Some(5)]),
            batch(&[Some("kms"), Some("s3"), Some("s3"), None], &[Some("Decrypt"), Some("Get"), Some("Put"), None], &[None, Some(3), Some(1), Some(0)]),
        ];
        let order = sort_order(&batches, &[0, 1], 2).expect("sortable").expect("not already sorted");
        assert_eq!(order, reference(&batches));
        assert_eq!(&order[..3], &[(1, 0), (0, 2), (1, 1)], "kms/Decrypt first, then kms/null, then s3/Get by time");

        // Already in order: nothing to reorder, whatever the number of batches.
        let sorted = vec![
            batch(&[Some("a"), Some("a")], &[Some("x"), Some("y")], &[Some(1), Some(0)]),
            batch(&[Some("b")], &[None], &[None]),
        ];
        assert_eq!(sort_order(&sorted, &[0, 1], 2).expect("sortable"), None);
        // Without key columns, by time alone.
        let by_time = sort_order(&batches, &[], 2).expect("sortable").expect("unsorted");
        let times: Vec<i64> = by_time
            .iter()
            .map(|&(b, r)| {
                let t = batches[b as usize].column(2).as_any().downcast_ref::<TimestampMillisecondArray>().expect("ts");
                if t.is_null(r as usize) { i64::MAX } else { t.value(r as usize) }
            })
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert_eq!(by_time[..2], [(1, 3), (0, 1)], "ties keep arrival order: the time-0 row, then time 1 of batch 0 before batch 1");
    }
}
