//! The `trailhound` binary: flags -> options -> library -> exit code.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Parser;
use trailhound::decode::DecodeLimits;
use trailhound::sink::manifest::RunManifest;
use trailhound::sink::SinkOptions;
use trailhound::pipeline::DayRange;
use trailhound::store::S3Options;
use trailhound::ScanOptions;

mod cli;
use cli::{Cli, Command, DayArgs, DetectArgs, DetectionsCommand, Kind, LogFormat, PackArgs, ScanArgs, SqlArgs, SqlFormat, VerifyArgs};
use trailhound::detect::runner::{detect_lake, DetectOptions, DetectOutcome};
use trailhound::detect::{DetectionSet, SiteConfig};
use trailhound::decode::{KindHint, RowFilter, Table};

/// One glibc malloc arena per core, not the default eight: memory freed into one arena
/// (a row group's buffers, dropped by whichever thread used them last) is not reused
/// by the others, and the peak RSS of a 2 GB scan on 2 cores was 0.9-1.0 GiB, against
/// 0.5-0.6 GiB with one arena per core at the same speed (one arena in all: 0.5 GiB,
/// about 7 % slower). Called before any thread starts.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores).unwrap_or(i32::MAX));
        }
    }
}

/// Exit codes a scheduler can act on.
const EXIT_OK: u8 = 0;
const EXIT_FAILED: u8 = 1;
const EXIT_REJECTS: u8 = 3;
/// `verify` finished and something does not verify (modified, deleted, not covered, ...).
const EXIT_INTEGRITY: u8 = 4;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    init_logging(cli.log_format, cli.verbose);
    let result = match cli.command {
        Command::Scan(args) => scan(args, cli.log_format),
        Command::Detect(args) => detect(args, cli.log_format),
        Command::Detections { command: DetectionsCommand::List { pack, thresholds } } => list_detections(&pack, thresholds),
        Command::Detections { command: DetectionsCommand::Test { pack, fixtures } } => test_detections(&pack, fixtures),
        Command::Sql(args) => sql(args),
        Command::Verify(args) => verify(args, cli.log_format),
        Command::AthenaDdl { lake, database, since, config, config_views } => athena_ddl(&lake, &database, &since, config, config_views),
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

/// The pack (built in, or `--queries DIR`), narrowed by `--detections`, and the site config.
fn load_pack(pack: &PackArgs) -> Result<(DetectionSet, SiteConfig)> {
    let set = match &pack.queries {
        Some(dir) => DetectionSet::from_dir(dir)?,
        None => DetectionSet::builtin()?,
    };
    let set = set.select(&pack.detections)?;
    let config = match &pack.config {
        Some(path) => SiteConfig::from_file(path)?,
        None => SiteConfig::default(),
    };
    Ok((set, config))
}

fn athena_ddl(lake: &str, database: &str, since: &str, config: Option<PathBuf>, config_views: bool) -> Result<u8> {
    let config = match config {
        Some(path) => Some(SiteConfig::from_file(&path)?),
        None if config_views => Some(SiteConfig::default()),
        None => None,
    };
    print!("{}", trailhound::ddl::athena_ddl_with_config(lake, database, since, config.as_ref())?);
    Ok(EXIT_OK)
}

fn small_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

fn list_detections(pack: &PackArgs, thresholds: bool) -> Result<u8> {
    let (set, config) = load_pack(pack)?;
    if thresholds {
        for (name, _, meaning) in trailhound::detect::config::DEFAULT_THRESHOLDS {
            println!("{name:<34} {:>12}  {meaning}", config.threshold(name));
        }
        return Ok(EXIT_OK);
    }
    println!("{:<50} {:<9} {:<11} {:<9} title", "id", "severity", "technique", "guidance");
    for d in &set.detections {
        println!("{:<50} {:<9} {:<11} {:<9} {}", d.id, d.severity.as_str(), d.technique, d.guidance.join(","), d.title);
    }
    println!("{} detections", set.detections.len());
    Ok(EXIT_OK)
}

fn test_detections(pack: &PackArgs, fixtures: Option<PathBuf>) -> Result<u8> {
    let (set, config) = load_pack(pack)?;
    let dir = fixtures.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/detections"));
    let runtime = small_runtime()?;
    runtime.block_on(trailhound::detect::check_plans(&set, &config))?;
    let outcomes = runtime.block_on(trailhound::detect::fixtures::run_fixtures(&set, &dir, &config))?;
    let mut failed = 0;
    for o in &outcomes {
        if o.failures.is_empty() {
            println!("ok    {:<50} fires {}", o.id, o.fired);
        } else {
            failed += 1;
            println!("FAIL  {:<50} {}", o.id, o.failures.join("; "));
        }
    }
    println!("{} rules, {} passed, {} failed", outcomes.len(), outcomes.len() - failed, failed);
    Ok(if failed == 0 { EXIT_OK } else { EXIT_FAILED })
}

fn print_detect_outcome(outcome: &DetectOutcome, log_format: LogFormat) {
    let report = &outcome.report;
    match log_format {
        LogFormat::Human => {
            eprint!("{}", trailhound::detect::summary_table(report));
            eprintln!(
                "  {} new findings {}, {:.2} s{}",
                outcome.new_findings,
                if outcome.written { "written" } else { "(not written: --no-write)" },
                report.elapsed_seconds,
                if report.waiting_for_history.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the lake holds {} days of history, history rules need {} ({} wait: {})",
                        outcome.window.history_days_available,
                        outcome.min_history_days,
                        report.waiting_for_history.len(),
                        report.waiting_for_history.join(", ")
                    )
                }
            );
        }
        LogFormat::Json => {
            let mut by_severity = std::collections::BTreeMap::<&str, usize>::new();
            for f in &report.findings {
                *by_severity.entry(f.severity.as_str()).or_default() += 1;
            }
            tracing::info!(
                target: "trailhound::summary",
                detections_run = report.num_detections,
                findings = report.findings.len(),
                new_findings = outcome.new_findings,
                by_severity = ?by_severity,
                waiting_for_history = ?report.waiting_for_history,
                waiting_for_config = ?report.waiting_for_config,
                elapsed_seconds = report.elapsed_seconds,
                "detections finished"
            );
        }
    }
}

