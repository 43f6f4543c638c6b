//! `verify`: a trail built here (five hourly digests, each listing two gzipped log
//! files, signed with the test-only key in testdata/verify/), then tampered with in
//! each way an attacker would; each tampering must be reported exactly (the rows that
//! are not valid, and how many are), and the untouched trail must verify clean.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::Path as FsPath;
use std::process::Command;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};
use ring::signature::RsaKeyPair;
use serde_json::{json, Value};
use sha2::Digest as _;
use trailhound::store::Location;
use trailhound::verify::{PublicKeys, Status, VerifyOptions, VerifyReport};

use crate::repo;

const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";
const CHAIN: &str = "111122223333_CloudTrail-Digest_us-east-1_test-trail_us-east-1";
const NUM_DIGESTS: usize = 5;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("in memory");
    e.finish().expect("in memory")
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("test gzip");
    out
}

/// An RSA key pair from testdata/verify/ and the fingerprint the trail names it by.
struct Signer {
    pair: RsaKeyPair,
    fingerprint: String,
}

impl Signer {
    fn load(file: &str) -> Self {
        let der = std::fs::read(repo().join("testdata/verify").join(file)).expect("test key");
        let pair = RsaKeyPair::from_pkcs8(&der).expect("PKCS#8 test key");
        let fingerprint = sha256(pair.public().as_ref())[..32].to_string();
        Self { pair, fingerprint }
    }

    fn trail() -> Self {
        Self::load("trail-test-key.pk8")
    }

    fn attacker() -> Self {
        Self::load("attacker-test-key.pk8")
    }

    fn sign(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.pair.public().modulus_len()];
        self.pair.sign(&ring::signature::RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), message, &mut sig).expect("sign");
        hex(&sig)
    }

    /// `aws cloudtrail list-public-keys` output holding this key.
    fn public_keys_json(&self) -> String {
        let value = base64::engine::general_purpose::STANDARD.encode(self.pair.public().as_ref());
        json!({"PublicKeyList": [{"Value": value, "ValidityStartTime": "2026-01-01T00:00:00+00:00",
            "ValidityEndTime": "2027-01-01T00:00:00+00:00", "Fingerprint": self.fingerprint}]})
        .to_string()
    }
}

struct Object {
    body: Vec<u8>,
    signature: Option<String>,
}

