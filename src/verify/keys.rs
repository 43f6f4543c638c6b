//! CloudTrail's public keys: from a file in the shape `aws cloudtrail list-public-keys`
//! prints (offline investigations), or fetched with the caller's credentials from the
//! CloudTrail `ListPublicKeys` API of each region (keys are per region).
//!
//! The API call is one signed JSON POST (AWS Signature Version 4, HMAC from `ring`);
//! `AWS_ENDPOINT_URL_CLOUDTRAIL` points it elsewhere (the SDKs' variable for it).

use std::collections::HashMap;
use std::path::Path as FsPath;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use object_store::aws::{AmazonS3Builder, AwsCredential};
use object_store::CredentialProvider;

use super::digest::{sha256_hex, to_hex};
use crate::error::{Error, Result};

/// One public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Lower-case hex, as digests name it in `digestPublicKeyFingerprint`.
    pub fingerprint: String,
    /// DER PKCS#1 `RSAPublicKey`.
    pub der: Vec<u8>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
}

/// Public keys by fingerprint.
#[derive(Debug, Clone, Default)]
pub struct PublicKeys {
    by_fingerprint: HashMap<String, PublicKey>,
}

impl PublicKeys {
    /// Reads `{"PublicKeyList":[{"Value":"<base64 DER>","Fingerprint":"<hex>",
    /// "ValidityStartTime":..,"ValidityEndTime":..}]}`; the times may be ISO 8601 text
    /// or epoch seconds, or absent. `origin` names the text in errors.
    ///
    /// # Errors
    /// [`Error::Config`] naming the entry that is not a key.
    pub fn from_json(text: &[u8], origin: &str) -> Result<Self> {
        let fail = |m: String| Error::Config(format!("public keys {origin}: {m}"));
        let doc: serde_json::Value = serde_json::from_slice(text).map_err(|e| fail(format!("not JSON: {e}")))?;
        let list = doc
            .get("PublicKeyList")
            .and_then(|l| l.as_array())
            .ok_or_else(|| fail("no PublicKeyList array (the output of `aws cloudtrail list-public-keys`)".into()))?;
        let mut keys = Self::default();
        for (i, entry) in list.iter().enumerate() {
            let text_field = |name: &str| entry.get(name).and_then(|v| v.as_str());
            let fingerprint = text_field("Fingerprint").ok_or_else(|| fail(format!("PublicKeyList[{i}] has no Fingerprint")))?;
            let value = text_field("Value").ok_or_else(|| fail(format!("PublicKeyList[{i}] has no Value")))?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|e| fail(format!("PublicKeyList[{i}].Value is not base64: {e}")))?;
            let time = |name: &str| -> Result<Option<DateTime<Utc>>> {
                match entry.get(name) {
                    None | Some(serde_json::Value::Null) => Ok(None),
                    Some(serde_json::Value::Number(n)) => n
                        .as_f64()
                        .and_then(|s| DateTime::from_timestamp_millis((s * 1000.0) as i64))
                        .map(Some)
                        .ok_or_else(|| fail(format!("PublicKeyList[{i}].{name} {n} is not a time"))),
                    Some(serde_json::Value::String(s)) => DateTime::parse_from_rfc3339(s)
                        .map(|t| Some(t.to_utc()))
                        .map_err(|e| fail(format!("PublicKeyList[{i}].{name} {s:?} is not an ISO 8601 time: {e}"))),
                    Some(other) => Err(fail(format!("PublicKeyList[{i}].{name} {other} is not a time"))),
                }
            };
            keys.insert(PublicKey {
                fingerprint: fingerprint.to_ascii_lowercase(),
                der,
                valid_from: time("ValidityStartTime")?,
                valid_to: time("ValidityEndTime")?,
            });
        }
        Ok(keys)
    }

    /// Reads a file written by `aws cloudtrail list-public-keys --output json`.
    ///
    /// # Errors
    /// [`Error::Config`] when it cannot be read or holds something else.
    pub fn from_file(path: &FsPath) -> Result<Self> {
        let text = std::fs::read(path).map_err(|e| Error::Config(format!("public keys {}: {e}", path.display())))?;
        Self::from_json(&text, &path.display().to_string())
    }

    pub fn insert(&mut self, key: PublicKey) {
        self.by_fingerprint.insert(key.fingerprint.clone(), key);
    }

    pub fn extend(&mut self, other: Self) {
        self.by_fingerprint.extend(other.by_fingerprint);
    }

    /// The key with this fingerprint (case-insensitive).
    pub fn get(&self, fingerprint: &str) -> Option<&PublicKey> {
        self.by_fingerprint.get(&fingerprint.to_ascii_lowercase())
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }
}

const TARGET: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

pub(crate) fn hmac(key: &[u8], data: &str) -> ring::hmac::Tag {
    ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), data.as_bytes())
}

