//! Where bytes live: a local folder or an S3 bucket, both as an `ObjectStore`.
//!
//! `s3://bucket/prefix` opens an S3 client with the credentials AWS users expect, in
//! this order: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`[/`AWS_SESSION_TOKEN`];
//! a named profile (`AWS_PROFILE`: static keys from the shared credentials file,
//! `credential_process`, or, for SSO and role profiles, the AWS CLI's
//! `aws configure export-credentials`); web identity (EKS: `AWS_WEB_IDENTITY_TOKEN_FILE`
//! and `AWS_ROLE_ARN`); ECS task roles and EKS pod identity (`AWS_CONTAINER_*`); EC2
//! instance metadata (unless `AWS_EC2_METADATA_DISABLED=true`). `--endpoint-url` or
//! `AWS_ENDPOINT_URL` points at an S3-compatible store. Anything else is a local path.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AwsCredential};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientOptions, CredentialProvider, ObjectStore, RetryConfig};

use crate::error::{Error, Result};

/// How to reach S3.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// An S3-compatible endpoint (`http://127.0.0.1:9000`); else `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// Customer-managed KMS key for everything written (SSE-KMS).
    pub kms_key_id: Option<String>,
    /// Retries per request on throttling, 5xx and timeouts.
    pub max_retries: usize,
    /// How long one request may take before it is retried (default 120 s).
    pub request_timeout: Option<Duration>,
}

/// An opened location: a store and the prefix inside it.
#[derive(Debug, Clone)]
pub struct Location {
    pub store: Arc<dyn ObjectStore>,
    /// Prefix inside the store (empty for a local folder, which is its own root).
    pub prefix: Path,
    /// What users see: `s3://bucket/prefix` or the path as given.
    pub display: String,
    /// A local path, when it is one.
    pub local: Option<PathBuf>,
    /// For S3: listed keys the store cannot read (see [`crate::source::raw_s3`]).
    pub unreadable: Option<crate::source::raw_s3::UnreadableKeys>,
}

impl Location {
    /// The display name of `key` (a key inside the store).
    pub fn display_key(&self, key: &Path) -> String {
        if self.local.is_some() {
            format!("{}/{}", self.display, key)
        } else {
            format!("s3://{}/{}", self.bucket().unwrap_or_default(), key)
        }
    }

    pub(crate) fn bucket(&self) -> Option<&str> {
        self.display.strip_prefix("s3://").map(|r| r.split('/').next().unwrap_or(r))
    }
}

/// True for `s3://...` locations.
pub fn is_s3(location: &str) -> bool {
    location.starts_with("s3://")
}

/// Splits `s3://bucket/prefix/` into the bucket and a prefix without slashes at the ends.
///
/// # Errors
/// [`Error::Config`] for a URL without a bucket.
pub fn parse_s3_url(url: &str) -> Result<(String, String)> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| Error::Config(format!("{url} is not an s3:// URL")))?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(Error::Config(format!("{url} has no bucket name")));
    }
    Ok((bucket.to_string(), prefix.trim_matches('/').to_string()))
}

/// Opens a local folder (created when `create` is set) as a store rooted at it.
///
/// # Errors
/// The folder cannot be created or resolved.
pub fn open_local_dir(path: &FsPath, create: bool) -> Result<Location> {
    if create {
        std::fs::create_dir_all(path).map_err(|e| Error::OutputDir { path: path.to_path_buf(), source: e })?;
    }
    let store = LocalFileSystem::new_with_prefix(path)
        .map_err(|e| Error::Output { location: path.display().to_string(), source: e })?;
    let shown = path.to_string_lossy().replace('\\', "/");
    let shown = shown.trim_end_matches('/');
    Ok(Location {
        store: Arc::new(store),
        prefix: Path::default(),
        display: if shown.is_empty() { "/".into() } else { shown.to_string() },
        local: Some(path.to_path_buf()),
        unreadable: None,
    })
}