/// A trail in memory: full S3 keys (with the prefix) to bytes and signatures.
struct Trail {
    objects: BTreeMap<String, Object>,
    digests: Vec<String>,
    digest_json: Vec<Value>,
    logs: Vec<Vec<String>>,
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T10:00:30Z").expect("time").to_utc()
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Trail {
    /// Digests ending 10:00:30, 11:00:30, ... 14:00:30 on 2026-11-25; digest k lists
    /// the log files delivered at its end - 25 and - 10 minutes. `starting` digests
    /// have null previous fields (logging restarted).
    fn build(bucket: &str, prefix: &str, starting: &[usize]) -> Self {
        let signer = Signer::trail();
        let mut trail = Trail { objects: BTreeMap::new(), digests: Vec::new(), digest_json: Vec::new(), logs: Vec::new() };
        for k in 0..NUM_DIGESTS {
            let end = t0() + Duration::hours(k as i64);
            let mut log_files = Vec::new();
            let mut keys = Vec::new();
            for (n, minutes) in [25, 10].into_iter().enumerate() {
                let at = end - Duration::minutes(minutes);
                let key = format!(
                    "{prefix}AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/11/25/{ACCOUNT}_CloudTrail_{REGION}_{}_Test{k}{n}0000000000.json.gz",
                    at.format("%Y%m%dT%H%MZ")
                );
                let content = json!({"Records": [{"eventVersion": "1.11", "eventTime": stamp(at - Duration::minutes(3)),
                    "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": REGION,
                    "eventID": format!("00000000-0000-4000-8000-0000000000{k}{n}")}]})
                .to_string();
                log_files.push(json!({"s3Bucket": bucket, "s3Object": key, "hashValue": sha256(content.as_bytes()),
                    "hashAlgorithm": "SHA-256", "newestEventTime": stamp(at), "oldestEventTime": stamp(at)}));
                trail.objects.insert(key.clone(), Object { body: gzip(content.as_bytes()), signature: None });
                keys.push(key);
            }
            let key = format!(
                "{prefix}AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/2026/11/25/{CHAIN}_{}.json.gz",
                end.format("%Y%m%dT%H%M%SZ")
            );
            let (prev_bucket, prev_key, prev_hash, prev_sig) = match k {
                0 => (Value::Null, Value::Null, Value::Null, Value::Null),
                _ if starting.contains(&k) => (Value::Null, Value::Null, Value::Null, Value::Null),
                _ => {
                    let prev = &trail.objects[&trail.digests[k - 1]];
                    (json!(bucket), json!(trail.digests[k - 1]), json!(sha256(&gunzip(&prev.body))), json!(prev.signature))
                }
            };
            let digest = json!({
                "awsAccountId": ACCOUNT, "digestStartTime": stamp(end - Duration::hours(1)), "digestEndTime": stamp(end),
                "digestS3Bucket": bucket, "digestS3Object": key, "digestPublicKeyFingerprint": signer.fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": stamp(end), "oldestEventTime": stamp(end),
                "previousDigestS3Bucket": prev_bucket, "previousDigestS3Object": prev_key, "previousDigestHashValue": prev_hash,
                "previousDigestHashAlgorithm": if prev_key.is_null() { Value::Null } else { json!("SHA-256") },
                "previousDigestSignature": prev_sig, "logFiles": log_files,
            });
            trail.digests.push(key);
            trail.digest_json.push(Value::Null);
            trail.logs.push(keys);
            trail.sign_digest(k, digest, &signer, None);
        }
        trail
    }

    /// Writes digest `k` as `json`, signed by `signer` (claiming `fingerprint`, else the signer's).
    fn sign_digest(&mut self, k: usize, mut json: Value, signer: &Signer, fingerprint: Option<&str>) {
        json["digestPublicKeyFingerprint"] = json!(fingerprint.unwrap_or(&signer.fingerprint));
        let bytes = serde_json::to_vec(&json).expect("json");
        let prev = json["previousDigestSignature"].as_str().unwrap_or("null").to_string();
        let to_sign = format!(
            "{}\n{}/{}\n{}\n{prev}",
            json["digestEndTime"].as_str().expect("end"),
            json["digestS3Bucket"].as_str().expect("bucket"),
            json["digestS3Object"].as_str().expect("key"),
            sha256(&bytes)
        );
        let signature = signer.sign(to_sign.as_bytes());
        self.objects.insert(self.digests[k].clone(), Object { body: gzip(&bytes), signature: Some(signature) });
        self.digest_json[k] = json;
    }

    /// Re-signs digest `k` after `change` edits its JSON.
    fn resign(&mut self, k: usize, signer: &Signer, fingerprint: Option<&str>, change: impl FnOnce(&mut Value)) {
        let mut json = self.digest_json[k].clone();
        change(&mut json);
        self.sign_digest(k, json, signer, fingerprint);
    }

    fn object(&mut self, key: &str) -> &mut Object {
        self.objects.get_mut(key).unwrap_or_else(|| panic!("{key} not in the trail"))
    }

    fn remove(&mut self, key: &str) {
        self.objects.remove(key).unwrap_or_else(|| panic!("{key} not in the trail"));
    }

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T09:30:00Z").expect("time").to_utc()
    }

    fn end() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T14:00:00Z").expect("time").to_utc()
    }

    /// Writes the trail under `dir`, each signature in `<digest>.signature`.
    fn write_local(&self, dir: &FsPath) {
        for (key, object) in &self.objects {
            let path = dir.join(key);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &object.body).expect("write");
            if let Some(sig) = &object.signature {
                std::fs::write(dir.join(format!("{key}.signature")), sig).expect("write signature");
            }
        }
    }

    /// Uploads the trail, each signature as the object's `signature` metadata.
    async fn upload(&self, store: &Arc<dyn ObjectStore>) {
        for (key, object) in &self.objects {
            let attributes = match &object.signature {
                Some(sig) => Attributes::from_iter([(Attribute::Metadata("signature".into()), sig.clone())]),
                None => Attributes::new(),
            };
            store
                .put_opts(&Path::from(key.as_str()), PutPayload::from(object.body.clone()), PutOptions { attributes, ..PutOptions::default() })
                .await
                .expect("upload");
        }
    }
}

fn trail_keys() -> PublicKeys {
    PublicKeys::from_json(Signer::trail().public_keys_json().as_bytes(), "test").expect("keys")
}

