//! Site knowledge for the detections: a TOML file, with defaults when none is given,
//! exposed to SQL as small tables so that no site value is ever written in a query.
//!
//! | table | columns | from |
//! |---|---|---|
//! | `th_params` | one row: `time_zone`, `business_start_hour`, `business_end_hour`, `history_days`, `min_history_days`, `history_days_available`, `run_start`, `run_end`, and every threshold | `[business_hours]`, `[history]`, `[thresholds]`, the run |
//! | `th_approved_regions` | `region` | `approved_regions` |
//! | `th_ml_buckets` | `pattern` (SQL LIKE) | `ml_bucket_patterns` |
//! | `th_restricted_models` | `pattern` (LIKE) | `restricted_models` |
//! | `th_gpu_instance_types` | `pattern` (LIKE) | `gpu_instance_types` |
//! | `th_approved_principals` | `service`, `pattern` (LIKE on the principal ARN) | `[approved_principals]` |
//! | `th_approved_requesters` | `bucket_pattern`, `requester_pattern` | `[[approved_requesters]]` |
//! | `th_recon_user_agents` | `pattern` (LIKE) | `recon_user_agents` |

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The site configuration (`--config FILE`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// Regions the organisation uses; empty = no region allow-list (the history-based
    /// "new region" rule still runs).
    pub approved_regions: Vec<String>,
    /// Buckets holding training data and model artifacts (LIKE patterns on the bucket name).
    pub ml_bucket_patterns: Vec<String>,
    /// Bedrock model ids nobody may invoke or customise (LIKE patterns).
    pub restricted_models: Vec<String>,
    /// Instance types that count as GPU/accelerated (LIKE patterns; EC2 and SageMaker `ml.`).
    pub gpu_instance_types: Vec<String>,
    /// User agents of known LLM-jacking and recon tooling (LIKE patterns).
    pub recon_user_agents: Vec<String>,
    /// Principals approved per service use (LIKE patterns on the principal ARN).
    pub approved_principals: ApprovedPrincipals,
    /// Requesters approved per bucket, for access logs.
    pub approved_requesters: Vec<ApprovedRequester>,
    pub business_hours: BusinessHours,
    pub history: History,
    /// Numeric thresholds by name (see [`DEFAULT_THRESHOLDS`]); unknown names are an error.
    pub thresholds: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApprovedPrincipals {
    /// May call Rekognition face APIs (DetectFaces, SearchFacesByImage, IndexFaces, ...).
    pub rekognition: Vec<String>,
    /// May run Comprehend PII detection.
    pub comprehend: Vec<String>,
    /// May create SageMaker notebooks, training jobs, endpoints.
    pub sagemaker: Vec<String>,
    /// May create Bedrock customisation jobs and provisioned throughput.
    pub bedrock: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovedRequester {
    pub bucket: String,
    pub requester: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusinessHours {
    /// IANA time zone (`Europe/Berlin`) or `UTC`.
    pub time_zone: String,
    /// First working hour (0-23, local).
    pub start_hour: i64,
    /// First hour after work (1-24, local).
    pub end_hour: i64,
}

impl Default for BusinessHours {
    fn default() -> Self {
        Self { time_zone: "UTC".into(), start_hour: 8, end_hour: 20 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct History {
    /// Days of the lake before the run that history rules read.
    pub days: i64,
    /// History rules stay silent until at least this many days of history exist.
    pub min_days: i64,
}

impl Default for History {
    fn default() -> Self {
        Self { days: 14, min_days: 7 }
    }
}

/// Every threshold the pack reads, with its default. A site overrides any of them.
pub const DEFAULT_THRESHOLDS: &[(&str, i64, &str)] = &[
    ("bulk_endpoints_per_hour", 5, "SageMaker CreateEndpoint/CreateEndpointConfig per principal per hour"),
    ("roles_shared_min_components", 3, "distinct SageMaker create APIs using one execution role"),
    ("bedrock_invocations_per_hour", 500, "Bedrock invocations of one model per principal per hour"),
    ("bedrock_regions_per_hour", 3, "regions one access key invokes Bedrock in per hour"),
    ("bedrock_recon_apis", 3, "distinct Bedrock recon APIs per principal per hour"),
    ("bedrock_denied_per_hour", 3, "denied Bedrock model calls per principal per hour"),
    ("rekognition_face_calls_per_hour", 50, "Rekognition face API calls per principal per hour"),
    ("comprehend_pii_calls_per_hour", 100, "Comprehend DetectPiiEntities calls per principal per hour"),
    ("s3_ml_download_bytes_per_hour", 50_000_000, "bytes read from ML buckets per principal, bucket and IP per hour"),
    ("s3_ml_objects_per_hour", 100, "objects read from ML buckets per principal and bucket per hour"),
    ("s3_large_object_bytes", 100_000_000, "a single object download this large"),
    ("s3_access_errors_per_3h", 5, "403/405 answers per requester and IP in 3 hours (access logs)"),
    ("s3_bucket_denied", 40, "AccessDenied S3 calls per source IP per hour"),
    ("s3_sse_c_objects", 20, "objects written with SSE-C per bucket per hour"),
    ("access_denied_per_hour", 15, "AccessDenied errors per principal per hour"),
    ("discovery_apis_denied_per_hour", 5, "distinct List/Describe/Get APIs denied per principal per hour"),
    ("secrets_read_per_hour", 20, "distinct secrets read per principal per hour"),
    ("root_login_failures_per_hour", 10, "failed root console logins per account per hour"),
    ("quota_regions", 10, "regions with EC2 quota lookups per principal per hour"),
];

impl Default for SiteConfig {
    fn default() -> Self {
        let patterns = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Self {
            approved_regions: Vec::new(),
            ml_bucket_patterns: patterns(&["%sagemaker%", "%training%", "%model%", "%-ml-%", "ml-%", "%-ml", "%dataset%", "%bedrock%"]),
            restricted_models: Vec::new(),
            gpu_instance_types: patterns(&[
                "ml.p%", "ml.g%", "ml.trn%", "ml.inf%", "p2.%", "p3.%", "p3dn.%", "p4d.%", "p4de.%", "p5.%", "p5e.%", "p5en.%", "p6%",
                "g3.%", "g3s.%", "g4dn.%", "g4ad.%", "g5.%", "g5g.%", "g6.%", "g6e.%", "gr6.%", "trn1.%", "trn1n.%", "trn2.%", "inf1.%", "inf2.%", "dl1.%", "dl2q.%",
            ]),
            recon_user_agents: patterns(&["python-urllib3/%", "axios/%", "%aiohttp/%", "python-requests/%", "curl/%", "Go-http-client/%"]),
            approved_principals: ApprovedPrincipals::default(),
            approved_requesters: Vec::new(),
            business_hours: BusinessHours::default(),
            history: History::default(),
            thresholds: BTreeMap::new(),
        }
    }
}

/// The site-config lists a rule can require (`-- requires:`).
pub const LIST_SETTINGS: &[&str] = &["approved_regions", "ml_bucket_patterns", "restricted_models", "gpu_instance_types", "recon_user_agents"];

impl SiteConfig {
    /// Whether the list `name` (one of [`LIST_SETTINGS`]) has any value.
    pub fn list_is_set(&self, name: &str) -> bool {
        match name {
            "approved_regions" => !self.approved_regions.is_empty(),
            "ml_bucket_patterns" => !self.ml_bucket_patterns.is_empty(),
            "restricted_models" => !self.restricted_models.is_empty(),
            "gpu_instance_types" => !self.gpu_instance_types.is_empty(),
            "recon_user_agents" => !self.recon_user_agents.is_empty(),
            _ => false,
        }
    }

    /// Reads and validates a TOML file.
    ///
    /// # Errors
    /// [`Error::Config`] naming the file and the problem (syntax, unknown key or
    /// threshold, an unknown time zone, hours out of range).
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("detection config {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| Error::Config(format!("detection config {}: {e}", path.display())))
    }

    /// Parses and validates TOML text.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn from_toml(text: &str) -> std::result::Result<Self, String> {
        let config: SiteConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        for name in self.thresholds.keys() {
            if !DEFAULT_THRESHOLDS.iter().any(|(n, _, _)| n == name) {
                let known: Vec<&str> = DEFAULT_THRESHOLDS.iter().map(|(n, _, _)| *n).collect();
                return Err(format!("unknown threshold {name:?} (known: {})", known.join(", ")));
            }
        }
        let b = &self.business_hours;
        if b.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(format!("business_hours.time_zone {:?} is not an IANA time zone", b.time_zone));
        }
        if !(0..=23).contains(&b.start_hour) || !(1..=24).contains(&b.end_hour) || b.start_hour >= b.end_hour {
            return Err(format!(
                "business_hours: start_hour {} and end_hour {} must satisfy 0 <= start < end <= 24",
                b.start_hour, b.end_hour
            ));
        }
        if self.history.days < 0 || self.history.min_days < 0 {
            return Err("history.days and history.min_days must not be negative".into());
        }
        Ok(())
    }

    /// The value of a threshold (the site's or the default).
    pub fn threshold(&self, name: &str) -> i64 {
        self.thresholds
            .get(name)
            .copied()
            .or_else(|| DEFAULT_THRESHOLDS.iter().find(|(n, _, _)| *n == name).map(|(_, v, _)| *v))
            .unwrap_or_default()
    }

    /// Registers the `th_*` tables on `ctx` for one run.
    ///
    /// # Errors
    /// Only if DataFusion refuses a table (a bug).
    pub fn register(&self, ctx: &SessionContext, run: &RunWindow) -> Result<()> {
        let mut fields = vec![
            Field::new("time_zone", DataType::Utf8, false),
            Field::new("business_start_hour", DataType::Int64, false),
            Field::new("business_end_hour", DataType::Int64, false),
            Field::new("history_days", DataType::Int64, false),
            Field::new("min_history_days", DataType::Int64, false),
            Field::new("history_days_available", DataType::Int64, false),
            Field::new("run_start", crate::decode::schema::timestamp_type(), false),
            Field::new("run_end", crate::decode::schema::timestamp_type(), false),
        ];
        let b = &self.business_hours;
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![b.time_zone.clone()])),
            Arc::new(Int64Array::from(vec![b.start_hour])),
            Arc::new(Int64Array::from(vec![b.end_hour])),
            Arc::new(Int64Array::from(vec![self.history.days])),
            Arc::new(Int64Array::from(vec![self.history.min_days])),
            Arc::new(Int64Array::from(vec![run.history_days_available])),
            Arc::new(TimestampMillisecondArray::from(vec![run.start_ms]).with_timezone("UTC")),
            Arc::new(TimestampMillisecondArray::from(vec![run.end_ms]).with_timezone("UTC")),
        ];
        for (name, _, _) in DEFAULT_THRESHOLDS {
            fields.push(Field::new(*name, DataType::Int64, false));
            columns.push(Arc::new(Int64Array::from(vec![self.threshold(name)])));
        }
        register_batch(ctx, "th_params", fields, columns)?;

        let list = |ctx: &SessionContext, table: &str, column: &str, values: &[String]| {
            register_batch(
                ctx,
                table,
                vec![Field::new(column, DataType::Utf8, false)],
                vec![Arc::new(StringArray::from(values.to_vec()))],
            )
        };
        list(ctx, "th_approved_regions", "region", &self.approved_regions)?;
        list(ctx, "th_ml_buckets", "pattern", &self.ml_bucket_patterns)?;
        list(ctx, "th_restricted_models", "pattern", &self.restricted_models)?;
        list(ctx, "th_gpu_instance_types", "pattern", &self.gpu_instance_types)?;
        list(ctx, "th_recon_user_agents", "pattern", &self.recon_user_agents)?;

        let p = &self.approved_principals;
        let mut services = Vec::new();
        let mut patterns = Vec::new();
        for (service, list) in [("rekognition", &p.rekognition), ("comprehend", &p.comprehend), ("sagemaker", &p.sagemaker), ("bedrock", &p.bedrock)] {
            for pattern in list {
                services.push(service.to_string());
                patterns.push(pattern.clone());
            }
        }
        register_batch(
            ctx,
            "th_approved_principals",
            vec![Field::new("service", DataType::Utf8, false), Field::new("pattern", DataType::Utf8, false)],
            vec![Arc::new(StringArray::from(services)), Arc::new(StringArray::from(patterns))],
        )?;
        let buckets: Vec<String> = self.approved_requesters.iter().map(|r| r.bucket.clone()).collect();
        let requesters: Vec<String> = self.approved_requesters.iter().map(|r| r.requester.clone()).collect();
        register_batch(
            ctx,
            "th_approved_requesters",
            vec![Field::new("bucket_pattern", DataType::Utf8, false), Field::new("requester_pattern", DataType::Utf8, false)],
            vec![Arc::new(StringArray::from(buckets)), Arc::new(StringArray::from(requesters))],
        )?;
        Ok(())
    }
}

/// The time range one detection run covers, and the history before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunWindow {
    /// Inclusive start, ms since the epoch (UTC midnight of the first day).
    pub start_ms: i64,
    /// Exclusive end.
    pub end_ms: i64,
    /// Days of history with data before `start_ms`, within `history.days`.
    pub history_days_available: i64,
}