/// Opens `s3://bucket/prefix` with the standard AWS credential chain.
///
/// # Errors
/// [`Error::Credentials`] when no credential source is configured (or a profile is
/// unusable); [`Error::Config`] for a bad URL or endpoint.
pub fn open_s3(url: &str, options: &S3Options) -> Result<Location> {
    let (bucket, prefix) = parse_s3_url(url)?;
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(&bucket);
    let endpoint = options.endpoint_url.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok());
    if let Some(endpoint) = &endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let profile = env("AWS_PROFILE");
    let mut region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
    let has_env_keys = env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some();
    if !has_env_keys {
        if let Some(profile) = &profile {
            let resolved = ProfileCredentials::resolve(profile)?;
            region = region.or_else(|| resolved.region.clone());
            builder = builder.with_credentials(Arc::new(resolved));
        } else {
            let other_source = ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]
                .iter()
                .any(|k| env(k).is_some());
            let imds_disabled = env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            if !other_source && imds_disabled {
                return Err(Error::Credentials {
                    location: url.to_string(),
                    message: "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, \
                              or run where a web identity, ECS task role or instance profile is available \
                              (AWS_EC2_METADATA_DISABLED=true rules out instance metadata)"
                        .into(),
                });
            }
        }
    }
    let region = region.unwrap_or_else(|| "us-east-1".into());
    builder = builder.with_region(&region);
    if let Some(key) = &options.kms_key_id {
        builder = builder.with_sse_kms_encryption(key);
    }
    builder = builder
        .with_retry(RetryConfig {
            max_retries: options.max_retries,
            retry_timeout: Duration::from_secs(180),
            ..RetryConfig::default()
        })
        .with_client_options(
            ClientOptions::new()
                .with_allow_http(endpoint.as_deref().is_some_and(|e| e.starts_with("http://")))
                .with_connect_timeout(Duration::from_secs(5))
                .with_timeout(options.request_timeout.unwrap_or(Duration::from_secs(120)))
                .with_pool_max_idle_per_host(256),
        );
    let store = builder.build().map_err(|e| Error::Config(format!("{url}: {e}")))?;
    let store = crate::source::raw_s3::TolerantS3::new(store, &bucket, &region, endpoint.as_deref())
        .map_err(|e| Error::Config(format!("{url}: {e}")))?;
    let unreadable = Some(store.unreadable());
    let display = if prefix.is_empty() { format!("s3://{bucket}") } else { format!("s3://{bucket}/{prefix}") };
    Ok(Location { store: Arc::new(store), prefix: Path::from(prefix.as_str()), display, local: None, unreadable })
}

/// True when S3 rejected who we are (401/403, unknown key, bad signature, expired token).
pub fn is_auth_error(error: &object_store::Error) -> bool {
    if matches!(error, object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }) {
        return true;
    }
    let text = error.to_string();
    ["403 Forbidden", "401 Unauthorized", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"]
        .iter()
        .any(|m| text.contains(m))
}

/// The S3 error code and message of a failed request (`InvalidAccessKeyId: The AWS
/// Access Key Id you provided does not exist in our records.`), else the error text.
pub fn error_summary(error: &object_store::Error) -> String {
    let text = error.to_string();
    let tag = |t: &str| {
        let open = format!("<{t}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{t}>"))? + start;
        Some(text[start..end].to_string())
    };
    match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => text,
    }
}

/// A credential and when it expires (never, for `None`).
type Expiring = (Arc<AwsCredential>, Option<chrono::DateTime<chrono::Utc>>);

/// Credentials of a named profile, refreshed when they expire.
#[derive(Debug)]
pub struct ProfileCredentials {
    profile: String,
    source: ProfileSource,
    region: Option<String>,
    cache: Mutex<Option<Expiring>>,
}

#[derive(Debug, Clone)]
enum ProfileSource {
    Static(Arc<AwsCredential>),
    /// `credential_process`: a command printing the credentials as JSON.
    Process(String),
    /// SSO and role profiles, through `aws configure export-credentials`.
    Cli,
}

