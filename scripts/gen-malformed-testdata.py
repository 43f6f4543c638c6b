#!/usr/bin/env python3
"""Regenerates testdata/malformed/: one broken object per file, each with a test.

Run from the repository root: python3 scripts/gen-malformed-testdata.py
Deterministic (gzip mtime 0). Every file here must have an expectation in
tests/it/cli.rs (`MALFORMED`); a guard test fails on a file without one.
"""
import gzip
import io
import json
import pathlib

OUT = pathlib.Path("testdata/malformed")


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def record(i: int) -> dict:
    return {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE",
                         "arn": "arn:aws:iam::111122223333:user/alice",
                         "accountId": "111122223333", "userName": "alice"},
        "eventTime": f"2026-11-25T10:0{i}:00Z", "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity", "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.10", "userAgent": "aws-cli/2.17.0",
        "requestParameters": None, "responseElements": None,
        "eventID": f"00000000-0000-4000-8000-00000000000{i}", "readOnly": True,
        "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": "111122223333", "eventCategory": "Management",
    }


def minified(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def main() -> None:
    good = minified({"Records": [record(1), record(2)]})
    good_gz = gz(good)
    files = {
        "empty.json.gz": b"",
        "not_gzip_or_json.json.gz": b"PK\x03\x04\x14\x00\x00\x00binary zip bytes, not a log",
        "truncated_gzip.json.gz": good_gz[:60],
        # Flip a byte of the CRC-32 in the gzip trailer.
        "corrupt_gzip_crc.json.gz": good_gz[:-8] + bytes([good_gz[-8] ^ 0xFF]) + good_gz[-7:],
        "not_json.json": b"this is plain text, not JSON\n",
        "invalid_json.json.gz": gz(b'{"Records":[{"eventVersion":"1.08",]}\n'),
        "no_records.json.gz": gz(b'{"events":[{"eventName":"x"}],"version":"0"}\n'),
        "records_not_array.json.gz": gz(b'{"Records":{"eventName":"ConsoleLogin"}}\n'),
        "records_not_objects.json.gz": gz(minified({"Records": [record(1), 42, "a string", None, [1], record(2)]})),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(files.items()):
        (OUT / name).write_bytes(data)
        print(f"{OUT / name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
