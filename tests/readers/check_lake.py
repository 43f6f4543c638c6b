#!/usr/bin/env python3
"""Opens a trailhound lake with real readers (DuckDB and pyarrow) and checks it.

Usage: check_lake.py LAKE_DIR SOURCE_DIR DAY

- the cloudtrail table's column names and types equal tests/data/cloudtrail-columns.tsv
  (the AWS Athena CloudTrail table, then extras), as each reader sees them;
- both readers count the rows the run's manifest says were written;
- `SELECT eventname, useridentity.arn FROM ... WHERE dt = DAY` returns exactly the
  (eventName, userIdentity.arn) of the source records whose eventTime falls on DAY,
  computed here from the source JSON, independently of trailhound.
Exits non-zero with a message on the first mismatch.
"""
import collections
import glob
import gzip
import json
import os
import pathlib
import sys

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

ROOT = pathlib.Path(__file__).resolve().parents[2]


def documented_columns(file="cloudtrail-columns.tsv"):
    rows = []
    for line in (ROOT / "tests/data" / file).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, hive, _origin = line.split("\t")
        rows.append((name, hive))
    return rows


def hive_of_arrow(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "string"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_int32(t):
        return "int"
    if pa.types.is_int64(t):
        return "bigint"
    if pa.types.is_timestamp(t):
        assert t.unit == "ms" and t.tz == "UTC", f"timestamp must be ms UTC, got {t}"
        return "timestamp"
    if pa.types.is_struct(t):
        return "struct<" + ",".join(f"{f.name}:{hive_of_arrow(f.type)}" for f in t) + ">"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"array<{hive_of_arrow(t.value_type)}>"
    if pa.types.is_map(t):
        return f"map<{hive_of_arrow(t.key_type)},{hive_of_arrow(t.item_type)}>"
    raise AssertionError(f"type {t} has no Hive equivalent")


def hive_of_duckdb(t: str) -> str:
    """Parses DuckDB's type text (VARCHAR, STRUCT("a" T, ...), MAP(K, V), T[])."""
    pos = 0

    def skip_ws():
        nonlocal pos
        while pos < len(t) and t[pos] == " ":
            pos += 1

    def name():
        nonlocal pos
        skip_ws()
        if t[pos] == '"':
            end = t.index('"', pos + 1)
            out = t[pos + 1:end]
            pos = end + 1
            return out
        start = pos
        while pos < len(t) and (t[pos].isalnum() or t[pos] == "_"):
            pos += 1
        return t[start:pos]

    def parse():
        nonlocal pos
        skip_ws()
        if t.startswith("STRUCT(", pos):
            pos += len("STRUCT(")
            fields = []
            while True:
                n = name()
                fields.append(f"{n}:{parse()}")
                skip_ws()
                if t[pos] == ",":
                    pos += 1
                    continue
                assert t[pos] == ")"
                pos += 1
                break
            out = "struct<" + ",".join(fields) + ">"
        elif t.startswith("MAP(", pos):
            pos += len("MAP(")
            k = parse()
            skip_ws()
            assert t[pos] == ","
            pos += 1
            v = parse()
            skip_ws()
            assert t[pos] == ")"
            pos += 1
            out = f"map<{k},{v}>"
        elif t.startswith("TIMESTAMP WITH TIME ZONE", pos):
            pos += len("TIMESTAMP WITH TIME ZONE")
            out = "timestamp"
        else:
            word = name()
            out = {"VARCHAR": "string", "BOOLEAN": "boolean", "BIGINT": "bigint",
                   "INTEGER": "int", "DOUBLE": "double"}[word]
        while t.startswith("[]", pos):
            pos += 2
            out = f"array<{out}>"
        return out

    result = parse()
    assert pos == len(t), f"unparsed DuckDB type text: {t[pos:]!r}"
    return result


def expect(cond, message):
    if not cond:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def source_rows(source_dir: pathlib.Path, day: str):
    rows = collections.Counter()
    for path in sorted(source_dir.rglob("*")):
        if not path.is_file() or "/CloudTrail/" not in path.as_posix():
            continue
        raw = path.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        for record in json.loads(data)["Records"]:
            if str(record.get("eventTime", "")).startswith(day):
                rows[(record.get("eventName"), (record.get("userIdentity") or {}).get("arn"))] += 1
    return rows


def main():
    lake, source, day = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
    want_cols = documented_columns()
    manifests = sorted(m for m in glob.glob(str(lake / "_runs" / "*.json")) if not m.endswith(".detect.json"))
    expect(manifests, f"no manifest under {lake}/_runs")
    written = sum(json.load(open(m))["totals"]["rows_by_table"].get("cloudtrail", 0) for m in manifests)

    # pyarrow: hive-partitioned dataset discovery.
    dataset = ds.dataset(str(lake / "cloudtrail"), format="parquet", partitioning="hive")
    got = [(f.name, hive_of_arrow(f.type)) for f in dataset.schema if f.name != "dt"]
    expect(got == want_cols, f"pyarrow columns differ:\n got {got}\nwant {want_cols}")
    expect("dt" in dataset.schema.names, "pyarrow found no dt partition column")
    expect(dataset.count_rows() == written, f"pyarrow counts {dataset.count_rows()} rows, manifest {written}")
    table = dataset.to_table(filter=ds.field("dt") == day, columns=["eventname", "useridentity", "eventtime_ts"])
    expect(table.num_rows > 0, f"pyarrow: no rows in dt={day}")
    for ts in table.column("eventtime_ts").to_pylist():
        expect(ts.strftime("%Y-%m-%d") == day, f"pyarrow: {ts} in partition {day}")

    # DuckDB: hive_partitioning, the documented query shape.
    con = duckdb.connect()
    glob_path = str(lake / "cloudtrail" / "*" / "*.parquet")
    con.execute(f"CREATE VIEW cloudtrail AS SELECT * FROM read_parquet('{glob_path}', hive_partitioning = true)")
    described = [(r[0], r[1]) for r in con.execute("DESCRIBE cloudtrail").fetchall()]
    got = [(n, hive_of_duckdb(t)) for n, t in described if n != "dt"]
    expect(got == want_cols, f"DuckDB columns differ:\n got {got}\nwant {want_cols}")
    count = con.execute("SELECT count(*) FROM cloudtrail").fetchone()[0]
    expect(count == written, f"DuckDB counts {count} rows, manifest {written}")
    rows = con.execute(
        "SELECT eventname, useridentity.arn FROM cloudtrail WHERE dt = ?", [day]
    ).fetchall()
    got_rows = collections.Counter((r[0], r[1]) for r in rows)
    want_rows = source_rows(source, day)
    expect(got_rows == want_rows, f"DuckDB rows for dt={day} differ from the source:\n"
           f" only in lake: {(got_rows - want_rows).most_common(10)}\n"
           f" only in source: {(want_rows - got_rows).most_common(10)}")
    # Typed values: timestamps, booleans, JSON text usable with json functions.
    n_bad = con.execute(
        "SELECT count(*) FROM cloudtrail WHERE strftime(eventtime_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') <> eventtime"
    ).fetchone()[0]
    expect(n_bad == 0, f"DuckDB: {n_bad} rows where eventtime_ts differs from eventtime")
    n_json = con.execute(
        "SELECT count(*) FROM cloudtrail WHERE requestparameters IS NOT NULL AND json_valid(requestparameters)"
    ).fetchone()[0]
    n_params = con.execute("SELECT count(*) FROM cloudtrail WHERE requestparameters IS NOT NULL").fetchone()[0]
    expect(n_json == n_params and n_params > 0, f"DuckDB: {n_params - n_json} requestparameters are not JSON")
    check_s3_access(lake, source, day, con)
    check_findings(lake, con)
    print(f"OK: {lake}: {written} rows; pyarrow and DuckDB agree on columns, types, counts and dt={day} "
          f"({sum(want_rows.values())} cloudtrail rows)")


def source_access_lines(source_dir: pathlib.Path):
    lines = []
    for path in sorted((source_dir / "s3-access-logs").rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode()
            lines.extend(l for l in text.splitlines() if l.strip())
    return lines


def check_s3_access(lake: pathlib.Path, source: pathlib.Path, day: str, con):
    """The s3_access table: columns and types, row count per day from the source lines."""
    want_cols = documented_columns("s3-access-columns.tsv")
    lines = source_access_lines(source)
    expect(lines, f"no access-log lines under {source}/s3-access-logs")
    dataset = ds.dataset(str(lake / "s3_access"), format="parquet", partitioning="hive")
    got = [(f.name, hive_of_arrow(f.type)) for f in dataset.schema if f.name != "dt"]
    expect(got == want_cols, f"pyarrow s3_access columns differ:\n got {got}\nwant {want_cols}")
    expect(dataset.count_rows() == len(lines), f"pyarrow counts {dataset.count_rows()} access rows, source {len(lines)}")
    glob_path = str(lake / "s3_access" / "*" / "*.parquet")
    con.execute(f"CREATE VIEW s3_access AS SELECT * FROM read_parquet('{glob_path}', hive_partitioning = true)")
    described = [(r[0], r[1]) for r in con.execute("DESCRIBE s3_access").fetchall()]
    got = [(n, hive_of_duckdb(t)) for n, t in described if n != "dt"]
    expect(got == want_cols, f"DuckDB s3_access columns differ:\n got {got}\nwant {want_cols}")
    # The request day of each source line, read from its bracketed time.
    months = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
    want_day = 0
    for line in lines:
        stamp = line.split("[", 1)[1][:11]  # 06/Feb/2019
        d, mon, y = stamp.split("/")
        if f"{y}-{months[mon]:02d}-{d}" == day:
            want_day += 1
    got_day = con.execute("SELECT count(*) FROM s3_access WHERE dt = ?", [day]).fetchone()[0]
    expect(got_day == want_day, f"DuckDB: {got_day} access rows for dt={day}, source has {want_day}")
    n_typed = con.execute(
        "SELECT count(*) FROM s3_access WHERE httpstatus = 200 AND bytessent >= 0 AND operation = 'REST.GET.OBJECT'"
    ).fetchone()[0]
    expect(n_typed > 0, "DuckDB: no typed REST.GET.OBJECT rows with httpstatus 200")


def check_findings(lake: pathlib.Path, con):
    """The findings table: both readers count what the detection runs wrote; ids are unique."""
    written = sum(json.load(open(p))["new_findings"] for p in glob.glob(str(lake / "_runs" / "*.detect.json")))
    expect(written > 0, "the detection run wrote no findings")
    dataset = ds.dataset(str(lake / "findings"), format="parquet", partitioning="hive")
    expect(dataset.count_rows() == written, f"pyarrow counts {dataset.count_rows()} findings, runs wrote {written}")
    glob_path = str(lake / "findings" / "*" / "*.parquet")
    con.execute(f"CREATE VIEW findings AS SELECT * FROM read_parquet('{glob_path}', hive_partitioning = true)")
    n, ids, bad_dt = con.execute(
        "SELECT count(*), count(DISTINCT finding_id), count(*) FILTER (WHERE strftime(window_start AT TIME ZONE 'UTC', '%Y-%m-%d') <> dt) FROM findings"
    ).fetchone()
    expect(n == written and ids == n, f"DuckDB: {n} findings, {ids} distinct ids, runs wrote {written}")
    expect(bad_dt == 0, f"DuckDB: {bad_dt} findings outside their window_start's dt partition")
    n_json = con.execute("SELECT count(*) FROM findings WHERE json_valid(evidence) AND len(event_ids) >= 1").fetchone()[0]
    expect(n_json == n, "DuckDB: evidence is not JSON or event_ids is empty")


if __name__ == "__main__":
    main()
