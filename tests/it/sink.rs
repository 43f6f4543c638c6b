//! The sink's row groups: columns sorted and encoded on several threads give the same
//! files as on one, every row comes back whole, and each row group is in sort order.

use std::sync::Arc;

use arrow::array::{Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow::compute::{concat_batches, sort_to_indices, take_record_batch};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use trailhound::decode::{DecodeLimits, KindHint, ObjectDecoder, Table};
use trailhound::sink::{SinkOptions, TableWriter};

/// The CloudTrail records of the sample trail, decoded, in batches of 97 rows.
fn sample_batches() -> Vec<RecordBatch> {
    let mut decoder = ObjectDecoder::new(DecodeLimits::default());
    for path in crate::walk(&crate::repo().join("testdata/sample-trail")) {
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_')) {
            continue;
        }
        let raw = std::fs::read(&path).expect("read");
        // Digests and other non-log objects decode to no rows.
        let _ = decoder.decode(&path.to_string_lossy(), &raw, KindHint::Auto);
    }
    let mut batches = decoder.take_batches();
    batches.extend(decoder.finish().expect("batches"));
    let rows: Vec<RecordBatch> = batches.into_iter().filter(|(t, _)| *t == Table::CloudTrail).map(|(_, b)| b).collect();
    let all = concat_batches(&Table::CloudTrail.schema(), &rows).expect("concat");
    (0..all.num_rows()).step_by(97).map(|at| all.slice(at, 97.min(all.num_rows() - at))).collect()
}

/// Writes `batches` with `encode_threads` in row groups of about 256 KiB of Arrow
/// data; returns the files (key, bytes) in key order.
fn write(batches: &[RecordBatch], encode_threads: usize) -> Vec<(String, bytes::Bytes)> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let options = SinkOptions { row_group_bytes: 256 << 10, encode_threads, ..SinkOptions::default() };
    let mut writer = TableWriter::for_table(store.clone(), Table::CloudTrail, "run", options, runtime.handle().clone()).expect("writer");
    for batch in batches {
        writer.push(batch.clone()).expect("push");
    }
    let mut files: Vec<String> = writer.finish().expect("finish").into_iter().map(|f| f.key).collect();
    files.sort();
    files
        .into_iter()
        .map(|key| {
            let body = runtime.block_on(async { store.get(&Path::from(key.as_str())).await?.bytes().await }).expect("file");
            (key, body)
        })
        .collect()
}

/// The rows of `batch` ordered by event id (unique in the sample trail).
fn by_event_id(batch: &RecordBatch) -> RecordBatch {
    let ids = batch.column(batch.schema().index_of("eventid").expect("eventid")).clone();
    take_record_batch(batch, &sort_to_indices(&ids, None, None).expect("sort")).expect("take")
}

