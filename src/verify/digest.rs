//! The pure core of integrity validation: single-member gunzip with a hash, the digest
//! file JSON, the string CloudTrail signs and the RSA check (spec/formats.md §5).
//!
//! Nothing here does I/O or panics on input: every malformed byte is an `Err` with the
//! reason, for the caller to turn into a report row.

use std::io::Read;

use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest as _, Sha256};

/// Lower-case hex of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// The bytes of a hex string (either case), or `None` when it is not hex.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 2 != 0 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    text.chunks_exact(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&Sha256::digest(bytes))
}

/// Why a gzip object could not be inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GunzipError {
    /// Empty, or not starting with the gzip magic number.
    NotGzip,
    /// Corrupt or truncated deflate data, a bad CRC or length.
    Corrupt { inflated_bytes: u64, message: String },
    /// Inflates to more than the cap.
    TooLarge { limit_bytes: u64 },
}

impl std::fmt::Display for GunzipError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotGzip => write!(f, "not gzip (CloudTrail delivers gzip)"),
            Self::Corrupt { inflated_bytes, message } => {
                write!(f, "gzip stream is corrupt or truncated after {inflated_bytes} decompressed bytes: {message}")
            }
            Self::TooLarge { limit_bytes } => write!(f, "decompresses to more than {limit_bytes} bytes"),
        }
    }
}

/// What one gzip member held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inflated {
    /// Lower-case hex SHA-256 of the decompressed bytes.
    pub sha256: String,
    pub decompressed_bytes: u64,
    /// Bytes after the end of the first gzip member. CloudTrail writes exactly one
    /// member, so anything here (a second member, garbage) was added later.
    pub trailing_bytes: u64,
}

/// Inflates the first gzip member of `raw`, hashing the decompressed bytes and handing
/// them to `sink` chunk by chunk (so a log file is never held decompressed).
///
/// # Errors
/// [`GunzipError`] for a non-gzip, corrupt or too large object.
pub fn gunzip_single(raw: &[u8], max_bytes: u64, mut sink: impl FnMut(&[u8])) -> Result<Inflated, GunzipError> {
    if raw.len() < 2 || raw[0] != 0x1f || raw[1] != 0x8b {
        return Err(GunzipError::NotGzip);
    }
    // The `bufread` decoder over a slice consumes exactly the member, so what is left
    // in the slice afterwards is what follows it.
    let mut decoder = flate2::bufread::GzDecoder::new(raw);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0u64;
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n as u64;
                if total > max_bytes {
                    return Err(GunzipError::TooLarge { limit_bytes: max_bytes });
                }
                hasher.update(&buf[..n]);
                sink(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(GunzipError::Corrupt { inflated_bytes: total, message: e.to_string() }),
        }
    }
    let rest = decoder.into_inner();
    Ok(Inflated { sha256: to_hex(&hasher.finalize()), decompressed_bytes: total, trailing_bytes: rest.len() as u64 })
}

/// One `logFiles[]` entry of a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub bucket: String,
    pub key: String,
    /// Lower-case hex SHA-256 of the decompressed log file.
    pub sha256: String,
}

/// The `previousDigest*` fields of a digest that is not a starting digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousDigest {
    pub bucket: Option<String>,
    pub key: String,
    /// Lower-case hex SHA-256 of the previous digest's decompressed bytes.
    pub sha256: Option<String>,
    pub signature: Option<String>,
}

