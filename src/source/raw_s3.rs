//! Listing a bucket whose keys object_store cannot represent.
//!
//! object_store rejects a whole listing page when one key has an empty segment
//! (`a//b`), a `.` or `..` segment or a control character, so one odd key in a trail
//! bucket would stop the run. [`TolerantS3`] wraps the S3 store: listings go through
//! it unchanged until one fails that way; that listing is then done again with our
//! own signed ListObjectsV2 requests (`encoding-type=url`), every representable key
//! is listed as usual, and each other key is kept aside ([`UnreadableKeys`]) so the
//! run reports it as a failed object, by its exact key, instead of stopping.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AwsCredential};
use object_store::path::Path;
use object_store::{CredentialProvider, GetOptions, GetResult, ListResult, ObjectMeta, ObjectStore, PutPayload, PutResult};

/// A key that was listed but cannot be read through object_store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableKey {
    pub key: String,
    pub size: u64,
    pub e_tag: Option<String>,
    pub reason: String,
}

/// The keys a [`TolerantS3`] set aside, shared with whoever reports them.
pub type UnreadableKeys = Arc<Mutex<Vec<UnreadableKey>>>;

/// An S3 store whose listings survive keys object_store cannot represent.
#[derive(Debug, Clone)]
pub struct TolerantS3 {
    inner: Arc<AmazonS3>,
    raw: Arc<RawLister>,
    unreadable: UnreadableKeys,
}

/// Debug names the endpoint and bucket only: never the credentials.
struct RawLister {
    client: reqwest::Client,
    /// `scheme://host[:port]` (path-style requests, as object_store makes them).
    origin: String,
    host: String,
    bucket: String,
    region: String,
    credentials: Arc<dyn CredentialProvider<Credential = AwsCredential>>,
}

impl std::fmt::Debug for RawLister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawLister").field("origin", &self.origin).field("bucket", &self.bucket).field("region", &self.region).finish_non_exhaustive()
    }
}

impl std::fmt::Display for TolerantS3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TolerantS3({})", self.inner)
    }
}

impl TolerantS3 {
    /// Wraps `inner`, which talks to `endpoint` (or AWS's regional endpoint).
    ///
    /// # Errors
    /// When the endpoint is not a URL.
    pub fn new(inner: AmazonS3, bucket: &str, region: &str, endpoint: Option<&str>) -> Result<Self, String> {
        let origin = match endpoint {
            Some(e) => e.trim_end_matches('/').to_string(),
            None => {
                let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
                format!("https://s3.{region}.{domain}")
            }
        };
        let host = origin.split_once("://").map_or(origin.as_str(), |(_, h)| h).split('/').next().unwrap_or("").to_string();
        if host.is_empty() {
            return Err(format!("endpoint {origin:?} has no host"));
        }
        let credentials = inner.credentials().clone();
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?;
        let raw = RawLister { client, origin, host, bucket: bucket.to_string(), region: region.to_string(), credentials };
        Ok(Self { inner: Arc::new(inner), raw: Arc::new(raw), unreadable: Arc::default() })
    }

    /// The keys set aside so far.
    pub fn unreadable(&self) -> UnreadableKeys {
        self.unreadable.clone()
    }

    /// Lists `prefix` with raw requests: representable keys as object metadata, the
    /// others set aside.
    async fn raw_list(&self, prefix: Option<&Path>, delimiter: bool, start_after: Option<&Path>) -> object_store::Result<ListResult> {
        let mut prefix = prefix.map(|p| p.to_string()).unwrap_or_default();
        if !prefix.is_empty() {
            prefix.push('/');
        }
        let mut out = ListResult { common_prefixes: Vec::new(), objects: Vec::new() };
        let mut token: Option<String> = None;
        loop {
            let page = self.raw.page(&prefix, delimiter, start_after.map(Path::as_ref), token.as_deref()).await?;
            for p in page.prefixes {
                // `a/b//` (a folder with an empty name) would parse as `a/b` and be listed forever.
                let parsed = if p.is_empty() || p.ends_with('/') {
                    Err(object_store::path::Error::EmptySegment { path: p.clone() })
                } else {
                    Path::parse(&p)
                };
                match parsed {
                    Ok(path) => out.common_prefixes.push(path),
                    // Nothing under it can be read either: name each key it holds.
                    Err(e) => self.set_aside_all(&format!("{p}/"), &folder_reason(&e)).await?,
                }
            }
            for o in page.objects {
                match Path::parse(&o.key) {
                    Ok(location) => out.objects.push(ObjectMeta {
                        location,
                        last_modified: o.last_modified,
                        size: o.size,
                        e_tag: o.e_tag,
                        version: None,
                    }),
                    Err(e) => {
                        let reason = key_reason(&e);
                        self.set_aside(UnreadableKey { key: o.key, size: o.size, e_tag: o.e_tag, reason });
                    }
                }
            }
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Sets aside every key under `prefix` (a raw prefix ending in `/`).
    async fn set_aside_all(&self, prefix: &str, reason: &str) -> object_store::Result<()> {
        let mut token: Option<String> = None;
        loop {
            let page = self.raw.page(prefix, false, None, token.as_deref()).await?;
            for o in page.objects {
                self.set_aside(UnreadableKey { key: o.key, size: o.size, e_tag: o.e_tag, reason: reason.to_string() });
            }
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(()),
            }
        }
    }

    fn set_aside(&self, key: UnreadableKey) {
        if let Ok(mut keys) = self.unreadable.lock() {
            if !keys.iter().any(|k| k.key == key.key) {
                tracing::warn!(key = %key.key, reason = %key.reason, "listed a key trailhound cannot read");
                keys.push(key);
            }
        }
    }
}

fn key_reason(e: &object_store::path::Error) -> String {
    format!("the key cannot be read: it is not a valid object path ({e}); S3 allows such keys, CloudTrail never writes them")
}

fn folder_reason(e: &object_store::path::Error) -> String {
    format!("the key cannot be read: its folder is not a valid object path ({e}); S3 allows such keys, CloudTrail never writes them")
}

/// True when a listing failed on a key object_store cannot represent.
fn is_invalid_path(e: &object_store::Error) -> bool {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let _ = write!(text, ": {s}");
        source = s.source();
    }
    text.contains("invalid path") || text.contains("Encountered illegal character") || text.contains("empty path segment")
}

