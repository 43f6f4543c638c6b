//! Command-line flags (raw); `main` turns them into validated options.

use clap::{Parser, Subcommand, ValueEnum};

use trailhound::sink::Codec;

#[derive(Debug, Parser)]
#[command(name = "trailhound", version, about = "CloudTrail to an Athena-ready Parquet lake, then AI/ML security detections")]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,
    /// More detail on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// Source formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Auto,
    Cloudtrail,
    S3Access,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read CloudTrail log files and S3 server access logs, write them as a Parquet lake,
    /// then run the detection pack over the days read.
    Scan(ScanArgs),
    /// Run the detection pack over a lake that scan wrote.
    Detect(DetectArgs),
    /// The detection pack: list the rules, or run each on its fixtures.
    Detections {
        #[command(subcommand)]
        command: DetectionsCommand,
    },
    /// Ad-hoc SQL (Athena dialect functions) over the lake's tables: cloudtrail, s3_access, findings.
    Sql(SqlArgs),
    /// Check CloudTrail log file integrity: digest signatures and their chain, the SHA-256
    /// of every log file, log files no digest lists. Exit code 4 when anything does not verify.
    Verify(VerifyArgs),
    /// Print Athena CREATE EXTERNAL TABLE statements (partition projection) for the lake.
    AthenaDdl {
        /// The lake on S3 (s3://bucket/prefix).
        #[arg(long)]
        lake: String,
        /// Glue database to create the tables in.
        #[arg(long, default_value = "trailhound")]
        database: String,
        /// First day of the dt partition projection range (YYYY-MM-DD); it ends at NOW.
        #[arg(long, default_value = "2020-01-01", value_name = "DAY")]
        since: String,
        /// Also print the site config (this file, or the defaults with --config-views)
        /// as the th_* views the detections read, and the history views.
        #[arg(long, value_name = "FILE")]
        config: Option<std::path::PathBuf>,
        /// Print the th_* views with the default config.
        #[arg(long)]
        config_views: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DetectionsCommand {
    /// Print id, severity, title, ATT&CK technique and guidance item of every rule.
    List {
        #[command(flatten)]
        pack: PackArgs,
        /// Print the thresholds (name, value, meaning) the config can set instead.
        #[arg(long)]
        thresholds: bool,
    },
    /// Run every rule on its fixtures (testdata/detections/<id>/).
    Test {
        #[command(flatten)]
        pack: PackArgs,
        /// Fixture folders, one per rule id.
        #[arg(long, value_name = "DIR")]
        fixtures: Option<std::path::PathBuf>,
    },
}

/// The UTC days of events a command covers.
#[derive(Debug, Clone, clap::Args)]
pub struct DayArgs {
    /// First UTC day of events (YYYY-MM-DD); scan does not read objects whose key date cannot hold it.
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// Last UTC day of events (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    /// One UTC day: YYYY-MM-DD, `today` or `yesterday` (the nightly run).
    #[arg(long, value_name = "DAY", conflicts_with_all = ["from", "to"])]
    pub date: Option<String>,
}

/// Which rules, and the site config they read.
#[derive(Debug, Clone, clap::Args)]
pub struct PackArgs {
    /// Site config (TOML): approved regions, ML buckets, restricted models, approved
    /// principals, business hours, history, thresholds. Defaults when not given.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Only rules whose id matches one of these globs (`bedrock_*`, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "GLOB,...")]
    pub detections: Vec<String>,
    /// Read the pack from this folder (`<table>/<id>.sql`) instead of the built-in one.
    #[arg(long, value_name = "DIR")]
    pub queries: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// The lake (folder or s3://bucket/prefix).
    #[arg(long)]
    pub lake: String,
    #[command(flatten)]
    pub days: DayArgs,
    #[command(flatten)]
    pub pack: PackArgs,
    /// Report findings without writing them to the lake.
    #[arg(long)]
    pub no_write: bool,
    /// Query threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// An S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Customer-managed KMS key for findings written to S3 (SSE-KMS).
    #[arg(long, value_name = "KEY_ID_OR_ARN")]
    pub kms_key_id: Option<String>,
}

/// Output formats of `sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqlFormat {
    Table,
    Csv,
    Json,
    Parquet,
}

