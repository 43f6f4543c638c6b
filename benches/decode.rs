//! Decode throughput per core, in bytes of uncompressed JSON.
//!
//! Inputs: the CloudTrail files of testdata/sample-trail (generated) and
//! testdata/real-trail (real), and, when the shared corpus is beside the checkout, all
//! 55 real delivered files of the invictus-ir dataset.
//! Stages: `gunzip` (inflate only), `parse` (inflate + simd-json tape, the floor),
//! `decode` (inflate + parse + Arrow batches: what a decode worker does).
//! Access logs: `s3-access-lines/parse_line` (lines/s) and `s3-access/decode` (bytes/s).
//! Run: cargo bench --bench decode

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use trailhound::decode::s3_access::parse_line;
use trailhound::decode::{AccessLogDecoder, DecodeLimits};
use trailhound::decode::compression::decompress_into;
use trailhound::decode::CloudTrailDecoder;

fn files_under(dir: &Path, filter: &dyn Fn(&str) -> bool) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if filter(&path.to_string_lossy()) {
                let bytes = std::fs::read(&path).expect("readable bench input");
                out.push((path.to_string_lossy().into_owned(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// Named sets of (path, bytes).
type InputSets = Vec<(&'static str, Vec<(String, Vec<u8>)>)>;

fn inputs() -> InputSets {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut sets = vec![
        ("sample-trail", files_under(&root.join("testdata/sample-trail"), &|p| p.contains("/CloudTrail/"))),
        ("real-trail", files_under(&root.join("testdata/real-trail"), &|p| p.ends_with(".json.gz"))),
    ];
    let real = root.join("../shared/corpus/cloudtrail/invictus-ir-aws_dataset");
    if real.is_dir() {
        sets.push(("invictus-real", files_under(&real, &|p| p.ends_with(".json.gz"))));
    }
    sets.retain(|(_, files)| !files.is_empty());
    sets
}

fn json_bytes(files: &[(String, Vec<u8>)]) -> u64 {
    let mut buf = Vec::new();
    files
        .iter()
        .map(|(_, raw)| {
            decompress_into(raw, &mut buf, u64::MAX).expect("bench input inflates");
            buf.len() as u64
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    for (name, files) in inputs() {
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(json_bytes(&files)));
        group.sample_size(20);

        let mut buf = Vec::new();
        group.bench_function(BenchmarkId::new("gunzip", files.len()), |b| {
            b.iter(|| {
                for (_, raw) in &files {
                    decompress_into(raw, &mut buf, u64::MAX).expect("inflate");
                }
            })
        });

        let mut buffers = simd_json::Buffers::default();
        let mut tape = simd_json::Tape::null().reset();
        group.bench_function(BenchmarkId::new("parse", files.len()), |b| {
            b.iter(|| {
                for (_, raw) in &files {
                    decompress_into(raw, &mut buf, u64::MAX).expect("inflate");
                    let len = buf.len();
                    buf.resize(len + simd_json::INPUT_PADDING, 0);
                    let mut t = std::mem::replace(&mut tape, simd_json::Tape::null().reset()).reset();
                    simd_json::fill_tape_padded(&mut buf, len, &mut buffers, &mut t).expect("parse");
                    std::hint::black_box(t.0.len());
                    tape = t.reset();
                }
            })
        });

        let mut decoder = CloudTrailDecoder::new(DecodeLimits::default());
        group.bench_function(BenchmarkId::new("decode", files.len()), |b| {
            b.iter(|| {
                for (key, raw) in &files {
                    decoder.decode(key, raw).expect("decode");
                }
                std::hint::black_box(decoder.finish().expect("batches"));
            })
        });
        group.finish();
    }
}

/// S3 server access logs: the sample trail's objects (plain and gzip), per core.
fn bench_access_logs(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = files_under(&root.join("testdata/sample-trail/s3-access-logs"), &|_| true);
    if files.is_empty() {
        return;
    }
    let mut buf = Vec::new();
    let texts: Vec<String> = files
        .iter()
        .map(|(_, raw)| {
            decompress_into(raw, &mut buf, u64::MAX).expect("inflate");
            String::from_utf8(buf.clone()).expect("utf8")
        })
        .collect();
    let lines: Vec<&str> = texts.iter().flat_map(|t| t.lines()).filter(|l| !l.is_empty()).collect();
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();

    let mut group = c.benchmark_group("s3-access-lines");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function(BenchmarkId::new("parse_line", lines.len()), |b| {
        b.iter(|| {
            for line in &lines {
                std::hint::black_box(parse_line(line).expect("parses"));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("s3-access");
    group.throughput(Throughput::Bytes(bytes));
    let mut decoder = AccessLogDecoder::new(DecodeLimits::default());
    group.bench_function(BenchmarkId::new("decode", files.len()), |b| {
        b.iter(|| {
            for (key, raw) in &files {
                decoder.decode(key, raw).expect("decode");
            }
            std::hint::black_box(decoder.finish().expect("batches"));
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_access_logs);
criterion_main!(benches);