/// Sections of an AWS INI file: name -> key -> value.
fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            out.entry(section.clone()).or_default();
        } else if let Some((k, v)) = line.split_once('=') {
            out.entry(section.clone()).or_default().insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

fn aws_file(env_var: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(env_var)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws").join(default)))
}

impl ProfileCredentials {
    /// Finds `profile` in the shared credentials and config files.
    ///
    /// # Errors
    /// [`Error::Credentials`] when the profile is in neither file or has no usable source.
    pub fn resolve(profile: &str) -> Result<Self> {
        let read = |p: Option<PathBuf>| p.and_then(|p| std::fs::read_to_string(p).ok()).map(|t| parse_ini(&t)).unwrap_or_default();
        let credentials = read(aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
        let config = read(aws_file("AWS_CONFIG_FILE", "config"));
        let config_section = config
            .get(&format!("profile {profile}"))
            .or_else(|| (profile == "default").then(|| config.get("default")).flatten());
        let region = config_section.and_then(|s| s.get("region").cloned());
        let keys = credentials.get(profile).or(config_section);
        let fail = |message: String| Error::Credentials { location: format!("profile {profile}"), message };
        let source = match keys {
            Some(s) if s.contains_key("aws_access_key_id") => {
                let key_id = s.get("aws_access_key_id").cloned().unwrap_or_default();
                let secret_key = s
                    .get("aws_secret_access_key")
                    .cloned()
                    .ok_or_else(|| fail("has aws_access_key_id but no aws_secret_access_key".into()))?;
                ProfileSource::Static(Arc::new(AwsCredential { key_id, secret_key, token: s.get("aws_session_token").cloned() }))
            }
            _ => match config_section {
                Some(s) if s.contains_key("credential_process") => {
                    ProfileSource::Process(s.get("credential_process").cloned().unwrap_or_default())
                }
                Some(s) if s.keys().any(|k| k.starts_with("sso_") || k == "role_arn") => ProfileSource::Cli,
                Some(_) => return Err(fail("has no credentials, credential_process, SSO or role settings".into())),
                None => {
                    return Err(fail(
                        "is in neither the shared credentials file nor the config file (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)"
                            .into(),
                    ))
                }
            },
        };
        Ok(Self { profile: profile.to_string(), source, region, cache: Mutex::new(None) })
    }

    fn run(&self, command: &mut std::process::Command, what: &str) -> object_store::Result<Expiring> {
        let fail = |message: String| object_store::Error::Generic {
            store: "S3",
            source: format!("profile {}: {what}: {message}", self.profile).into(),
        };
        let output = command.output().map_err(|e| fail(format!("could not run it: {e}")))?;
        if !output.status.success() {
            return Err(fail(format!("exited with {}: {}", output.status, String::from_utf8_lossy(&output.stderr).trim())));
        }
        let v: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(|e| fail(format!("printed no JSON: {e}")))?;
        let field = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let key_id = field("AccessKeyId").ok_or_else(|| fail("no AccessKeyId in its output".into()))?;
        let secret_key = field("SecretAccessKey").ok_or_else(|| fail("no SecretAccessKey in its output".into()))?;
        let expires = field("Expiration").and_then(|e| chrono::DateTime::parse_from_rfc3339(&e).ok()).map(|e| e.to_utc());
        Ok((Arc::new(AwsCredential { key_id, secret_key, token: field("SessionToken") }), expires))
    }
}

#[async_trait::async_trait]
impl CredentialProvider for ProfileCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        if let ProfileSource::Static(c) = &self.source {
            return Ok(c.clone());
        }
        let now = chrono::Utc::now();
        if let Ok(cache) = self.cache.lock() {
            if let Some((c, expires)) = cache.as_ref() {
                if expires.is_none_or(|e| e - chrono::Duration::minutes(5) > now) {
                    return Ok(c.clone());
                }
            }
        }
        let fetched = match &self.source {
            ProfileSource::Process(cmd) => {
                self.run(std::process::Command::new("sh").arg("-c").arg(cmd), "credential_process")?
            }
            _ => self.run(
                std::process::Command::new("aws").args(["configure", "export-credentials", "--profile", &self.profile, "--format", "process"]),
                "aws configure export-credentials (AWS CLI v2)",
            )?,
        };
        let credential = fetched.0.clone();
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some(fetched);
        }
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_s3_url_splits_bucket_and_prefix() {
        assert_eq!(parse_s3_url("s3://b").expect("ok"), ("b".into(), String::new()));
        assert_eq!(parse_s3_url("s3://b/").expect("ok"), ("b".into(), String::new()));
        assert_eq!(parse_s3_url("s3://b/x/y/").expect("ok"), ("b".into(), "x/y".into()));
        assert!(parse_s3_url("s3:///x").is_err());
        assert!(parse_s3_url("/tmp/x").is_err());
    }

    #[test]
    fn parse_ini_reads_profiles() {
        let ini = parse_ini("[default]\naws_access_key_id = A\n# c\n[profile sso]\nsso_session=x\nRegion = eu-west-1\n");
        assert_eq!(ini["default"]["aws_access_key_id"], "A");
        assert_eq!(ini["profile sso"]["region"], "eu-west-1");
    }
}