struct Page {
    prefixes: Vec<String>,
    objects: Vec<RawObject>,
    next: Option<String>,
}

struct RawObject {
    key: String,
    size: u64,
    e_tag: Option<String>,
    last_modified: chrono::DateTime<chrono::Utc>,
}

impl RawLister {
    async fn page(&self, prefix: &str, delimiter: bool, start_after: Option<&str>, token: Option<&str>) -> object_store::Result<Page> {
        let mut query: Vec<(&str, &str)> = vec![("encoding-type", "url"), ("list-type", "2"), ("prefix", prefix)];
        if delimiter {
            query.push(("delimiter", "/"));
        }
        if let Some(s) = start_after {
            query.push(("start-after", s));
        }
        if let Some(t) = token {
            query.push(("continuation-token", t));
        }
        query.sort();
        let canonical_query: String =
            query.iter().map(|(k, v)| format!("{}={}", uri_encode(k), uri_encode(v))).collect::<Vec<_>>().join("&");
        let uri = format!("/{}", uri_encode(&self.bucket));
        let credential = self.credentials.get_credential().await?;
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let auth = sign_get(&credential, &self.host, &self.region, &amz_date, &uri, &canonical_query);
        let mut request = self
            .client
            .get(format!("{}{uri}?{canonical_query}", self.origin))
            .header("x-amz-date", &amz_date)
            .header("x-amz-content-sha256", EMPTY_SHA256)
            .header("authorization", auth);
        if let Some(token) = &credential.token {
            request = request.header("x-amz-security-token", token);
        }
        let generic = |message: String| object_store::Error::Generic { store: "S3", source: message.into() };
        let response = request.send().await.map_err(|e| generic(format!("listing {prefix:?}: {e}")))?;
        let status = response.status();
        let body = response.text().await.map_err(|e| generic(format!("listing {prefix:?}: {e}")))?;
        if !status.is_success() {
            return Err(generic(format!("listing {prefix:?}: {status}: {}", body.chars().take(300).collect::<String>())));
        }
        Ok(parse_page(&body))
    }
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// SigV4 `Authorization` for a bodiless S3 GET signing host, x-amz-content-sha256,
/// x-amz-date and (with a session token) x-amz-security-token.
fn sign_get(credential: &AwsCredential, host: &str, region: &str, amz_date: &str, uri: &str, query: &str) -> String {
    let day = &amz_date[..amz_date.len().min(8)];
    let mut headers = vec![("host", host), ("x-amz-content-sha256", EMPTY_SHA256), ("x-amz-date", amz_date)];
    if let Some(token) = &credential.token {
        headers.push(("x-amz-security-token", token));
    }
    let signed = headers.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{}\n", v.trim())).collect();
    let canonical = format!("GET\n{uri}\n{query}\n{canonical_headers}\n{signed}\n{EMPTY_SHA256}");
    let scope = format!("{day}/{region}/s3/aws4_request");
    let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", crate::verify::digest::sha256_hex(canonical.as_bytes()));
    let key = crate::verify::keys::signing_key(&credential.secret_key, day, region, "s3");
    let signature = crate::verify::digest::to_hex(crate::verify::keys::hmac(key.as_ref(), &to_sign).as_ref());
    format!("AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}", credential.key_id)
}

/// RFC 3986 encoding as SigV4 wants it: everything but `A-Za-z0-9-_.~`.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes an `encoding-type=url` value (`+` is a space, `%XX` a byte).
fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&apos;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

/// The text of every `<tag>...</tag>` in `xml`, in order.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

fn parse_page(xml: &str) -> Page {
    let first = |within: &str, tag: &str| elements(within, tag).first().map(|s| (*s).to_string());
    let objects = elements(xml, "Contents")
        .into_iter()
        .filter_map(|c| {
            let key = url_decode(&xml_unescape(&first(c, "Key")?));
            Some(RawObject {
                key,
                size: first(c, "Size").and_then(|s| s.trim().parse().ok()).unwrap_or(0),
                e_tag: first(c, "ETag").map(|e| xml_unescape(&e)),
                last_modified: first(c, "LastModified")
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
                    .map_or_else(chrono::Utc::now, |t| t.with_timezone(&chrono::Utc)),
            })
        })
        .collect();
    let prefixes = elements(xml, "CommonPrefixes")
        .into_iter()
        .filter_map(|c| first(c, "Prefix"))
        .map(|p| {
            let p = url_decode(&xml_unescape(&p));
            p.strip_suffix('/').map_or(p.clone(), str::to_string)
        })
        .collect();
    let truncated = first(xml, "IsTruncated").is_some_and(|t| t.trim() == "true");
    let next = first(xml, "NextContinuationToken").map(|t| xml_unescape(&t)).filter(|_| truncated);
    Page { prefixes, objects, next }
}

#[async_trait::async_trait]
impl ObjectStore for TolerantS3 {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: object_store::PutOptions) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: object_store::PutMultipartOptions) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(&self, location: &Path, ranges: &[std::ops::Range<u64>]) -> object_store::Result<Vec<bytes::Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(&self, locations: BoxStream<'static, object_store::Result<Path>>) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.list_from(prefix, None)
    }

    fn list_with_offset(&self, prefix: Option<&Path>, offset: &Path) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.list_from(prefix, Some(offset.clone()))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        match self.inner.list_with_delimiter(prefix).await {
            Err(e) if is_invalid_path(&e) => self.raw_list(prefix, true, None).await,
            other => other,
        }
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: object_store::CopyOptions) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(&self, from: &Path, to: &Path, options: object_store::RenameOptions) -> object_store::Result<()> {
        self.inner.rename_opts(from, to, options).await
    }
}