fn detect(args: DetectArgs, log_format: LogFormat) -> Result<u8> {
    let (set, config) = load_pack(&args.pack)?;
    let days = day_range(&args.days)?
        .context("detect needs the days to cover: --date DAY or --from DAY [--to DAY]")?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = DetectOptions {
        lake: args.lake,
        s3: S3Options { endpoint_url: args.endpoint_url, kms_key_id: args.kms_key_id, max_retries: 10, ..S3Options::default() },
        days,
        config,
        set,
        threads,
        write: !args.no_write,
        run_id: trailhound::pipeline::new_run_id(chrono::Utc::now()),
        out_store: None,
    };
    let outcome = detect_lake(&options).context("detect failed")?;
    print_detect_outcome(&outcome, log_format);
    Ok(EXIT_OK)
}

/// `batch` with its list, struct and map columns as JSON text, which CSV can hold
/// (`event_ids` becomes `["a","b"]`); the other columns as they are.
fn nested_as_json(batch: &arrow::record_batch::RecordBatch) -> Result<arrow::record_batch::RecordBatch> {
    use arrow::array::{Array, StringBuilder};
    use arrow::datatypes::{DataType, Field, Schema};
    let schema = batch.schema();
    if !schema.fields().iter().any(|f| f.data_type().is_nested()) {
        return Ok(batch.clone());
    }
    let options = arrow::json::writer::EncoderOptions::default();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if !field.data_type().is_nested() {
            fields.push(field.clone());
            columns.push(column.clone());
            continue;
        }
        let mut encoder = arrow::json::writer::make_encoder(field, column.as_ref(), &options)?;
        let mut text = StringBuilder::with_capacity(column.len(), column.len() * 16);
        let mut buf = Vec::new();
        for i in 0..column.len() {
            if column.is_null(i) {
                text.append_null();
                continue;
            }
            buf.clear();
            encoder.encode(i, &mut buf);
            text.append_value(String::from_utf8_lossy(&buf));
        }
        fields.push(Arc::new(Field::new(field.name(), DataType::Utf8, true)));
        columns.push(Arc::new(text.finish()) as arrow::array::ArrayRef);
    }
    Ok(arrow::record_batch::RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

fn sql(args: SqlArgs) -> Result<u8> {
    use std::io::Write as _;
    let format = args.format.unwrap_or(if std::io::IsTerminal::is_terminal(&std::io::stdout()) && args.output.is_none() {
        SqlFormat::Table
    } else {
        SqlFormat::Csv
    });
    anyhow::ensure!(format != SqlFormat::Parquet || args.output.is_some(), "--format parquet needs --output FILE");
    let s3 = S3Options { endpoint_url: args.endpoint_url, kms_key_id: None, max_retries: 10, ..S3Options::default() };
    let mut location = trailhound::detect::lake::LakeLocation::open(&args.lake, &s3)
        .with_context(|| format!("opening the lake {}", args.lake))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let batches = runtime.block_on(async {
        // Only live files: a run that died half way shows nothing it did not commit.
        location.load_ledger().await.with_context(|| format!("reading the manifests of {}", args.lake))?;
        let ctx = trailhound::detect::new_context(std::thread::available_parallelism().map_or(1, |n| n.get()));
        trailhound::detect::lake::register_lake(&ctx, &location, "")?;
        let df = ctx.sql(&args.query).await.context("the query does not plan")?;
        df.collect().await.context("the query failed")
    })?;
    if format == SqlFormat::Parquet {
        let path = args.output.as_deref().context("--format parquet needs --output FILE")?;
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let schema = batches.first().map(|b| b.schema()).unwrap_or_else(|| std::sync::Arc::new(arrow::datatypes::Schema::empty()));
        let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None)?;
        for b in &batches {
            w.write(b)?;
        }
        w.close()?;
        return Ok(EXIT_OK);
    }
    let mut out: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        SqlFormat::Table => {
            writeln!(out, "{}", arrow::util::pretty::pretty_format_batches(&batches)?)?;
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            writeln!(out, "{rows} rows")?;
        }
        SqlFormat::Csv => {
            let mut w = arrow::csv::Writer::new(out);
            for b in &batches {
                w.write(&nested_as_json(b)?)?;
            }
        }
        SqlFormat::Json => {
            let mut w = arrow::json::LineDelimitedWriter::new(out);
            for b in &batches {
                w.write(b)?;
            }
            w.finish()?;
        }
        SqlFormat::Parquet => {} // written above, to a file
    }
    Ok(EXIT_OK)
}