/// The SigV4 signing key for a day, region and service.
pub(crate) fn signing_key(secret_key: &str, day: &str, region: &str, service: &str) -> ring::hmac::Tag {
    let k = hmac(format!("AWS4{secret_key}").as_bytes(), day);
    let k = hmac(k.as_ref(), region);
    let k = hmac(k.as_ref(), service);
    hmac(k.as_ref(), "aws4_request")
}

/// The `Authorization` header of a JSON POST to `/` (AWS Signature Version 4) signing
/// content-type, host, x-amz-date, x-amz-security-token (when there is a token) and
/// x-amz-target.
fn authorization(credential: &AwsCredential, host: &str, region: &str, amz_date: &str, body: &[u8]) -> String {
    let day = &amz_date[..amz_date.len().min(8)];
    let mut headers = vec![("content-type", CONTENT_TYPE), ("host", host), ("x-amz-date", amz_date)];
    if let Some(token) = &credential.token {
        headers.push(("x-amz-security-token", token));
    }
    headers.push(("x-amz-target", TARGET));
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    let signed = signed.join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
    let canonical = format!("POST\n/\n\n{canonical_headers}\n{signed}\n{}", to_hex(&sha2_digest(body)));
    let scope = format!("{day}/{region}/cloudtrail/aws4_request");
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
    let signature = hmac(signing_key(&credential.secret_key, day, region, "cloudtrail").as_ref(), &to_sign);
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={}",
        credential.key_id,
        to_hex(signature.as_ref())
    )
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).to_vec()
}

/// The caller's AWS credentials, found the way `s3://` sources find them.
fn credentials(region: &str) -> Result<Arc<dyn CredentialProvider<Credential = AwsCredential>>> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let has_env_keys = env("AWS_ACCESS_KEY_ID").is_some() && env("AWS_SECRET_ACCESS_KEY").is_some();
    if !has_env_keys {
        if let Some(profile) = env("AWS_PROFILE") {
            return Ok(Arc::new(crate::store::ProfileCredentials::resolve(&profile)?));
        }
        let other = ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]
            .iter()
            .any(|k| env(k).is_some());
        if !other && env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Err(Error::Credentials {
                location: "CloudTrail ListPublicKeys".into(),
                message: "no AWS credentials to fetch the public keys with: give --public-keys FILE \
                          (the output of `aws cloudtrail list-public-keys`), or set AWS credentials"
                    .into(),
            });
        }
    }
    // The S3 builder resolves environment keys, web identity, container and instance
    // credentials; only its credential provider is used.
    let s3 = AmazonS3Builder::from_env()
        .with_bucket_name("trailhound-credentials-only")
        .with_region(region)
        .build()
        .map_err(|e| Error::Credentials { location: "CloudTrail ListPublicKeys".into(), message: e.to_string() })?;
    Ok(s3.credentials().clone())
}

/// The CloudTrail endpoint of a region.
fn endpoint(region: &str) -> String {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL_CLOUDTRAIL").ok().filter(|v| !v.is_empty()) {
        return url;
    }
    let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("https://cloudtrail.{region}.{domain}/")
}

/// Fetches the public keys valid between `start` and `end` in each region, following
/// `NextToken`.
///
/// # Errors
/// [`Error::Credentials`] without credentials or when AWS rejects them,
/// [`Error::PublicKeys`] when a call fails or answers something else.
pub async fn fetch_public_keys(regions: &[String], start: DateTime<Utc>, end: DateTime<Utc>) -> Result<PublicKeys> {
    let mut keys = PublicKeys::default();
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| Error::PublicKeys { location: "CloudTrail".into(), message: format!("HTTP client: {e}") })?;
    for region in regions {
        let provider = credentials(region)?;
        let url = endpoint(region);
        let location = format!("CloudTrail ListPublicKeys in {region} ({url})");
        let fail = |message: String| Error::PublicKeys { location: location.clone(), message };
        let parsed = reqwest::Url::parse(&url).map_err(|e| fail(format!("bad endpoint URL: {e}")))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(fail("the endpoint URL has no host".into())),
        };
        let mut next_token: Option<String> = None;
        loop {
            let mut body = serde_json::json!({ "StartTime": start.timestamp(), "EndTime": end.timestamp() });
            if let Some(t) = &next_token {
                body["NextToken"] = serde_json::Value::from(t.as_str());
            }
            let body = body.to_string().into_bytes();
            let (status, text) = call(&client, &parsed, &host, region, &provider, &body, &location).await?;
            if !status.is_success() {
                let answer: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
                let code = answer.get("__type").and_then(|v| v.as_str()).unwrap_or("");
                let message = answer.get("message").or_else(|| answer.get("Message")).and_then(|v| v.as_str()).unwrap_or("");
                let summary = format!("HTTP {status} {code}: {message}");
                if status.as_u16() == 401 || status.as_u16() == 403 {
                    return Err(Error::Credentials { location, message: format!("AWS refused the request: {summary}") });
                }
                return Err(fail(summary));
            }
            keys.extend(PublicKeys::from_json(&text, &location)?);
            let answer: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
            next_token = answer.get("NextToken").and_then(|v| v.as_str()).filter(|t| !t.is_empty()).map(str::to_string);
            if next_token.is_none() {
                break;
            }
        }
    }
    Ok(keys)
}