fn register_batch(ctx: &SessionContext, name: &str, fields: Vec<Field>, columns: Vec<ArrayRef>) -> Result<()> {
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let table = MemTable::try_new(schema, vec![vec![batch]])
        .map_err(|e| Error::Config(format!("config table {name}: {e}")))?;
    ctx.register_table(name, Arc::new(table))
        .map_err(|e| Error::Config(format!("config table {name}: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_overrides_and_rejects_mistakes() {
        let c = SiteConfig::from_toml(
            r#"
            approved_regions = ["eu-west-1"]
            restricted_models = ["anthropic.claude-3-opus%"]
            [approved_principals]
            rekognition = ["arn:aws:iam::111122223333:role/face-app"]
            [business_hours]
            time_zone = "Europe/Berlin"
            start_hour = 7
            end_hour = 19
            [thresholds]
            bulk_endpoints_per_hour = 2
            "#,
        )
        .expect("valid");
        assert_eq!(c.threshold("bulk_endpoints_per_hour"), 2);
        assert_eq!(c.threshold("bedrock_invocations_per_hour"), 500);
        assert_eq!(c.business_hours.time_zone, "Europe/Berlin");
        assert!(!c.ml_bucket_patterns.is_empty(), "defaults kept for keys not given");

        for (bad, says) in [
            ("[thresholds]\nbulk_endpoint = 3", "unknown threshold"),
            ("approved_region = []", "unknown field"),
            ("[business_hours]\ntime_zone = \"Mars/Base\"", "IANA"),
            ("[business_hours]\nstart_hour = 20\nend_hour = 8", "start < end"),
        ] {
            let e = SiteConfig::from_toml(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