/// Verifies `trail` written to a temporary folder, over [09:30, 14:00).
fn verify_local(trail: &Trail) -> (tempfile::TempDir, VerifyReport) {
    let dir = tempfile::tempdir().expect("tmp");
    trail.write_local(dir.path());
    let mut options = VerifyOptions::new(dir.path().to_str().expect("utf8"), Trail::start(), Trail::end());
    options.public_keys = Some(trail_keys());
    let report = trailhound::verify::verify(&options).expect("verify runs");
    (dir, report)
}

/// The rows that are not valid as (status, key relative to `root`), sorted, and the
/// number of valid rows.
fn problems(report: &VerifyReport, root: &str) -> (Vec<(String, String)>, usize) {
    let mut out: Vec<(String, String)> = report
        .rows
        .iter()
        .filter(|r| r.status != Status::Valid)
        .map(|r| (r.status.as_str().to_string(), r.key.strip_prefix(root).unwrap_or(&r.key).trim_start_matches('/').to_string()))
        .collect();
    out.sort();
    (out, report.rows.iter().filter(|r| r.status == Status::Valid).count())
}

fn local_problems(trail: &Trail) -> (Vec<(String, String)>, usize, VerifyReport) {
    let (dir, report) = verify_local(trail);
    let (p, valid) = problems(&report, dir.path().to_str().expect("utf8"));
    (p, valid, report)
}

fn rows(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = expected.iter().map(|(s, k)| (s.to_string(), k.to_string())).collect();
    v.sort();
    v
}

fn detail<'a>(report: &'a VerifyReport, key_end: &str) -> &'a str {
    report.rows.iter().find(|r| r.key.ends_with(key_end)).map(|r| r.detail.as_str()).unwrap_or_else(|| panic!("no row for {key_end}"))
}

const ALL_ROWS: usize = NUM_DIGESTS * 3;

#[test]
fn verify_untouched_trail_is_clean() {
    let trail = Trail::build("trail-bucket", "", &[]);
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[]));
    assert_eq!(valid, ALL_ROWS, "5 digests and 10 log files");
    assert!(report.is_clean());
    let logs = report.log_status();
    assert_eq!(logs.len(), 10);
    assert!(logs.values().all(|s| *s == Status::Valid));
    let log_row = report.rows.iter().find(|r| r.key.ends_with(&trail.logs[1][0])).expect("log row");
    assert_eq!(log_row.digest_key.as_deref().map(|d| d.ends_with(&trail.digests[1])), Some(true));
    assert_eq!(log_row.expected_sha256, log_row.actual_sha256);
    assert_eq!((log_row.account.as_deref(), log_row.region.as_deref()), (Some(ACCOUNT), Some(REGION)));
}

#[test]
fn verify_reports_a_modified_log_file() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let key = trail.logs[1][0].clone();
    trail.object(&key).body = gzip(br#"{"Records":[]}"#);
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("modified", &key)]));
    assert_eq!(valid, ALL_ROWS - 1);
    let row = report.rows.iter().find(|r| r.key.ends_with(&key)).expect("row");
    assert_eq!(row.actual_sha256.as_deref(), Some(sha256(br#"{"Records":[]}"#).as_str()));
    assert_ne!(row.expected_sha256, row.actual_sha256);
}

#[test]
fn verify_reports_a_deleted_log_file() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let key = trail.logs[3][1].clone();
    trail.remove(&key);
    let (p, valid, _) = local_problems(&trail);
    assert_eq!(p, rows(&[("deleted", &key)]));
    assert_eq!(valid, ALL_ROWS - 1);
}

#[test]
fn verify_reports_an_added_log_file_as_not_covered() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let key = format!("AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2026/11/25/{ACCOUNT}_CloudTrail_{REGION}_20261125T1145Z_Planted000000000.json.gz");
    trail.objects.insert(key.clone(), Object { body: gzip(br#"{"Records":[]}"#), signature: None });
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("not-covered", &key)]));
    assert_eq!(valid, ALL_ROWS);
    assert_eq!(detail(&report, &key), "no digest of the range lists it");
}

