#!/usr/bin/env bash
# Writes openssl-trail/ (one log file and the signed digest that lists it) and
# openssl-public-keys.json with the shell and the openssl CLI only, as an implementation
# of spec/formats.md §5.3 independent of trailhound's: the test
# `verify_accepts_a_digest_signed_by_openssl` checks that trailhound verifies it.
# The key is trail-test-key.pk8, a TEST-ONLY key made for this repository.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf openssl-trail
account=111122223333 region=us-east-1 bucket=trailhound-openssl-fixture
log_key="AWSLogs/$account/CloudTrail/$region/2026/11/25/${account}_CloudTrail_${region}_20261125T1005Z_OpensslFixture01.json.gz"
digest_key="AWSLogs/$account/CloudTrail-Digest/$region/2026/11/25/${account}_CloudTrail-Digest_${region}_fixture-trail_${region}_20261125T103015Z.json.gz"
mkdir -p "openssl-trail/$(dirname "$log_key")" "openssl-trail/$(dirname "$digest_key")"

log='{"Records":[{"eventVersion":"1.11","eventTime":"2026-11-25T10:01:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","eventID":"00000000-0000-4000-8000-000000000001"}]}'
printf '%s' "$log" | gzip -n -9 > "openssl-trail/$log_key"
log_sha=$(printf '%s' "$log" | sha256sum | cut -d' ' -f1)

public_der=$(mktemp)
openssl pkey -inform DER -in trail-test-key.pk8 -pubout -outform DER 2>/dev/null \
  | openssl rsa -pubin -inform DER -RSAPublicKey_out -outform DER -out "$public_der" 2>/dev/null
fingerprint=$(md5sum < "$public_der" | cut -d' ' -f1)
end=2026-11-25T10:30:15Z
digest=$(printf '{"awsAccountId":"%s","digestStartTime":"2026-11-25T09:30:15Z","digestEndTime":"%s","digestS3Bucket":"%s","digestS3Object":"%s","digestPublicKeyFingerprint":"%s","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2026-11-25T10:01:00Z","oldestEventTime":"2026-11-25T10:01:00Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[{"s3Bucket":"%s","s3Object":"%s","hashValue":"%s","hashAlgorithm":"SHA-256","newestEventTime":"2026-11-25T10:01:00Z","oldestEventTime":"2026-11-25T10:01:00Z"}]}' \
  "$account" "$end" "$bucket" "$digest_key" "$fingerprint" "$bucket" "$log_key" "$log_sha")
printf '%s' "$digest" | gzip -n -9 > "openssl-trail/$digest_key"
digest_sha=$(printf '%s' "$digest" | sha256sum | cut -d' ' -f1)

# digestEndTime \n bucket/key \n hex sha256 of the decompressed digest \n previous signature or null
private_pem=$(mktemp)
openssl pkey -inform DER -in trail-test-key.pk8 -out "$private_pem"
printf '%s\n%s/%s\n%s\n%s' "$end" "$bucket" "$digest_key" "$digest_sha" null \
  | openssl dgst -sha256 -sign "$private_pem" | od -An -v -tx1 | tr -d ' \n' > "openssl-trail/$digest_key.signature"
printf '{"PublicKeyList":[{"Value":"%s","ValidityStartTime":"2026-01-01T00:00:00+00:00","ValidityEndTime":"2027-01-01T00:00:00+00:00","Fingerprint":"%s"}]}\n' \
  "$(base64 -w0 < "$public_der")" "$fingerprint" > openssl-public-keys.json
rm -f "$public_der" "$private_pem"