/// The error and its causes (reqwest's own text leaves out why a request failed).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

const MAX_ATTEMPTS: u32 = 4;

/// One signed ListPublicKeys call; throttling, 5xx answers and failed connections are
/// retried with backoff.
async fn call(
    client: &reqwest::Client,
    url: &reqwest::Url,
    host: &str,
    region: &str,
    provider: &Arc<dyn CredentialProvider<Credential = AwsCredential>>,
    body: &[u8],
    location: &str,
) -> Result<(reqwest::StatusCode, bytes::Bytes)> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let credential = provider
            .get_credential()
            .await
            .map_err(|e| Error::Credentials { location: location.to_string(), message: e.to_string() })?;
        let amz_date = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let mut request = client
            .post(url.clone())
            .header("content-type", CONTENT_TYPE)
            .header("host", host)
            .header("x-amz-date", &amz_date)
            .header("x-amz-target", TARGET)
            .header("authorization", authorization(&credential, host, region, &amz_date, body));
        if let Some(token) = &credential.token {
            request = request.header("x-amz-security-token", token);
        }
        let outcome = match request.body(body.to_vec()).send().await {
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|text| (status, text))
            }
            Err(e) => Err(e),
        };
        let retry = match &outcome {
            Ok((status, text)) => {
                status.is_server_error()
                    || status.as_u16() == 429
                    || (status.as_u16() == 400 && text.windows(10).any(|w| w == b"Throttling"))
            }
            Err(_) => true,
        };
        if !retry || attempt >= MAX_ATTEMPTS {
            return outcome.map_err(|e| Error::PublicKeys {
                location: location.to_string(),
                message: format!("request failed after {attempt} attempts: {}", error_chain(&e)),
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // "Examples of how to derive a signing key for Signature Version 4" (AWS IAM guide).
        let k = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
        assert_eq!(to_hex(k.as_ref()), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }

    #[test]
    fn authorization_matches_botocore() {
        // Expected values computed with botocore's SigV4Auth for the same request.
        let body = br#"{"StartTime":1764028800,"EndTime":1764122400}"#;
        let mut credential = AwsCredential {
            key_id: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            token: None,
        };
        let host = "cloudtrail.us-east-1.amazonaws.com";
        assert_eq!(
            authorization(&credential, host, "us-east-1", "20261125T120000Z", body),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/cloudtrail/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
             Signature=26b92175143b1f5378d71ae0adda2dd29a74cefa1e9c0873c5aeb92ea0515680"
        );
        credential.token = Some("SESSIONTOKEN/+=".into());
        assert!(authorization(&credential, host, "us-east-1", "20261125T120000Z", body).ends_with(
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, \
             Signature=8daca36728c7128d861748ac650ba35023cb935b64226608954b6379299ebc54"
        ));
    }

    #[test]
    fn public_keys_file_in_the_cli_shape() {
        let json = br#"{"PublicKeyList":[
            {"Value":"AQID","ValidityStartTime":"2026-01-01T00:00:00+00:00","ValidityEndTime":1798761600.0,"Fingerprint":"ABCD"},
            {"Value":"BAUG","Fingerprint":"ef01"}]}"#;
        let keys = PublicKeys::from_json(json, "keys.json").expect("keys");
        assert_eq!(keys.len(), 2);
        let k = keys.get("abcd").expect("case-insensitive");
        assert_eq!(k.der, [1, 2, 3]);
        assert_eq!(k.valid_from.map(|t| t.to_rfc3339()).as_deref(), Some("2026-01-01T00:00:00+00:00"));
        assert_eq!(k.valid_to.map(|t| t.timestamp()), Some(1_798_761_600));
        assert!(keys.get("EF01").is_some());

        for (bad, want) in [
            (&br#"{}"#[..], "no PublicKeyList"),
            (br#"{"PublicKeyList":[{"Value":"AQID"}]}"#, "PublicKeyList[0] has no Fingerprint"),
            (br#"{"PublicKeyList":[{"Value":"!!","Fingerprint":"a"}]}"#, "not base64"),
            (br#"{"PublicKeyList":[{"Value":"AQID","Fingerprint":"a","ValidityStartTime":"soon"}]}"#, "ValidityStartTime"),
        ] {
            let err = PublicKeys::from_json(bad, "k.json").expect_err("bad").to_string();
            assert!(err.contains("public keys k.json") && err.contains(want), "{err}");
        }
    }
}