#[test]
fn verify_reports_a_deleted_digest_and_the_log_files_it_covered() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let gone = trail.digests[2].clone();
    let sha = sha256(&gunzip(&trail.objects[&gone].body));
    trail.remove(&gone);
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("deleted", &gone), ("not-covered", &trail.logs[2][0]), ("not-covered", &trail.logs[2][1])]));
    assert_eq!(valid, ALL_ROWS - 3);
    let row = report.rows.iter().find(|r| r.key.ends_with(&gone)).expect("row");
    assert_eq!(row.expected_sha256.as_deref(), Some(sha.as_str()), "the hash the next digest recorded");
    assert!(row.digest_key.as_deref().is_some_and(|d| d.ends_with(&trail.digests[3])));
}

#[test]
fn verify_reports_both_of_two_consecutive_deleted_digests() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let (second, first) = (trail.digests[3].clone(), trail.digests[2].clone());
    trail.remove(&first);
    trail.remove(&second);
    let (p, valid, report) = local_problems(&trail);
    // Digest 4 names digest 3; nothing names digest 2, so its name is known up to the hour.
    let unnamed = format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/2026/11/25/{CHAIN}_20261125T12*.json.gz");
    assert!(first.contains("_20261125T120030Z"), "{first}");
    assert_eq!(
        p,
        rows(&[
            ("deleted", &second),
            ("deleted", &unnamed),
            ("not-covered", &trail.logs[2][0]),
            ("not-covered", &trail.logs[2][1]),
            ("not-covered", &trail.logs[3][0]),
            ("not-covered", &trail.logs[3][1]),
        ])
    );
    assert_eq!(valid, ALL_ROWS - 6);
    assert!(detail(&report, &unnamed).contains("digests are hourly"), "{}", detail(&report, &unnamed));
}

#[test]
fn verify_reports_the_newest_digest_deleted_as_a_gap_at_the_end() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let last = trail.digests[4].clone();
    trail.remove(&last);
    let (p, valid, _) = local_problems(&trail);
    let expected = format!("AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/2026/11/25/{CHAIN}_20261125T14*.json.gz");
    assert_eq!(p, rows(&[("gap", &expected), ("not-covered", &trail.logs[4][0]), ("not-covered", &trail.logs[4][1])]));
    assert_eq!(valid, ALL_ROWS - 3);
}

#[test]
fn verify_reports_a_modified_digest_as_a_bad_signature() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let k = 2;
    // The attacker changes a log file and the hash its digest records, but cannot re-sign.
    let log = trail.logs[k][0].clone();
    let forged = br#"{"Records":[{"eventName":"Innocent"}]}"#;
    trail.object(&log).body = gzip(forged);
    let signature = trail.objects[&trail.digests[k]].signature.clone();
    let mut json = trail.digest_json[k].clone();
    json["logFiles"][0]["hashValue"] = json!(sha256(forged));
    let digest = trail.digests[k].clone();
    trail.object(&digest).body = gzip(&serde_json::to_vec(&json).expect("json"));
    trail.object(&digest).signature = signature;
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("bad-signature", &digest), ("not-covered", &trail.logs[k][0]), ("not-covered", &trail.logs[k][1])]));
    assert_eq!(valid, ALL_ROWS - 3);
    let d = detail(&report, &digest);
    assert!(d.contains("does not verify") && d.contains("records it differently"), "{d}");
    assert!(detail(&report, &log).contains("which did not verify (bad-signature)"), "{}", detail(&report, &log));
}

#[test]
fn verify_reports_a_digest_without_signature_as_unsigned() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let digest = trail.digests[1].clone();
    trail.object(&digest).signature = None;
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("unsigned", &digest), ("not-covered", &trail.logs[1][0]), ("not-covered", &trail.logs[1][1])]));
    assert_eq!(valid, ALL_ROWS - 3);
    assert!(detail(&report, &digest).contains(".signature file"), "{}", detail(&report, &digest));
}

#[test]
fn verify_reports_a_digest_signed_by_another_key() {
    let attacker = Signer::attacker();
    // Re-signed with the attacker's key, naming it: no such public key.
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let digest = trail.digests[2].clone();
    trail.resign(2, &attacker, None, |j| j["logFiles"] = json!([]));
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("key-not-found", &digest), ("not-covered", &trail.logs[2][0]), ("not-covered", &trail.logs[2][1])]));
    assert_eq!(valid, ALL_ROWS - 3);
    assert!(detail(&report, &digest).contains(&attacker.fingerprint));

    // Re-signed with the attacker's key, claiming the trail's fingerprint: a bad signature.
    let mut trail = Trail::build("trail-bucket", "", &[]);
    trail.resign(2, &attacker, Some(&Signer::trail().fingerprint), |j| j["logFiles"] = json!([]));
    let (p, valid, _) = local_problems(&trail);
    assert_eq!(p, rows(&[("bad-signature", &digest), ("not-covered", &trail.logs[2][0]), ("not-covered", &trail.logs[2][1])]));
    assert_eq!(valid, ALL_ROWS - 3);
}

