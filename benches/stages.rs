//! The stages after decoding, per run, in bytes of uncompressed input (JSON and
//! access-log text) as benches/decode.rs counts them, so the stages compare:
//!
//! - `parquet-write`: the decoded batches of the sample trail (both tables) routed to
//!   their day partitions, sorted into row groups and encoded as Parquet (zstd) into
//!   an in-memory store: what the sink thread does.
//! - `detections`: the whole built-in pack over the lake of the sample trail, findings
//!   computed and not written: what `trailhound detect --no-write` does.
//!
//! Run: cargo bench --bench stages

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use object_store::memory::InMemory;
use object_store::ObjectStore;
use trailhound::decode::{DecodeLimits, KindHint, ObjectDecoder, Table};
use trailhound::detect::runner::{detect_lake, DetectOptions};
use trailhound::detect::{DetectionSet, SiteConfig};
use trailhound::pipeline::{scan, DayRange, ScanOptions};
use trailhound::sink::{SinkOptions, TableWriter};
use trailhound::store::S3Options;

fn sample_trail() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sample-trail")
}

/// Every object of the sample trail, decoded: the batches and the bytes inflated.
fn decoded() -> (Vec<(Table, RecordBatch)>, u64) {
    let mut decoder = ObjectDecoder::new(DecodeLimits::default());
    let mut stack = vec![sample_trail()];
    let mut bytes = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("sample trail").flatten() {
            let path = entry.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if path.is_dir() {
                stack.push(path);
            } else if !name.starts_with('_') {
                let raw = std::fs::read(&path).expect("read");
                let key = path.to_string_lossy().into_owned();
                if let Ok((_, trailhound::decode::FileVerdict::Events { decompressed_bytes, .. })) =
                    decoder.decode(&key, &raw, KindHint::Auto)
                {
                    bytes += decompressed_bytes;
                }
            }
        }
    }
    let mut batches = decoder.take_batches();
    batches.extend(decoder.finish().expect("batches"));
    (batches, bytes)
}

fn bench_parquet_write(c: &mut Criterion) {
    let (batches, bytes) = decoded();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("parquet-write");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    let rows: usize = batches.iter().map(|(_, b)| b.num_rows()).sum();
    group.bench_function(BenchmarkId::new("sample-trail", rows), |b| {
        b.iter(|| {
            let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
            let mut writers: Vec<(Table, TableWriter)> = Table::ALL
                .iter()
                .map(|&table| {
                    let writer = TableWriter::for_table(store.clone(), table, "bench", SinkOptions::default(), runtime.handle().clone())
                        .expect("writer");
                    (table, writer)
                })
                .collect();
            for (table, batch) in &batches {
                if let Some((_, writer)) = writers.iter_mut().find(|(t, _)| t == table) {
                    writer.push(batch.clone()).expect("push");
                }
            }
            let files: usize = writers.into_iter().map(|(_, w)| w.finish().expect("finish").len()).sum();
            std::hint::black_box(files)
        })
    });
    group.finish();
}

fn bench_detections(c: &mut Criterion) {
    let lake = tempfile::tempdir().expect("temp dir");
    let out = lake.path().to_string_lossy().into_owned();
    let manifest = scan(&ScanOptions {
        sources: vec![sample_trail().to_string_lossy().into_owned()],
        source_stores: Vec::new(),
        out: out.clone(),
        out_store: None,
        accounts: Vec::new(),
        regions: Vec::new(),
        s3: S3Options::default(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        fetch_concurrency: 32,
        fetch_budget_bytes: trailhound::pipeline::DEFAULT_FETCH_BUDGET_BYTES,
        max_object_bytes: 1 << 30,
        limits: DecodeLimits::default(),
        sink: SinkOptions::default(),
        kind: KindHint::Auto,
        days: None,
        rows: Default::default(),
        progress: false,
        parse_only: false,
        verification: None,
    })
    .expect("the sample trail scans");
    let written: Vec<String> = manifest.files.iter().map(|f| f.partition.clone()).collect();
    let days = trailhound::detect::lake::partition_days(&written);
    let days = DayRange {
        first: *days.iter().min().expect("days written"),
        last: *days.iter().max().expect("days written"),
    };
    // The site config `trailhound scan` uses with the sample trail.
    let config = SiteConfig::from_file(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sample-config.toml"))
        .expect("the sample config");
    let options = DetectOptions {
        lake: out,
        s3: S3Options::default(),
        days,
        config,
        set: DetectionSet::builtin().expect("the built-in pack"),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        write: false,
        run_id: "bench".into(),
        out_store: None,
    };
    let mut group = c.benchmark_group("detections");
    group.throughput(Throughput::Bytes(manifest.totals.decompressed_bytes));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function(BenchmarkId::new("pack-over-sample-lake", manifest.totals.rows_written), |b| {
        b.iter(|| std::hint::black_box(detect_lake(&options).expect("detections run").report.findings.len()))
    });
    group.finish();
}

criterion_group!(benches, bench_parquet_write, bench_detections);
criterion_main!(benches);