fn scan(mut args: ScanArgs, log_format: LogFormat) -> Result<u8> {
    // The sample trail comes with its fictional organisation's site config.
    let sample_config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/sample-config.toml");
    if args.sources.is_empty() && args.pack.config.is_none() && sample_config.is_file() {
        args.pack.config = Some(sample_config);
    }
    // A broken detection stops the run before anything is read.
    let pack = if args.no_detect || args.parse_only {
        None
    } else {
        let (set, config) = load_pack(&args.pack)?;
        small_runtime()?.block_on(trailhound::detect::check_plans(&set, &config))?;
        Some((set, config))
    };
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
    let forensic = !(args.accounts.is_empty()
        && args.regions.is_empty()
        && args.principal.is_empty()
        && args.event_source.is_empty()
        && args.event_name.is_empty());
    let top = args.top.unwrap_or(if forensic { 5 } else { 0 });
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
    let s3 = S3Options {
        endpoint_url: args.endpoint_url.clone(),
        kms_key_id: args.kms_key_id.clone(),
        max_retries: args.max_retries,
        request_timeout: Some(std::time::Duration::from_secs(args.s3_timeout.max(1))),
    };
    let days = day_range(&args.days)?;
    let verification = if args.verify {
        let days = days.context("--verify needs the days to verify: --date DAY or --from DAY [--to DAY]")?;
        Some(verify_for_scan(&sources, days, &args.accounts, &args.regions, &s3, &args.public_keys, args.fetch_concurrency, log_format)?)
    } else {
        None
    };
    let options = ScanOptions {
        sources,
        source_stores: Vec::new(),
        out: args.out,
        // Nothing of a parse-only run is kept: its lake is in memory.
        out_store: args
            .parse_only
            .then(|| std::sync::Arc::new(object_store::memory::InMemory::new()) as std::sync::Arc<dyn object_store::ObjectStore>),
        accounts: args.accounts,
        regions: args.regions,
        s3,
        threads,
        fetch_concurrency: args.fetch_concurrency,
        fetch_budget_bytes: trailhound::pipeline::DEFAULT_FETCH_BUDGET_BYTES,
        max_object_bytes: args.max_object_bytes,
        limits: DecodeLimits {
            max_decompressed_bytes: args.max_decompressed_bytes,
            max_record_bytes: args.max_record_bytes,
            ..DecodeLimits::default()
        },
        sink: SinkOptions { codec: args.compression, encode_threads: threads, ..SinkOptions::default() },
        days,
        verification,
        rows: RowFilter { principals: args.principal, event_sources: args.event_source, event_names: args.event_name },
        progress: log_format == LogFormat::Human && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        parse_only: args.parse_only,
        kind: match args.kind {
            Kind::Auto => KindHint::Auto,
            Kind::Cloudtrail => KindHint::Force(Table::CloudTrail),
            Kind::S3Access => KindHint::Force(Table::S3Access),
        },
    };
    let manifest = trailhound::scan(&options).context("scan failed")?;
    let code = if manifest.verification.as_ref().is_some_and(|v| !v.is_clean()) {
        EXIT_INTEGRITY
    } else if manifest.has_rejects() {
        EXIT_REJECTS
    } else {
        EXIT_OK
    };
    if options.parse_only {
        print_parse_only(&manifest, log_format);
        return Ok(code);
    }
    match log_format {
        LogFormat::Human => print_summary(&manifest, &options),
        LogFormat::Json => log_summary(&manifest, &options, code),
    }
    if top > 0 && !manifest.files.is_empty() {
        let lists = trailhound::forensics::top_of_run(&options.out, &options.s3, &manifest.files, top)
            .context("summarising the rows pulled")?;
        print_top(&lists, log_format);
    }
    if let Some((set, config)) = pack {
        // The run's days, or the days it wrote rows for when no range was given.
        let days = options.days.or_else(|| {
            let written: Vec<String> = manifest.files.iter().map(|f| f.partition.clone()).collect();
            let days = trailhound::detect::lake::partition_days(&written);
            Some(DayRange { first: *days.iter().min()?, last: *days.iter().max()? })
        });
        match days {
            Some(days) => {
                let detect = DetectOptions {
                    lake: options.out.clone(),
                    s3: options.s3.clone(),
                    days,
                    config,
                    set,
                    threads,
                    write: true,
                    run_id: manifest.run_id.clone(),
                    out_store: None,
                };
                let outcome = detect_lake(&detect).context("detections failed")?;
                print_detect_outcome(&outcome, log_format);
            }
            None if log_format == LogFormat::Human => eprintln!("detections: no rows written and no days given, nothing to detect"),
            None => {}
        }
    }
    Ok(code)
}