#[test]
fn verify_reports_chain_breaks_even_when_the_signatures_verify() {
    // A signer holding the trail's key (the test's stand-in for a forged but valid
    // signature) rewrites digest 2's previous fields: only the chain shows it, on both
    // of digest 2's links (digest 3 recorded the old digest 2).
    for (field, value) in [
        ("previousDigestHashValue", json!("0".repeat(64))),
        ("previousDigestSignature", json!("ab".repeat(256))),
    ] {
        let mut trail = Trail::build("trail-bucket", "", &[]);
        trail.resign(2, &Signer::trail(), None, |j| j[field] = value);
        let (p, valid, report) = local_problems(&trail);
        assert_eq!(p, rows(&[("chain-break", &trail.digests[2]), ("chain-break", &trail.digests[3])]), "{field}");
        assert_eq!(valid, ALL_ROWS - 2, "{field}: the log files still verify");
        assert!(detail(&report, &trail.digests[2]).contains(field), "{}", detail(&report, &trail.digests[2]));
    }
    // Re-signed by an attacker with their own key: the key is unknown.
    let mut trail = Trail::build("trail-bucket", "", &[]);
    trail.resign(2, &Signer::attacker(), None, |j| j["previousDigestHashValue"] = json!("0".repeat(64)));
    let (p, _, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("key-not-found", &trail.digests[2]), ("not-covered", &trail.logs[2][0]), ("not-covered", &trail.logs[2][1])]));
    assert!(detail(&report, &trail.digests[2]).contains("records it differently"));
}

#[test]
fn verify_reports_a_restarted_chain_as_a_gap() {
    let trail = Trail::build("trail-bucket", "", &[3]);
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("gap", &trail.digests[3])]));
    assert_eq!(valid, ALL_ROWS - 1);
    assert!(detail(&report, &trail.digests[3]).contains("starting digest"));
}

#[test]
fn verify_reports_a_log_file_with_data_after_its_gzip_member() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let key = trail.logs[0][1].clone();
    let extra = gzip(br#"{"Records":[{"eventName":"Hidden"}]}"#);
    trail.object(&key).body.extend_from_slice(&extra);
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("modified", &key)]));
    assert_eq!(valid, ALL_ROWS - 1);
    let row = report.rows.iter().find(|r| r.key.ends_with(&key)).expect("row");
    assert_eq!(row.expected_sha256, row.actual_sha256, "the first member still matches");
    assert!(row.detail.contains(&format!("{} bytes after the end of the gzip member", extra.len())), "{}", row.detail);
}

#[test]
fn verify_reports_unreadable_and_moved_digests() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let digest = trail.digests[1].clone();
    trail.object(&digest).body = b"not gzip".to_vec();
    let (p, valid, report) = local_problems(&trail);
    assert_eq!(p, rows(&[("invalid-format", &digest), ("not-covered", &trail.logs[1][0]), ("not-covered", &trail.logs[1][1])]));
    assert_eq!(valid, ALL_ROWS - 3);
    assert!(detail(&report, &digest).starts_with("not gzip"), "{}", detail(&report, &digest));

    // Signed for another place: digest 3 still names the original, so its link breaks too.
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let elsewhere = trail.digests[2].replace("2026/11/25", "2026/11/24");
    trail.resign(2, &Signer::trail(), None, |j| j["digestS3Object"] = json!(elsewhere));
    let (p, _, _) = local_problems(&trail);
    assert_eq!(
        p,
        rows(&[("moved", &trail.digests[2]), ("chain-break", &trail.digests[3]), ("not-covered", &trail.logs[2][0]), ("not-covered", &trail.logs[2][1])])
    );
}

