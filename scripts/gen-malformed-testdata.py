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


OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"


def access_line(n: int) -> str:
    return (f'{OWNER} ml-training-data [25/Nov/2026:10:0{n}:00 +0000] 192.0.2.10 '
            f'arn:aws:iam::111122223333:user/alice 3E57427F3EXAMPL{n} REST.GET.OBJECT data/part-{n}.csv '
            f'"GET /ml-training-data/data/part-{n}.csv HTTP/1.1" 200 - 1024 1024 12 10 "-" "aws-cli/2.17.0" - '
            f'HOSTID{n}= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader ml-training-data.s3.us-east-1.amazonaws.com TLSv1.2')


# One record per typed top-level column (all but the JSON-text ones), holding a value
# of the wrong JSON type: each must be written, with the value kept in `unmapped`.
# tests/it/hostile.rs checks this list against the schema.
WRONG = {"string": {"wrong": [1]}, "bool": "maybe", "struct": "not an object", "list": {"ARN": "not a list"}}
WRONG_TYPES = {
    **{k: WRONG["string"] for k in [
        "eventVersion", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent",
        "errorCode", "errorMessage", "requestID", "eventID", "eventType", "apiVersion", "readOnly",
        "recipientAccountId", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "eventCategory",
        "sessionCredentialFromConsole", "annotation"]},
    "managementEvent": WRONG["bool"],
    **{k: WRONG["struct"] for k in ["userIdentity", "addendum", "tlsDetails"]},
    "resources": WRONG["list"],
}


def wrong_type_records() -> list:
    out = []
    for i, (key, value) in enumerate(WRONG_TYPES.items()):
        r = record(i % 10)
        r[key] = value
        out.append(r)
    return out


def main() -> None:
    good = minified({"Records": [record(1), record(2)]})
    good_gz = gz(good)
    five = minified({"Records": [record(i) for i in range(1, 6)]})
    # A record of 2 MiB, over the tests' --max-record-bytes of 1 MiB.
    big = record(2)
    big["requestParameters"] = {"policy": "x" * (2 << 20)}
    # Deflate output of a long run is tiny: 40 MiB of spaces inflate past the tests'
    # --max-decompressed-bytes of 32 MiB from a file of about 40 KiB.
    bomb = b'{"Records":[' + b" " * (40 << 20) + b"]}"
    # A gzip trailer that claims 4 GiB - 1 decompressed bytes for two records.
    claim = bytearray(good_gz)
    claim[-4:] = (0xFFFFFFFF).to_bytes(4, "little")
    access_good = "\n".join(access_line(n) for n in (1, 2)).encode()
    access_cut = gz(("\n".join(access_line(n) for n in (1, 2, 3)) + "\n").encode())
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
        # Deflate emits late: 12 bytes from the end cuts inside the fifth record.
        "truncated_gzip_records.json.gz": gz(five)[:-12],
        "truncated_json.json.gz": gz(five[: five.index(b'"eventTime":"2026-11-25T10:04')]),
        "gzip_bomb.json.gz": gz(bomb),
        "isize_claims_4gib.json.gz": bytes(claim),
        "oversized_record.json.gz": gz(minified({"Records": [record(1), big, record(3)]})),
        "deep_nesting.json.gz": gz(
            minified({"Records": [record(1)]})[:-2]
            + b',{"eventTime":"2026-11-25T10:05:00Z","requestParameters":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
            + b"," + minified(record(3)) + b"]}"
        ),
        "invalid_utf8.json.gz": gz(
            five.replace(b'"userAgent":"aws-cli/2.17.0","requestParameters":null,"responseElements":null,"eventID":"00000000-0000-4000-8000-000000000002"',
                         b'"userAgent":"aws-cli/2.17.0 \xff\xfe","requestParameters":null,"responseElements":null,"eventID":"00000000-0000-4000-8000-000000000002"')
        ),
        "duplicate_keys.json.gz": gz(minified({"Records": [record(1)]}).replace(b'"eventName":"GetCallerIdentity"', b'"eventName":"GetCallerIdentity","eventName":"DeleteTrail"')),
        "huge_numbers.json.gz": gz(
            minified({"Records": [record(1), record(2)]}).replace(
                b'"requestParameters":null', b'"requestParameters":{"big":123456789012345678901234567890,"exp":1e400,"tiny":-1e-400,"neg":-99999999999999999999}', 1)
        ),
        "nul_bytes.json.gz": gz(
            minified({"Records": [record(1), record(2), record(3)]})
            .replace(b'"userAgent":"aws-cli/2.17.0"', b'"userAgent":"aws-cli\\u0000/2.17.0"', 1)
            .replace(b'"sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.17.0","requestParameters":null,"responseElements":null,"eventID":"00000000-0000-4000-8000-000000000003"',
                     b'"sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.17.0\x00","requestParameters":null,"responseElements":null,"eventID":"00000000-0000-4000-8000-000000000003"')
        ),
        "wrong_types.json.gz": gz(minified({"Records": wrong_type_records()})),
        "access_faults.log.gz": gz(
            access_good + b"\n"
            + access_line(3).split(" 192.0.2.10 ")[0].encode() + b"\n"  # too few fields
            + access_line(4).replace('"aws-cli/2.17.0" -', '"aws-cli/2.17.0 -').encode() + b"\n"  # broken quote
            + access_line(5).replace("[25/Nov/2026", "[31/Nov/2026").encode() + b"\n"  # bad date
            + access_line(6).encode() + b"\n"
        ),
        # Cut in the third line: the first two are kept.
        "access_truncated.log.gz": access_cut[:-12],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(files.items()):
        (OUT / name).write_bytes(data)
        print(f"{OUT / name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