impl TolerantS3 {
    /// object_store's listing, page by page, until it fails on an odd key; then the
    /// rest from the raw listing (keys already passed on are passed on again: the
    /// caller deduplicates by key).
    fn list_from(&self, prefix: Option<&Path>, offset: Option<Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let me = self.clone();
        let prefix = prefix.cloned();
        let inner = match &offset {
            Some(o) => self.inner.list_with_offset(prefix.as_ref(), o),
            None => self.inner.list(prefix.as_ref()),
        };
        inner
            .map(move |item| (item, me.clone(), prefix.clone(), offset.clone()))
            .then(|(item, me, prefix, offset)| async move {
                match item {
                    Err(e) if is_invalid_path(&e) => {
                        let listed = me.raw_list(prefix.as_ref(), false, offset.as_ref()).await?;
                        Ok(futures::stream::iter(listed.objects.into_iter().map(Ok)).boxed())
                    }
                    Err(e) => Err(e),
                    Ok(meta) => Ok(futures::stream::iter([Ok(meta)]).boxed()),
                }
            })
            .try_flatten()
            .take_while_inclusive_ok()
    }
}

/// Ends a stream after its first error (object_store's listings do the same).
trait TakeWhileInclusiveOk: Sized {
    fn take_while_inclusive_ok(self) -> BoxStream<'static, object_store::Result<ObjectMeta>>;
}

impl<S> TakeWhileInclusiveOk for S
where
    S: futures::Stream<Item = object_store::Result<ObjectMeta>> + Send + 'static,
{
    fn take_while_inclusive_ok(self) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let mut failed = false;
        self.take_while(move |item| {
            let go = !failed;
            failed |= item.is_err();
            futures::future::ready(go)
        })
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_get_matches_the_aws_documentation_example() {
        // "GET Bucket (List Objects)" in the SigV4 header-based auth examples of the S3 API reference.
        let credential = AwsCredential {
            key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            token: None,
        };
        let auth = sign_get(&credential, "examplebucket.s3.amazonaws.com", "us-east-1", "20130524T000000Z", "/", "max-keys=2&prefix=J");
        assert!(auth.ends_with("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"), "{auth}");
    }

    #[test]
    fn parse_page_reads_keys_prefixes_and_the_token() {
        let xml = r#"<?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated>
            <Contents><Key>t/x//b.json.gz</Key><LastModified>2026-11-25T10:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>42</Size></Contents>
            <Contents><Key>t/sp+ace%2B%25.json.gz</Key><Size>7</Size></Contents>
            <CommonPrefixes><Prefix>t/..%2F/</Prefix></CommonPrefixes>
            <NextContinuationToken>tok&amp;en</NextContinuationToken></ListBucketResult>"#;
        let page = parse_page(xml);
        let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["t/x//b.json.gz", "t/sp ace+%.json.gz"]);
        assert_eq!(page.objects[0].size, 42);
        assert_eq!(page.objects[0].e_tag.as_deref(), Some("\"abc\""));
        assert_eq!(page.prefixes, ["t/../"], "one trailing delimiter removed");
        assert_eq!(page.next.as_deref(), Some("tok&en"));
        assert_eq!(uri_encode("a/b c~"), "a%2Fb%20c~");
    }
}