#[test]
fn verify_accepts_a_digest_signed_by_openssl() {
    // testdata/verify/make-openssl-trail.sh signs with the openssl CLI over a string
    // built by printf: an independent implementation of the string to sign.
    let keys = PublicKeys::from_file(&repo().join("testdata/verify/openssl-public-keys.json")).expect("keys");
    let start = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z").expect("t").to_utc();
    let mut options = VerifyOptions::new(repo().join("testdata/verify/openssl-trail").to_str().expect("utf8"), start, start + Duration::minutes(30));
    options.public_keys = Some(keys);
    let report = trailhound::verify::verify(&options).expect("verify");
    let statuses: Vec<(&str, &str)> = report.rows.iter().map(|r| (r.kind.as_str(), r.status.as_str())).collect();
    assert_eq!(statuses, [("digest", "valid"), ("log", "valid")], "{:#?}", report.rows);
}

#[test]
fn verify_reads_real_digest_files() {
    // The digests in the shared corpus carry no signatures (that is S3 metadata), so
    // they must read as unsigned: parsed, not invalid-format.
    let Some(corpus) = crate::shared_corpus() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let mut checked = 0;
    for path in crate::walk(&corpus.join("cloudtrail")) {
        if !path.to_string_lossy().contains("/CloudTrail-Digest/") {
            continue;
        }
        let raw = std::fs::read(&path).expect("read");
        let json: Value = serde_json::from_slice(&gunzip(&raw)).expect("digest JSON");
        let key = json["digestS3Object"].as_str().expect("digestS3Object");
        let target = dir.path().join(key);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(&target, &raw).expect("write");
        let end = DateTime::parse_from_rfc3339(json["digestEndTime"].as_str().expect("end")).expect("time").to_utc();
        let mut options = VerifyOptions::new(dir.path().to_str().expect("utf8"), end - Duration::minutes(30), end);
        options.public_keys = Some(PublicKeys::default());
        let report = trailhound::verify::verify(&options).expect("verify");
        let row = report.rows.iter().find(|r| r.key.ends_with(key)).unwrap_or_else(|| panic!("{key}: {:#?}", report.rows));
        assert_eq!(row.status, Status::Unsigned, "{key}: {}", row.detail);
        assert_eq!(row.time, Some(end));
        checked += 1;
    }
    assert!(checked >= 3, "{checked} corpus digests");
}