/// A parsed digest file (the fields validation uses; others are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestFile {
    pub account: Option<String>,
    pub start_time: String,
    /// Verbatim: it is part of the string to sign.
    pub end_time: String,
    pub bucket: String,
    pub key: String,
    pub fingerprint: String,
    /// `previousDigestSignature` verbatim (`None` for JSON null), for the string to sign.
    pub previous_signature: Option<String>,
    /// `None` for a starting digest (`previousDigestS3Object` null).
    pub previous: Option<PreviousDigest>,
    pub log_files: Vec<LogEntry>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDigest {
    aws_account_id: Option<String>,
    digest_start_time: Option<String>,
    digest_end_time: Option<String>,
    digest_s3_bucket: Option<String>,
    digest_s3_object: Option<String>,
    digest_public_key_fingerprint: Option<String>,
    previous_digest_s3_bucket: Option<String>,
    previous_digest_s3_object: Option<String>,
    previous_digest_hash_value: Option<String>,
    previous_digest_signature: Option<String>,
    log_files: Option<Vec<RawLogFile>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogFile {
    s3_bucket: Option<String>,
    s3_object: Option<String>,
    hash_value: Option<String>,
}

/// True for 64 hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses the decompressed bytes of a digest file.
///
/// # Errors
/// The reason it is not a digest: not JSON, a required field missing or null.
pub fn parse_digest(json: &[u8]) -> Result<DigestFile, String> {
    let raw: RawDigest = serde_json::from_slice(json).map_err(|e| format!("not a digest file: invalid JSON: {e}"))?;
    let need = |v: Option<String>, field: &str| v.ok_or_else(|| format!("not a digest file: `{field}` is missing or null"));
    let previous = match raw.previous_digest_s3_object {
        Some(key) => {
            // Not checked for shape: a hash that is not 64 hex digits simply will not
            // match (and is reported as such), like any other wrong hash.
            let sha256 = raw.previous_digest_hash_value.map(|h| h.to_ascii_lowercase());
            Some(PreviousDigest { bucket: raw.previous_digest_s3_bucket, key, sha256, signature: raw.previous_digest_signature.clone() })
        }
        None => None,
    };
    let raw_logs = raw.log_files.ok_or_else(|| "not a digest file: `logFiles` is missing or null".to_string())?;
    let mut log_files = Vec::with_capacity(raw_logs.len());
    for (i, f) in raw_logs.into_iter().enumerate() {
        let entry = |v: Option<String>, field: &str| v.ok_or_else(|| format!("`logFiles[{i}].{field}` is missing or null"));
        let sha256 = entry(f.hash_value, "hashValue")?.to_ascii_lowercase();
        log_files.push(LogEntry { bucket: entry(f.s3_bucket, "s3Bucket")?, key: entry(f.s3_object, "s3Object")?, sha256 });
    }
    Ok(DigestFile {
        account: raw.aws_account_id,
        start_time: need(raw.digest_start_time, "digestStartTime")?,
        end_time: need(raw.digest_end_time, "digestEndTime")?,
        bucket: need(raw.digest_s3_bucket, "digestS3Bucket")?,
        key: need(raw.digest_s3_object, "digestS3Object")?,
        fingerprint: need(raw.digest_public_key_fingerprint, "digestPublicKeyFingerprint")?,
        previous_signature: raw.previous_digest_signature,
        previous,
        log_files,
    })
}

/// The bytes CloudTrail signs (spec §5.3): `digestEndTime` verbatim, the digest's
/// `bucket/key`, the hex SHA-256 of its decompressed bytes, the previous signature or
/// the literal `null`, joined by `\n`.
pub fn string_to_sign(digest: &DigestFile, decompressed_sha256: &str) -> String {
    format!(
        "{}\n{}/{}\n{}\n{}",
        digest.end_time,
        digest.bucket,
        digest.key,
        decompressed_sha256,
        digest.previous_signature.as_deref().unwrap_or("null")
    )
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    NotHex,
    /// The signature does not match (or the key is not a usable PKCS#1 RSA key).
    Mismatch,
}

/// Checks an RSA PKCS#1 v1.5 SHA-256 signature (hex) over `message` with a DER
/// PKCS#1 `RSAPublicKey`.
///
/// # Errors
/// [`SignatureError`] when it does not verify.
pub fn verify_signature(public_key_der: &[u8], message: &[u8], signature_hex: &str) -> Result<(), SignatureError> {
    let signature = from_hex(signature_hex.trim()).ok_or(SignatureError::NotHex)?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, public_key_der)
        .verify(message, &signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// What a digest object's name says: its chain and the time it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestName {
    /// `<account>_CloudTrail-Digest_<region>_<trail>_<home-region>`: one chain.
    pub chain: String,
    pub end: DateTime<Utc>,
    pub backfill: bool,
}

/// Parses `<account>_CloudTrail-Digest_<region>_<trail>_<home>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz`.
pub fn parse_digest_name(name: &str) -> Option<DigestName> {
    let stem = name.strip_suffix(".json.gz")?;
    let (stem, backfill) = match stem.strip_suffix("_backfill") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let (chain, stamp) = stem.rsplit_once('_')?;
    if !chain.contains("_CloudTrail-Digest_") {
        return None;
    }
    let end = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok()?.and_utc();
    Some(DigestName { chain: chain.to_string(), end, backfill })
}

/// The delivery time in a log file name: `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz`.
pub fn parse_log_name_time(name: &str) -> Option<DateTime<Utc>> {
    name.split('_').find_map(|part| {
        let ok = part.len() == 14 && part.as_bytes()[8] == b'T' && part.ends_with('Z');
        ok.then(|| NaiveDateTime::parse_from_str(part, "%Y%m%dT%H%MZ").ok()).flatten().map(|t| t.and_utc())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    #[test]
    fn hex_round_trips_and_rejects_non_hex() {
        assert_eq!(to_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(from_hex("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        for bad in ["0", "zz", "0g", "ab c"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn gunzip_single_hashes_one_member_and_counts_what_follows() {
        let body = b"{\"Records\":[]}".repeat(1000);
        let mut seen = Vec::new();
        let one = gunzip_single(&gz(&body), 1 << 20, |c| seen.extend_from_slice(c)).expect("gzip");
        assert_eq!(seen, body);
        assert_eq!(one, Inflated { sha256: sha256_hex(&body), decompressed_bytes: body.len() as u64, trailing_bytes: 0 });

        let mut appended = gz(&body);
        appended.extend_from_slice(b"garbage");
        assert_eq!(gunzip_single(&appended, 1 << 20, |_| {}).expect("first member").trailing_bytes, 7);
        let second = gz(b"more");
        let mut two = gz(&body);
        two.extend_from_slice(&second);
        let r = gunzip_single(&two, 1 << 20, |_| {}).expect("first member");
        assert_eq!((r.sha256, r.trailing_bytes), (sha256_hex(&body), second.len() as u64));

        let full = gz(&body);
        assert!(matches!(gunzip_single(&full[..full.len() / 2], 1 << 20, |_| {}), Err(GunzipError::Corrupt { .. })));
        let mut bad_crc = full.clone();
        let n = bad_crc.len();
        bad_crc[n - 6] ^= 0xff;
        assert!(matches!(gunzip_single(&bad_crc, 1 << 20, |_| {}), Err(GunzipError::Corrupt { .. })));
        assert_eq!(gunzip_single(b"{}", 10, |_| {}), Err(GunzipError::NotGzip));
        assert_eq!(gunzip_single(b"", 10, |_| {}), Err(GunzipError::NotGzip));
        assert_eq!(gunzip_single(&full, 100, |_| {}), Err(GunzipError::TooLarge { limit_bytes: 100 }));
    }

    const DIGEST: &str = r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z",
        "digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"b","digestS3Object":"AWSLogs/k.json.gz",
        "digestPublicKeyFingerprint":"31e8","digestSignatureAlgorithm":"SHA256withRSA",
        "previousDigestS3Bucket":"b","previousDigestS3Object":"AWSLogs/p.json.gz",
        "previousDigestHashValue":"97FB791CF91FFC440D274F8190DBDD9AA09C34432ABA82739DF18B6D3C13DF2D",
        "previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"5088",
        "logFiles":[{"s3Bucket":"b","s3Object":"AWSLogs/l.json.gz","hashValue":"9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6","hashAlgorithm":"SHA-256"}]}"#;

    #[test]
    fn parse_digest_reads_the_fields_and_the_string_to_sign() {
        let d = parse_digest(DIGEST.as_bytes()).expect("digest");
        assert_eq!(d.end_time, "2015-08-17T15:01:31Z");
        let p = d.previous.as_ref().expect("previous");
        assert_eq!(p.sha256.as_deref(), Some("97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d"));
        assert_eq!(d.log_files.len(), 1);
        assert_eq!(string_to_sign(&d, "ab"), "2015-08-17T15:01:31Z\nb/AWSLogs/k.json.gz\nab\n5088");

        let starting = DIGEST.replace(r#""previousDigestSignature":"5088""#, r#""previousDigestSignature":null"#)
            .replace(r#""previousDigestS3Object":"AWSLogs/p.json.gz""#, r#""previousDigestS3Object":null"#);
        let d = parse_digest(starting.as_bytes()).expect("digest");
        assert_eq!(d.previous, None);
        assert!(string_to_sign(&d, "ab").ends_with("\nab\nnull"));
    }

    #[test]
    fn parse_digest_names_what_is_wrong() {
        let cases = [
            ("[1]", "invalid JSON"),
            ("{", "invalid JSON"),
            (r#"{"logFiles":[]}"#, "`digestStartTime` is missing"),
            (&DIGEST.replace(r#""digestS3Object":"AWSLogs/k.json.gz""#, r#""digestS3Object":null"#), "`digestS3Object` is missing or null"),
            (&DIGEST.replace(r#""hashValue":"9bb6"#, r#""hashValue":null,"x":"9bb6"#), "`logFiles[0].hashValue` is missing"),
            (&DIGEST.replace(r#""s3Object":"AWSLogs/l.json.gz","#, ""), "`logFiles[0].s3Object` is missing"),
        ];
        for (json, want) in cases {
            let err = parse_digest(json.as_bytes()).expect_err(json);
            assert!(err.contains(want), "{json}: {err}");
        }
        // A hash of the wrong shape is kept (it will not match, and is reported then):
        // one of the corpus's digests has a 63-digit previousDigestHashValue.
        let odd = DIGEST.replace(r#""previousDigestHashValue":"97FB"#, r#""previousDigestHashValue":"97F"#);
        let d = parse_digest(odd.as_bytes()).expect("parsed");
        let hash = d.previous.and_then(|p| p.sha256).expect("hash");
        assert!(hash.starts_with("97f791c") && !is_sha256_hex(&hash), "{hash}");
    }

    #[test]
    fn names_give_chain_time_and_backfill() {
        let n = parse_digest_name("111122223333_CloudTrail-Digest_us-east-2_my_trail_us-east-2_20150817T150131Z.json.gz").expect("name");
        assert_eq!(n.chain, "111122223333_CloudTrail-Digest_us-east-2_my_trail_us-east-2");
        assert_eq!(n.end.to_rfc3339(), "2015-08-17T15:01:31+00:00");
        assert!(!n.backfill);
        let b = parse_digest_name("111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z_backfill.json.gz").expect("backfill");
        assert!(b.backfill);
        for bad in ["x.json.gz", "111_CloudTrail_us-east-1_20150817T150131Z.json.gz", "111_CloudTrail-Digest_r_t_h_2015.json.gz", "a.signature"] {
            assert_eq!(parse_digest_name(bad), None, "{bad}");
        }
        let t = parse_log_name_time("111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz").expect("time");
        assert_eq!(t.to_rfc3339(), "2015-08-01T02:10:00+00:00");
        assert_eq!(parse_log_name_time("readme.json.gz"), None);
    }

    #[test]
    fn verify_signature_accepts_only_the_signed_message() {
        let key = ring::signature::RsaKeyPair::from_pkcs8(include_bytes!("../../testdata/verify/trail-test-key.pk8")).expect("test key");
        let mut sig = vec![0u8; key.public().modulus_len()];
        key.sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), b"message", &mut sig).expect("sign");
        let public = key.public().as_ref();
        assert_eq!(verify_signature(public, b"message", &to_hex(&sig)), Ok(()));
        assert_eq!(verify_signature(public, b"messagf", &to_hex(&sig)), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(public, b"message", "nothex"), Err(SignatureError::NotHex));
        assert_eq!(verify_signature(b"not a key", b"message", &to_hex(&sig)), Err(SignatureError::Mismatch));
    }
}
