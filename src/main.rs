//! The `trailhound` binary: flags -> options -> library -> exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use trailhound::decode::DecodeLimits;
use trailhound::sink::manifest::RunManifest;
use trailhound::sink::SinkOptions;
use trailhound::pipeline::DayRange;
use trailhound::store::S3Options;
use trailhound::ScanOptions;

mod cli;
use cli::{Cli, Command, Kind, LogFormat, ScanArgs};
use trailhound::decode::{KindHint, RowFilter, Table};

/// Exit codes a scheduler can act on.
const EXIT_OK: u8 = 0;
const EXIT_FAILED: u8 = 1;
const EXIT_REJECTS: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.verbose);
    let result = match cli.command {
        Command::Scan(args) => scan(args, cli.log_format),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // Schedulers reading JSON logs get the failure as one JSON line too.
            match cli.log_format {
                LogFormat::Human => eprintln!("error: {}", error_chain(&error)),
                LogFormat::Json => tracing::error!(exit_code = EXIT_FAILED, error = %error_chain(&error), "run failed"),
            }
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// The error and its causes, each once: library errors already quote their source.
fn error_chain(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

fn init_logging(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // The run summary is always logged, whatever the level.
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRAILHOUND_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},trailhound::summary=info")));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.with_target(false).init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn scan(args: ScanArgs, log_format: LogFormat) -> Result<u8> {
    let sources = if args.sources.is_empty() {
        let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sample-trail");
        anyhow::ensure!(
            sample.is_dir(),
            "no SOURCE given and the sample trail {} is not there; pass a folder or file to read",
            sample.display()
        );
        if log_format == LogFormat::Human {
            eprintln!("no SOURCE given: reading the sample trail in {}", sample.display());
        }
        vec![sample.to_string_lossy().into_owned()]
    } else {
        args.sources
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    anyhow::ensure!(threads > 0, "--threads must be at least 1");
    // One object is decoded in memory and Arrow string columns hold at most 2 GiB.
    anyhow::ensure!(
        args.max_decompressed_bytes <= 1536 << 20,
        "--max-decompressed-bytes must be at most 1610612736 (1.5 GiB), got {}",
        args.max_decompressed_bytes
    );
    let options = ScanOptions {
        sources,
        source_stores: Vec::new(),
        out: args.out,
        out_store: None,
        accounts: args.accounts,
        regions: args.regions,
        s3: S3Options { endpoint_url: args.endpoint_url, kms_key_id: args.kms_key_id, max_retries: args.max_retries },
        threads,
        fetch_concurrency: args.fetch_concurrency,
        fetch_budget_bytes: 256 << 20,
        max_object_bytes: args.max_object_bytes,
        limits: DecodeLimits {
            max_decompressed_bytes: args.max_decompressed_bytes,
            ..DecodeLimits::default()
        },
        sink: SinkOptions { codec: args.compression, ..SinkOptions::default() },
        days: day_range(args.from.as_deref(), args.to.as_deref(), args.date.as_deref())?,
        rows: RowFilter { principals: args.principal, event_sources: args.event_source, event_names: args.event_name },
        progress: log_format == LogFormat::Human && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        kind: match args.kind {
            Kind::Auto => KindHint::Auto,
            Kind::Cloudtrail => KindHint::Force(Table::CloudTrail),
            Kind::S3Access => KindHint::Force(Table::S3Access),
        },
    };
    let manifest = trailhound::scan(&options).context("scan failed")?;
    let code = if manifest.has_rejects() { EXIT_REJECTS } else { EXIT_OK };
    match log_format {
        LogFormat::Human => print_summary(&manifest, &options),
        LogFormat::Json => log_summary(&manifest, &options, code),
    }
    Ok(code)
}

/// The run summary as one JSON log line (`--log-format json`): what a scheduler alerts on.
fn log_summary(m: &RunManifest, options: &ScanOptions, exit_code: u8) {
    let t = &m.totals;
    let failed: Vec<&str> = m
        .objects
        .iter()
        .filter(|o| o.status == trailhound::sink::manifest::ObjectStatus::Failed)
        .map(|o| o.key.as_str())
        .collect();
    tracing::info!(
        target: "trailhound::summary",
        run_id = %m.run_id,
        exit_code,
        elapsed_seconds = m.elapsed_seconds,
        objects_listed = t.objects_listed,
        objects_decoded = t.objects_decoded,
        objects_skipped = t.objects_skipped,
        objects_failed = t.objects_failed,
        records_read = t.records_read,
        rows_written = t.rows_written,
        rows_quarantined = t.rows_quarantined,
        rows_out_of_range = t.rows_out_of_range,
        rows_filtered = t.rows_filtered,
        parquet_files = t.parquet_files,
        failed_objects = ?failed,
        manifest = %format!("{}/_runs/{}.json", options.out.trim_end_matches('/'), m.run_id),
        "scan finished"
    );
}

/// `--from/--to/--date` as an inclusive range of UTC day numbers.
fn day_range(from: Option<&str>, to: Option<&str>, date: Option<&str>) -> Result<Option<DayRange>> {
    let today = chrono::Utc::now().date_naive();
    let parse = |flag: &str, s: &str| -> Result<i64> {
        let day = match s {
            "today" => today,
            "yesterday" => today - chrono::Days::new(1),
            _ => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .with_context(|| format!("{flag} {s:?} is not a date like 2026-11-27, today or yesterday"))?,
        };
        Ok(day.signed_duration_since(chrono::DateTime::UNIX_EPOCH.date_naive()).num_days())
    };
    let (first, last) = match (from, to, date) {
        (_, _, Some(d)) => {
            let day = parse("--date", d)?;
            (day, day)
        }
        (None, None, None) => return Ok(None),
        (Some(f), Some(t), None) => (parse("--from", f)?, parse("--to", t)?),
        (Some(f), None, None) => (parse("--from", f)?, parse("--to", "today")?),
        (None, Some(_), None) => anyhow::bail!("--to needs --from"),
    };
    anyhow::ensure!(first <= last, "--from {} is after --to {}", from.unwrap_or_default(), to.unwrap_or_default());
    Ok(Some(DayRange { first, last }))
}

fn print_summary(m: &RunManifest, options: &ScanOptions) {
    let t = &m.totals;
    let mb = |b: u64| b as f64 / 1e6;
    let secs = m.elapsed_seconds.max(1e-9);
    eprintln!(
        "scan {}: {} objects listed, {} decoded ({:.1} MB read, {:.1} MB decompressed), {} skipped, {} failed",
        m.run_id, t.objects_listed, t.objects_decoded, mb(t.bytes_read), mb(t.decompressed_bytes),
        t.objects_skipped, t.objects_failed
    );
    let per_table: Vec<String> = t.rows_by_table.iter().map(|(k, n)| format!("{k} {n}")).collect();
    eprintln!(
        "  records {} -> rows written {} ({}), quarantined {}; {} Parquet files ({:.1} MB) in {}",
        t.records_read, t.rows_written, per_table.join(", "), t.rows_quarantined, t.parquet_files,
        mb(t.parquet_bytes), options.out
    );
    eprintln!(
        "  {:.2} s, {:.1} MB/s decompressed, {:.0} records/s",
        m.elapsed_seconds, mb(t.decompressed_bytes) / secs, t.records_read as f64 / secs
    );
    if !t.skipped_by_kind.is_empty() {
        let parts: Vec<String> = t.skipped_by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!("  skipped: {}", parts.join(", "));
    }
    if let Some([first, last]) = &m.days {
        eprintln!(
            "  days {first}..{last}: {} objects not read (key date out of range), {} records outside the days not written",
            t.objects_out_of_range, t.rows_out_of_range
        );
    }
    if t.rows_filtered > 0 {
        eprintln!("  {} records left out by --principal/--event-source/--event-name", t.rows_filtered);
    }
    if t.rows_without_event_time > 0 {
        eprintln!(
            "  {} rows have no parseable eventTime: kept under dt=__HIVE_DEFAULT_PARTITION__",
            t.rows_without_event_time
        );
    }
    for o in m.objects.iter().filter(|o| o.status == trailhound::sink::manifest::ObjectStatus::Failed) {
        eprintln!("  failed: {}: {}", o.key, o.reason.as_deref().unwrap_or("unknown"));
    }
    for o in m.objects.iter().filter(|o| o.rows_quarantined > 0) {
        eprintln!("  quarantined {} of {} records from {}", o.rows_quarantined, o.records_read, o.key);
    }
    for folder in &t.folders_not_listed {
        eprintln!("  not listed: {folder}");
    }
    eprintln!("  manifest: {}/_runs/{}.json", options.out.trim_end_matches('/'), m.run_id);
}