fn trailhound(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_trailhound"))
        .args(args)
        .env_remove("TRAILHOUND_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("run trailhound")
}

#[test]
fn verify_cli_exit_codes_whole_keys_and_outputs() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let dir = tempfile::tempdir().expect("tmp");
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, Signer::trail().public_keys_json()).expect("keys");
    let src = dir.path().join("trail");
    trail.write_local(&src);
    let (src_s, keys_s) = (src.to_str().expect("utf8"), keys_file.to_str().expect("utf8"));
    let range = ["--start-time", "2026-11-25T09:30:00Z", "--end-time", "2026-11-25T14:00:00Z"];
    let args = |extra: &[&'static str]| -> Vec<String> {
        let mut a: Vec<String> = ["verify", src_s, "--public-keys", keys_s].iter().map(|s| s.to_string()).collect();
        a.extend(range.iter().chain(extra).map(|s| s.to_string()));
        a
    };
    let run = |a: Vec<String>| trailhound(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]);

    let out = run(args(&[]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(out.stdout.is_empty(), "no problems, no table");
    assert!(stderr.contains("5 digests, 10 log files: 15 valid"), "{stderr}");

    // A deleted log file: exit 4, its whole key on stdout.
    let gone = trail.logs[2][1].clone();
    std::fs::remove_file(src.join(&gone)).expect("rm");
    trail.remove(&gone);
    let report = dir.path().join("report.json");
    let mut a = args(&["--all"]);
    a.extend(["--output".to_string(), report.to_string_lossy().into_owned()]);
    let out = run(a);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let whole = format!("{src_s}/{gone}");
    assert!(whole.len() > 130, "longer than a terminal line: {whole}");
    let first = stdout.lines().nth(1).expect("a row");
    assert!(first.starts_with("deleted") && first.contains(&whole), "{stdout}");
    assert_eq!(stdout.lines().count(), 1 + ALL_ROWS, "--all lists every row: {stdout}");
    let doc: Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!(doc["rows"].as_array().map(Vec::len), Some(ALL_ROWS));
    assert_eq!(doc["counts"]["deleted"], 1);

    // JSON logs: one summary line with the exit code; Parquet output.
    let parquet = dir.path().join("report.parquet");
    let mut a = vec!["--log-format".to_string(), "json".to_string()];
    a.extend(args(&[]));
    a.extend(["--output".to_string(), parquet.to_string_lossy().into_owned()]);
    let out = run(a);
    assert_eq!(out.status.code(), Some(4));
    let summary: Value = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| serde_json::from_str::<Value>(l).ok().filter(|v| v["fields"]["message"] == "verify finished"))
        .expect("summary line");
    assert_eq!(summary["fields"]["exit_code"], 4);
    let file = std::fs::File::open(&parquet).expect("parquet");
    let rows: usize = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch").num_rows())
        .sum();
    assert_eq!(rows, ALL_ROWS);

    // Could not run: 1; bad command line: 2.
    let out = trailhound(&["verify", "/nonexistent/trail", "--date", "2026-11-25", "--public-keys", keys_s], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let out = trailhound(&["verify", src_s, "--date", "2026-11-25", "--output", "report.csv"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let out = trailhound(&["verify", src_s, "--public-keys", keys_s], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("verify needs a range"));
}

/// A loopback stand-in for CloudTrail's ListPublicKeys that records each request.
fn key_server(status: &'static str, answer: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then Content-Length bytes of body.
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            log.lock().expect("log").push(String::from_utf8_lossy(&request).to_string());
            let response = format!("HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}", answer.len());
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (url, seen)
}

#[test]
fn verify_fetches_public_keys_with_signed_requests() {
    let trail = Trail::build("trail-bucket", "", &[]);
    let dir = tempfile::tempdir().expect("tmp");
    trail.write_local(dir.path());
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_trailhound"))
            .args(["verify", dir.path().to_str().expect("utf8"), "--start-time", "2026-11-25T09:30:00Z", "--end-time", "2026-11-25T14:00:00Z"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .envs([("AWS_ENDPOINT_URL_CLOUDTRAIL", url), ("AWS_ACCESS_KEY_ID", "AKIDTEST"), ("AWS_SECRET_ACCESS_KEY", "secret")])
            .output()
            .expect("run trailhound")
    };
    let (url, seen) = key_server("200 OK", Signer::trail().public_keys_json());
    let out = run(&url);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let requests = seen.lock().expect("log").clone();
    assert_eq!(requests.len(), 1, "one region, one page: {requests:?}");
    let r = requests[0].to_ascii_lowercase();
    assert!(r.starts_with("post / http/1.1"), "{r}");
    assert!(r.contains("x-amz-target: com.amazonaws.cloudtrail.v20131101.cloudtrail_20131101.listpublickeys"), "{r}");
    let auth = r.lines().find(|l| l.starts_with("authorization:")).expect("signed");
    assert!(auth.contains("aws4-hmac-sha256 credential=akidtest/") && auth.contains("/us-east-1/cloudtrail/aws4_request"), "{auth}");
    assert!(auth.contains("signedheaders=content-type;host;x-amz-date;x-amz-target, signature="), "{auth}");
    // The range asked for: an hour before the start to two after the end.
    let body: Value = serde_json::from_str(&requests[0][requests[0].find("\r\n\r\n").expect("body") + 4..]).expect("json body");
    assert_eq!(body["StartTime"], Trail::start().timestamp() - 3600);
    assert_eq!(body["EndTime"], Trail::end().timestamp() + 7200);

    // Refused: could not run (1), one error naming the API and AWS's answer.
    let (url, _) = key_server("403 Forbidden", r#"{"__type":"AccessDeniedException","message":"not allowed"}"#.into());
    let out = run(&url);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ListPublicKeys in us-east-1") && stderr.contains("AccessDeniedException: not allowed"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_over_s3_reads_signature_metadata() {
    let Some(moto) = crate::s3::moto() else { return };
    moto.util(&["mkbucket", "verify-src"]);
    let store = moto.store("verify-src");
    let mut trail = Trail::build("verify-src", "org/", &[]);
    trail.upload(&store).await;
    let location = |store: Arc<dyn ObjectStore>| Location {
        unreadable: None,
        store,
        prefix: Path::from("org"),
        display: "s3://verify-src/org".into(),
        local: None,
    };
    let run = |store: Arc<dyn ObjectStore>| {
        let mut options = VerifyOptions::new("s3://verify-src/org", Trail::start(), Trail::end());
        options.source_store = Some(location(store));
        options.public_keys = Some(trail_keys());
        async move { trailhound::verify::verify_async(&options).await.expect("verify") }
    };
    let report = run(store.clone()).await;
    let (p, valid) = problems(&report, "s3://verify-src");
    assert_eq!(p, rows(&[]));
    assert_eq!(valid, ALL_ROWS);
    assert!(report.rows.iter().all(|r| r.key.starts_with("s3://verify-src/org/AWSLogs/")), "{:?}", report.rows[0].key);
    // Exactly: the prefix (to find AWSLogs/), AWSLogs/ (accounts), the account's two
    // folders (regions), then the one day of digests and the one day of log files.
    let mut prefixes = moto.list_prefixes("verify-src");
    prefixes.sort();
    let account = format!("org/AWSLogs/{ACCOUNT}");
    assert_eq!(
        prefixes,
        [
            "org/".to_string(),
            "org/AWSLogs/".into(),
            format!("{account}/CloudTrail-Digest/"),
            format!("{account}/CloudTrail-Digest/{REGION}/2026/11/25/"),
            format!("{account}/CloudTrail/"),
            format!("{account}/CloudTrail/{REGION}/2026/11/25/"),
        ],
        "LIST requests"
    );
    assert_eq!(report.list_calls, 6);

    // Delete a log file; copy a digest over itself without its metadata (unsigned).
    let gone = trail.logs[0][0].clone();
    store.delete(&Path::from(gone.as_str())).await.expect("delete");
    let digest = trail.digests[3].clone();
    trail.object(&digest).signature = None;
    let body = trail.objects[&digest].body.clone();
    store.put(&Path::from(digest.as_str()), PutPayload::from(body)).await.expect("put");
    let report = run(store.clone()).await;
    let (p, valid) = problems(&report, "s3://verify-src");
    assert_eq!(
        p,
        rows(&[("deleted", &gone), ("unsigned", &digest), ("not-covered", &trail.logs[3][0]), ("not-covered", &trail.logs[3][1])])
    );
    assert_eq!(valid, ALL_ROWS - 4);
    assert!(detail(&report, &digest).contains("x-amz-meta-signature"));
}

/// `scan --verify`: each object's integrity status in the manifest, the problems in its
/// summary, exit code 4, and the data still ingested (an investigator wants it).
#[test]
fn scan_verify_records_each_objects_status_in_the_manifest() {
    let mut trail = Trail::build("trail-bucket", "", &[]);
    let dir = tempfile::tempdir().expect("tmp");
    let keys_file = dir.path().join("keys.json");
    std::fs::write(&keys_file, Signer::trail().public_keys_json()).expect("keys");
    let src = dir.path().join("trail");
    let lake = dir.path().join("lake");
    let tampered = trail.logs[3][0].clone();
    trail.object(&tampered).body = gzip(br#"{"Records":[{"eventVersion":"1.11","eventTime":"2026-11-25T12:40:00Z","eventID":"forged"}]}"#);
    trail.write_local(&src);
    let (src_s, keys_s, lake_s) = (src.to_str().expect("utf8"), keys_file.to_str().expect("utf8"), lake.to_str().expect("utf8"));
    let out = trailhound(
        &["scan", src_s, "--date", "2026-11-25", "--verify", "--public-keys", keys_s, "--out", lake_s, "--no-detect"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    let whole = format!("{src_s}/{tampered}");
    assert!(stderr.contains(&format!("integrity: modified log: {whole}")), "{stderr}");
    let manifest = crate::walk(&lake.join("_runs")).into_iter().find(|p| p.extension().is_some_and(|e| e == "json")).expect("manifest");
    let m: Value = serde_json::from_slice(&std::fs::read(manifest).expect("read")).expect("json");
    let statuses: BTreeMap<String, String> = m["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| (o["key"].as_str().expect("key").to_string(), o["verification"].as_str().unwrap_or("none").to_string()))
        .collect();
    assert_eq!(statuses.len(), 10, "{statuses:?}");
    for (key, status) in &statuses {
        let want = if *key == whole { "modified" } else { "valid" };
        assert_eq!(status, want, "{key}");
    }
    let problems: Vec<(&str, &str)> = m["verification"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["status"].as_str().expect("status"), p["key"].as_str().expect("key")))
        .collect();
    assert!(problems.contains(&("modified", whole.as_str())), "{problems:?}");
    // The tampered file's rows are in the lake all the same.
    assert_eq!(m["totals"]["rows_written"], 10);
}
