//! Scan throughput when every GET waits: thousands of small CloudTrail files served
//! from memory through object_store's throttling wrapper, at 0 ms and 50 ms per GET,
//! with LIST calls instant or also at 50 ms (the listing plan's discovery levels are
//! sequential, so their latency is a fixed cost before the first GET). The fetcher
//! keeps enough GETs in flight that S3's latency hides behind decoding; the target is
//! at least 90 % of the 0 ms throughput.
//! Run: cargo bench --bench fetch

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::throttle::{ThrottleConfig, ThrottledStore};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use trailhound::decode::compression::decompress_into;
use trailhound::decode::DecodeLimits;
use trailhound::pipeline::{scan, ScanOptions};
use trailhound::sink::SinkOptions;
use trailhound::store::{Location, S3Options};

const COPIES: usize = 60;

/// The sample trail's CloudTrail files, `COPIES` times under distinct keys; returns
/// the store and the bytes of JSON it holds.
fn trail() -> (Arc<InMemory>, u64, usize) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sample-trail/AWSLogs");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("sample trail").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("/CloudTrail/") {
                files.push(std::fs::read(&path).expect("read"));
            }
        }
    }
    let store = Arc::new(InMemory::new());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut json = 0;
    let mut buf = Vec::new();
    for copy in 0..COPIES {
        for (i, body) in files.iter().enumerate() {
            decompress_into(body, &mut buf, u64::MAX).expect("gzip");
            json += buf.len() as u64;
            let key = format!("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/{copy:02}_{i:04}.json.gz");
            runtime
                .block_on(store.put(&Path::from(key), PutPayload::from(body.clone())))
                .expect("put");
        }
    }
    (store, json, files.len() * COPIES)
}

fn options(source: Arc<dyn ObjectStore>, concurrency: usize) -> ScanOptions {
    ScanOptions {
        sources: Vec::new(),
        source_stores: vec![Location { store: source, prefix: Path::default(), display: "mem://trail".into(), local: None, unreadable: None }],
        out: "mem://lake".into(),
        out_store: Some(Arc::new(InMemory::new())),
        accounts: Vec::new(),
        regions: Vec::new(),
        s3: S3Options::default(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        fetch_concurrency: concurrency,
        fetch_budget_bytes: trailhound::pipeline::DEFAULT_FETCH_BUDGET_BYTES,
        max_object_bytes: 1 << 30,
        limits: DecodeLimits::default(),
        sink: SinkOptions::default(),
        kind: Default::default(),
        days: None,
        rows: Default::default(),
        progress: false,
        parse_only: false,
        verification: None,
    }
}

fn bench(c: &mut Criterion) {
    let (store, json_bytes, files) = trail();
    let mut group = c.benchmark_group("scan-from-store");
    group.throughput(Throughput::Bytes(json_bytes));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    let default = trailhound::pipeline::DEFAULT_FETCH_CONCURRENCY;
    // (ms per GET, ms per LIST, GETs in flight)
    for (get_ms, list_ms, concurrency) in [(0u64, 0u64, default), (50, 0, default / 4), (50, 0, default / 2), (50, 0, default), (50, 50, default)] {
        let config = ThrottleConfig {
            wait_get_per_call: Duration::from_millis(get_ms),
            wait_list_per_call: Duration::from_millis(list_ms),
            wait_list_with_delimiter_per_call: Duration::from_millis(list_ms),
            ..ThrottleConfig::default()
        };
        let throttled: Arc<dyn ObjectStore> = Arc::new(ThrottledStore::new(store.clone(), config));
        let name = format!("get-{get_ms}ms-list-{list_ms}ms-concurrency-{concurrency}");
        group.bench_function(BenchmarkId::new(name, files), |b| {
            b.iter(|| {
                let manifest = scan(&options(throttled.clone(), concurrency)).expect("scan");
                assert_eq!(manifest.totals.objects_failed, 0);
                manifest
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
