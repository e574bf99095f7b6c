"""Reads loglake's Iceberg table with Apache Spark (pyspark + iceberg-spark-runtime), an engine
loglake did not write, through the REST catalog and S3.

Usage: read_table.py '<json config>'  (catalog url, namespace, table, s3 endpoint and keys,
hour_ms, jars: the Iceberg Spark runtime and AWS bundle jars, optional snapshot_ids: decimal
strings, null for the current snapshot; default [null])
Prints {"reads": [...]}, one object per snapshot: its id, the row count, distinct event ids, the
SHA-256 of the sorted event ids, Spark's type of ts, a column sum, and for a filter on one hour of
ts the rows and the data files the Iceberg scan kept and skipped (Spark's scan metrics: partition
pruning). One Spark session for all, since starting one costs most of the time.
"""
import hashlib
import json
import sys

from pyspark.sql import SparkSession


def session(cfg: dict) -> SparkSession:
    c = "spark.sql.catalog.lake"
    builder = (
        SparkSession.builder.master("local[1]")
        .appName("loglake-read-table")
        .config("spark.jars", ",".join(cfg["jars"]))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "512m")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config(c, "org.apache.iceberg.spark.SparkCatalog")
        .config(f"{c}.type", "rest")
        .config(f"{c}.uri", cfg["catalog_url"])
        .config(f"{c}.io-impl", "org.apache.iceberg.aws.s3.S3FileIO")
        .config(f"{c}.s3.endpoint", cfg["s3_endpoint"])
        .config(f"{c}.s3.path-style-access", "true")
        .config(f"{c}.s3.access-key-id", cfg["s3_access_key_id"])
        .config(f"{c}.s3.secret-access-key", cfg["s3_secret_access_key"])
        .config(f"{c}.client.region", cfg["s3_region"])
    )
    return builder.getOrCreate()


def scan_metrics(df) -> dict:
    """The custom metrics of the plan's Iceberg scan node (resultDataFiles, skippedDataFiles, ...)."""
    plan = df._jdf.queryExecution().executedPlan()
    while plan.children().size() > 0:
        plan = plan.children().apply(0)
    metrics = plan.metrics()
    out = {"node": plan.nodeName()}
    for name in ("resultDataFiles", "skippedDataFiles", "totalDataManifest"):
        m = metrics.get(name)
        if m.isDefined():
            out[name] = int(m.get().value())
    return out


def read(spark: SparkSession, name: str, snapshot_id, hour_ms: int) -> dict:
    """One snapshot (None: the current one) as Spark sees it."""
    version = f" VERSION AS OF {int(snapshot_id)}" if snapshot_id else ""
    df = spark.sql(f"SELECT * FROM {name}{version}")
    ids = [r.event_id for r in df.select("event_id").collect()]
    start_us = hour_ms * 1000
    # Rows, not count(*): Iceberg answers a bare count from manifests (aggregate push-down), which
    # would read no file and report no scan metrics.
    hour = df.where(
        f"ts >= timestamp_micros({start_us}) AND ts < timestamp_micros({start_us + 3_600_000_000})"
    ).select("event_id")
    hour_rows = len(hour.collect())
    if not snapshot_id:
        # Iceberg's Java API, not the `refs` metadata table: resolving `<table>.refs` first asks the
        # catalog for a table `refs` in namespace `<ns>.<table>` (`%1F` in the path), which the
        # REST fixture's Jetty 12 refuses with 400 instead of 404.
        jvm = spark._jvm
        table = jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(spark._jsparkSession, name)
        snapshot_id = table.currentSnapshot().snapshotId()
    return {
        "snapshot_id": str(snapshot_id),
        "rows": len(ids),
        "distinct_event_ids": len(set(ids)),
        "event_ids_sha256": hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest(),
        "ts_type": df.schema["ts"].dataType.simpleString(),
        "status_sum": df.groupBy().sum("status").first()[0],
        "hour_rows": hour_rows,
        "hour_scan": scan_metrics(hour),
    }


def main() -> None:
    cfg = json.loads(sys.argv[1])
    spark = session(cfg)
    spark.sparkContext.setLogLevel("ERROR")
    name = "lake." + ".".join(f"`{p}`" for p in (*cfg["namespace"], cfg["table"]))
    reads = [read(spark, name, s, cfg["hour_ms"]) for s in cfg.get("snapshot_ids", [None])]
    print(json.dumps({"reads": reads}))
    spark.stop()


if __name__ == "__main__":
    main()