/// `scan --verify`: verifies each source for the days (and the day after, whose folder
/// holds late deliveries the scan reads too) before anything is read.
#[allow(clippy::too_many_arguments)]
fn verify_for_scan(
    sources: &[String],
    days: DayRange,
    accounts: &[String],
    regions: &[String],
    s3: &S3Options,
    key_files: &[PathBuf],
    concurrency: usize,
    log_format: LogFormat,
) -> Result<(std::sync::Arc<std::collections::HashMap<String, String>>, trailhound::sink::manifest::Verification)> {
    use trailhound::sink::manifest::{Verification, VerificationProblem};
    let public_keys = if key_files.is_empty() {
        None
    } else {
        let mut keys = trailhound::verify::PublicKeys::default();
        for path in key_files {
            keys.extend(trailhound::verify::PublicKeys::from_file(path)?);
        }
        Some(keys)
    };
    let mut statuses = std::collections::HashMap::new();
    let mut summary = Verification::default();
    for source in sources {
        let mut options = trailhound::verify::VerifyOptions::for_days(source, DayRange { first: days.first, last: days.last + 1 });
        options.s3 = s3.clone();
        options.accounts = accounts.to_vec();
        options.regions = regions.to_vec();
        options.public_keys = public_keys.clone();
        options.concurrency = concurrency.clamp(1, 256);
        let report = trailhound::verify::verify(&options).with_context(|| format!("verifying {source}"))?;
        if log_format == LogFormat::Human {
            eprintln!("{}", report.summary_line());
        }
        for (status, n) in report.counts() {
            *summary.counts.entry(status.as_str().to_string()).or_default() += n as u64;
        }
        for row in report.problems() {
            summary.problems.push(VerificationProblem {
                kind: row.kind.as_str().to_string(),
                key: row.key.clone(),
                status: row.status.as_str().to_string(),
                detail: row.detail.clone(),
            });
        }
        statuses.extend(report.log_status().into_iter().map(|(k, s)| (k, s.as_str().to_string())));
    }
    Ok((std::sync::Arc::new(statuses), summary))
}