#[test]
fn parallel_column_encoding_writes_the_same_files_and_every_row_whole_and_sorted() {
    let batches = sample_batches();
    let schema = Table::CloudTrail.schema();
    let input = concat_batches(&schema, &batches).expect("concat");
    assert!(batches.len() > 10 && input.num_rows() > 1000, "{} batches, {} rows", batches.len(), input.num_rows());

    let one = write(&batches, 1);
    let three = write(&batches, 3);
    assert_eq!(one.iter().map(|(k, _)| k).collect::<Vec<_>>(), three.iter().map(|(k, _)| k).collect::<Vec<_>>());
    for ((key, a), (_, b)) in one.iter().zip(&three) {
        assert!(a == b, "{key}: 1 and 3 encode threads wrote different bytes");
    }

    let (source, name, time) = (schema.index_of("eventsource").expect("col"), schema.index_of("eventname").expect("col"), schema.index_of("eventtime_ts").expect("col"));
    let mut read = Vec::new();
    let mut row_groups = 0;
    for (key, body) in &three {
        let builder = ParquetRecordBatchReaderBuilder::try_new(body.clone()).expect("a Parquet file");
        let metadata = builder.metadata().clone();
        let kv = metadata.file_metadata().key_value_metadata().expect("key-value metadata");
        assert!(kv.iter().any(|e| e.key == "ARROW:schema"), "{key}: no Arrow schema");
        for rg in 0..metadata.num_row_groups() {
            row_groups += 1;
            // Nearly unique columns go without a dictionary or statistics; the others keep both.
            for column in metadata.row_group(rg).columns() {
                let path = column.column_path().string();
                let dictionary = column.dictionary_page_offset().is_some();
                if Table::CloudTrail.high_cardinality_columns().contains(&path.as_str()) {
                    assert!(!dictionary && column.statistics().is_none(), "{key}: {path} has a dictionary or statistics");
                } else if path == "eventsource" || path == "useridentity.arn" {
                    assert!(dictionary && column.statistics().is_some(), "{key}: {path} has no dictionary or no statistics");
                }
            }
            let reader = ParquetRecordBatchReaderBuilder::try_new(body.clone()).expect("file").with_row_groups(vec![rg]).build().expect("reader");
            let group: Vec<RecordBatch> = reader.collect::<Result<_, _>>().expect("rows");
            let group = concat_batches(&schema, &group).expect("concat");
            let s = group.column(source).as_any().downcast_ref::<StringArray>().expect("utf8");
            let n = group.column(name).as_any().downcast_ref::<StringArray>().expect("utf8");
            let t = group.column(time).as_any().downcast_ref::<TimestampMillisecondArray>().expect("ts");
            let key_of = |i: usize| {
                let opt = |a: &StringArray| if a.is_null(i) { (1, String::new()) } else { (0, a.value(i).to_string()) };
                (opt(s), opt(n), if t.is_null(i) { i64::MAX } else { t.value(i) })
            };
            assert!((1..group.num_rows()).all(|i| key_of(i - 1) <= key_of(i)), "{key} row group {rg} is not in (eventsource, eventname, time) order");
            read.push(group);
        }
    }
    assert!(row_groups > 3, "only {row_groups} row groups: the test should span several");
    let read = concat_batches(&schema, &read).expect("concat");
    assert_eq!(by_event_id(&read), by_event_id(&input), "the rows read back differ from the rows written");
}

/// Two writers held to one budget: after every push the bytes both buffer stay under
/// it (each writer alone would buffer everything under its own, larger one), the
/// fullest partition of either is the one written, and every row is still written
/// once.
#[test]
fn writers_share_one_buffer_budget() {
    let batches = sample_batches();
    let total: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let options = SinkOptions { row_group_bytes: 1 << 30, max_buffered_bytes: 1 << 30, encode_threads: 1, ..SinkOptions::default() };
    let writer = |run: &str| TableWriter::for_table(store.clone(), Table::CloudTrail, run, options.clone(), runtime.handle().clone()).expect("writer");
    let mut writers = [writer("run-a"), writer("run-b")];
    let cap = total / 4;
    for (i, batch) in batches.iter().enumerate() {
        writers[i % 2].push(batch.clone()).expect("push");
        trailhound::sink::enforce_shared_budget(writers.iter_mut(), cap).expect("budget");
        let buffered: usize = writers.iter().map(TableWriter::buffered_bytes).sum();
        assert!(buffered <= cap, "after batch {i}: {buffered} bytes buffered, budget {cap}");
    }
    let [a, b] = writers;
    let files: Vec<_> = a.finish().expect("finish").into_iter().chain(b.finish().expect("finish")).collect();
    let (mut rows, mut row_groups) = (0, 0);
    for f in &files {
        let body = runtime.block_on(async { store.get(&Path::from(f.key.as_str())).await?.bytes().await }).expect("file");
        let builder = ParquetRecordBatchReaderBuilder::try_new(body).expect("a Parquet file");
        row_groups += builder.metadata().num_row_groups();
        rows += builder.build().expect("reader").map(|b| b.expect("batch").num_rows()).sum::<usize>();
    }
    assert_eq!(rows, batches.iter().map(RecordBatch::num_rows).sum::<usize>());
    assert!(row_groups >= 8, "{row_groups} row groups: the budget wrote early");
}