#[derive(Debug, clap::Args)]
pub struct SqlArgs {
    /// The lake (folder or s3://bucket/prefix).
    #[arg(long)]
    pub lake: String,
    /// One SELECT; tables cloudtrail, s3_access, findings (with the dt partition column).
    pub query: String,
    /// Output format (default: a table on a terminal, else CSV).
    #[arg(long, value_enum)]
    pub format: Option<SqlFormat>,
    /// Write here instead of stdout (required for parquet).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// An S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Files, folders or s3://bucket/prefix to read. Without any, the sample trail in testdata/.
    pub sources: Vec<String>,
    /// Lake root (folder or s3://bucket/prefix): tables go to <out>/<table>/dt=YYYY-MM-DD/,
    /// the run manifest to <out>/_runs/.
    #[arg(long, short, default_value = "trailhound-lake")]
    pub out: String,
    /// Accounts to read (comma-separated); others are not listed.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub accounts: Vec<String>,
    /// Regions to read (comma-separated); others are not listed.
    #[arg(long, value_delimiter = ',', value_name = "REGION,...")]
    pub regions: Vec<String>,
    /// Only events of these principals (ARNs, user, role or session names; comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "ARN_OR_NAME,...")]
    pub principal: Vec<String>,
    /// Only events from these services (`sagemaker` or `sagemaker.amazonaws.com`; comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "SOURCE,...")]
    pub event_source: Vec<String>,
    /// Only these event names (`CreateTrainingJob`; access-log operations such as `REST.GET.OBJECT`).
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub event_name: Vec<String>,
    /// An S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Customer-managed KMS key for everything written to S3 (SSE-KMS).
    #[arg(long, value_name = "KEY_ID_OR_ARN")]
    pub kms_key_id: Option<String>,
    /// Retries per S3 request on throttling, 5xx and timeouts (with backoff).
    #[arg(long, default_value_t = 10)]
    pub max_retries: usize,
    /// Seconds one S3 request may take before it is abandoned and retried.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub s3_timeout: u64,
    #[command(flatten)]
    pub days: DayArgs,
    /// Decode threads, and the threads a row group is sorted and encoded on (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Objects fetched concurrently (S3 GETs in flight).
    #[arg(long, default_value_t = trailhound::pipeline::DEFAULT_FETCH_CONCURRENCY)]
    pub fetch_concurrency: usize,
    /// What the objects are: by key layout and content (auto), or forced.
    #[arg(long, value_enum, default_value_t = Kind::Auto)]
    pub kind: Kind,
    /// Parquet compression.
    #[arg(long, value_enum, default_value_t = Codec::Zstd)]
    pub compression: Codec,
    /// Reject objects larger than this many bytes without reading them.
    #[arg(long, default_value_t = 1 << 30)]
    pub max_object_bytes: u64,
    /// Reject objects that decompress to more than this many bytes (checked while inflating).
    #[arg(long, default_value_t = 1 << 30)]
    pub max_decompressed_bytes: u64,
    /// Quarantine records (a CloudTrail `Records` element, an access-log line) larger
    /// than this many bytes.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_record_bytes: u64,
    #[command(flatten)]
    pub pack: PackArgs,
    /// Only ingest; do not run the detection pack.
    #[arg(long)]
    pub no_detect: bool,
    /// Only list, fetch, inflate and parse every object (JSON to the parser's tape,
    /// access-log lines to fields), building and writing nothing, and print the
    /// throughput: the floor under a real scan (benchmarks). --out is not touched.
    #[arg(long, conflicts_with_all = ["verify", "top"])]
    pub parse_only: bool,
    /// Print the top N principals, source IPs, event names and error codes of the rows
    /// written [default: 5 for a forensic pull (--accounts, --regions, --principal,
    /// --event-source, --event-name), else 0 (off)].
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// First verify the trail's digest chain, signatures and log file hashes for the days
    /// (as `trailhound verify`; needs --date or --from/--to): each object's status goes
    /// into the manifest, and the run exits 4 when anything is not valid.
    #[arg(long)]
    pub verify: bool,
    /// Public keys for --verify, as `aws cloudtrail list-public-keys` prints them
    /// (repeat, or comma-separate); fetched from CloudTrail with your credentials when not given.
    #[arg(long, value_delimiter = ',', value_name = "FILE,...", requires = "verify")]
    pub public_keys: Vec<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The trail: a folder or s3://bucket/prefix, at or above AWSLogs/.
    pub source: String,
    #[command(flatten)]
    pub days: DayArgs,
    /// Start of the range as a UTC time (2026-11-25T10:00:00Z) instead of a whole first day.
    #[arg(long, value_name = "TIME")]
    pub start_time: Option<String>,
    /// End of the range (exclusive) as a UTC time instead of the end of the last day.
    #[arg(long, value_name = "TIME")]
    pub end_time: Option<String>,
    /// Accounts to verify (comma-separated); default all.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub accounts: Vec<String>,
    /// Regions to verify (comma-separated); default all.
    #[arg(long, value_delimiter = ',', value_name = "REGION,...")]
    pub regions: Vec<String>,
    /// Public keys: the JSON `aws cloudtrail list-public-keys` prints (keys are per
    /// region: repeat, or comma-separate). Without it, they are fetched from CloudTrail
    /// with your credentials.
    #[arg(long, value_delimiter = ',', value_name = "FILE,...")]
    pub public_keys: Vec<std::path::PathBuf>,
    /// Write every row (valid ones too) here: .parquet, .json or .jsonl.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Print the valid rows too, not only the problems.
    #[arg(long)]
    pub all: bool,
    /// An S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Retries per S3 request on throttling, 5xx and timeouts (with backoff).
    #[arg(long, default_value_t = 10)]
    pub max_retries: usize,
    /// Objects fetched concurrently.
    #[arg(long, default_value_t = trailhound::verify::DEFAULT_VERIFY_CONCURRENCY)]
    pub fetch_concurrency: usize,
}