/// The top values of what a forensic pull wrote: a block on a terminal, one JSON line otherwise.
fn print_top(lists: &[trailhound::forensics::Top], log_format: LogFormat) {
    match log_format {
        LogFormat::Human => {
            for list in lists.iter().filter(|l| !l.values.is_empty()) {
                let values: Vec<String> = list.values.iter().map(|(v, n)| format!("{v} ({n})")).collect();
                eprintln!("  top {} ({}): {}", list.what.replace('_', " "), list.table, values.join(", "));
            }
        }
        LogFormat::Json => {
            let top = serde_json::to_string(lists).unwrap_or_default();
            tracing::info!(target: "trailhound::summary", top = %top, "forensic summary");
        }
    }
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
        files_superseded = t.files_superseded,
        rows_carried_over = t.rows_carried_over,
        late_day = m.late_day.as_deref().unwrap_or(""),
        integrity_problems = m.verification.as_ref().map_or(0, |v| v.problems.len()),
        recovered_runs = ?m.recovered.finished,
        undone_runs = ?m.recovered.undone,
        failed_objects = ?failed,
        manifest = %format!("{}/_runs/{}.json", options.out.trim_end_matches('/'), m.run_id),
        "scan finished"
    );
}

/// `--from/--to/--date` as an inclusive range of UTC day numbers.
fn day_range(days: &DayArgs) -> Result<Option<DayRange>> {
    let (from, to, date) = (days.from.as_deref(), days.to.as_deref(), days.date.as_deref());
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

/// `scan --parse-only`: what was inflated and parsed, and how fast.
fn print_parse_only(m: &RunManifest, log_format: LogFormat) {
    let t = &m.totals;
    let secs = m.elapsed_seconds.max(1e-9);
    let mb_per_s = t.decompressed_bytes as f64 / 1e6 / secs;
    let records_per_s = t.records_read as f64 / secs;
    match log_format {
        LogFormat::Human => eprintln!(
            "parse-only: {} objects ({} failed), {} records, {:.1} MB decompressed in {:.2} s: {mb_per_s:.1} MB/s, \
             {records_per_s:.0} records/s (inflate + parse; nothing built or written)",
            t.objects_decoded, t.objects_failed, t.records_read, t.decompressed_bytes as f64 / 1e6, m.elapsed_seconds
        ),
        LogFormat::Json => tracing::info!(
            target: "trailhound::summary",
            run_id = %m.run_id,
            objects = t.objects_decoded,
            objects_failed = t.objects_failed,
            records = t.records_read,
            decompressed_bytes = t.decompressed_bytes,
            elapsed_seconds = m.elapsed_seconds,
            mb_per_s,
            records_per_s,
            "parse-only finished"
        ),
    }
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
    if let Some(day) = &m.late_day {
        eprintln!("  late deliveries: events of {day} from objects no earlier run wrote are in dt={day}");
    }
    if t.files_superseded > 0 {
        eprintln!(
            "  replaces {} earlier files of the objects read again ({} rows of other objects carried over)",
            t.files_superseded, t.rows_carried_over
        );
    }
    for run in &m.recovered.finished {
        eprintln!("  finished publishing run {run}, which stopped after its commit");
    }
    for run in &m.recovered.undone {
        eprintln!("  deleted what run {run} staged: it stopped before its commit");
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
        if let (trailhound::sink::manifest::ObjectStatus::Decoded, Some(damage)) = (o.status, &o.reason) {
            eprintln!("    damaged: {damage}");
        }
    }
    for folder in &t.folders_not_listed {
        eprintln!("  not listed: {folder}");
    }
    if let Some(v) = &m.verification {
        let counts: Vec<String> = v.counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        eprintln!("  integrity (--verify): {}", counts.join(", "));
        for p in &v.problems {
            eprintln!("  integrity: {} {}: {}: {}", p.status, p.kind, p.key, p.detail);
        }
    }
    eprintln!("  manifest: {}/_runs/{}.json", options.out.trim_end_matches('/'), m.run_id);
}

/// Output formats of `verify --output`, by extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReportFormat {
    Parquet,
    Json,
    JsonLines,
}

fn verify(args: VerifyArgs, log_format: LogFormat) -> Result<u8> {
    use std::io::Write as _;
    let format = match &args.output {
        None => None,
        Some(path) => match path.extension().and_then(|e| e.to_str()) {
            Some("parquet") => Some(ReportFormat::Parquet),
            Some("json") => Some(ReportFormat::Json),
            Some("jsonl") => Some(ReportFormat::JsonLines),
            _ => clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("--output {}: the name must end in .parquet, .json or .jsonl\n", path.display()),
            )
            .exit(),
        },
    };
    let days = day_range(&args.days)?;
    let time = |flag: &str, s: &str| -> Result<chrono::DateTime<chrono::Utc>> {
        Ok(chrono::DateTime::parse_from_rfc3339(s)
            .with_context(|| format!("{flag} {s:?} is not a UTC time like 2026-11-25T10:00:00Z"))?
            .to_utc())
    };
    let day_start = |day: i64| chrono::DateTime::from_timestamp(day * 86_400, 0).unwrap_or_default();
    let start = match (&args.start_time, days) {
        (Some(t), _) => time("--start-time", t)?,
        (None, Some(d)) => day_start(d.first),
        (None, None) => anyhow::bail!(
            "verify needs a range: --date DAY, --from DAY [--to DAY], or --start-time TIME [--end-time TIME]"
        ),
    };
    let end = match (&args.end_time, days) {
        (Some(t), _) => time("--end-time", t)?,
        (None, Some(d)) => day_start(d.last + 1),
        (None, None) => chrono::Utc::now(),
    };
    anyhow::ensure!(start < end, "the range is empty: {start} is not before {end}");
    let public_keys = if args.public_keys.is_empty() {
        None
    } else {
        let mut keys = trailhound::verify::PublicKeys::default();
        for path in &args.public_keys {
            keys.extend(trailhound::verify::PublicKeys::from_file(path)?);
        }
        Some(keys)
    };
    let mut options = trailhound::verify::VerifyOptions::new(&args.source, start, end);
    options.s3 = S3Options { endpoint_url: args.endpoint_url, kms_key_id: None, max_retries: args.max_retries, ..S3Options::default() };
    options.accounts = args.accounts;
    options.regions = args.regions;
    options.public_keys = public_keys;
    options.concurrency = args.fetch_concurrency;
    let report = trailhound::verify::verify(&options).context("verify failed")?;

    if let (Some(path), Some(format)) = (&args.output, format) {
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = std::io::BufWriter::new(file);
        match format {
            ReportFormat::Parquet => {
                let batch = report.to_record_batch()?;
                let mut w = parquet::arrow::ArrowWriter::try_new(out, batch.schema(), None)?;
                w.write(&batch)?;
                w.close()?;
            }
            ReportFormat::Json | ReportFormat::JsonLines => {
                if format == ReportFormat::Json {
                    report.write_json(&mut out)?;
                } else {
                    report.write_json_lines(&mut out)?;
                }
                out.flush().with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    // Keys are whole unless a person is reading a terminal.
    let max_key = std::io::IsTerminal::is_terminal(&std::io::stdout()).then_some(110);
    let table = report.format_table(args.all, max_key);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(table.as_bytes())?;
    stdout.flush()?;
    let code = if report.is_clean() { EXIT_OK } else { EXIT_INTEGRITY };
    match log_format {
        LogFormat::Human => eprintln!("{}", report.summary_line()),
        LogFormat::Json => {
            let counts: std::collections::BTreeMap<&str, usize> =
                report.counts().into_iter().map(|(s, n)| (s.as_str(), n)).collect();
            tracing::info!(
                target: "trailhound::summary",
                exit_code = code,
                source = %report.source,
                clean = report.is_clean(),
                counts = ?counts,
                list_calls = report.list_calls,
                elapsed_seconds = report.elapsed_seconds,
                "verify finished"
            );
        }
    }
    Ok(code)
}
