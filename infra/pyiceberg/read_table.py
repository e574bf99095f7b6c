"""Reads an Iceberg table through a REST catalog with PyIceberg, an engine loglake did not write.

Usage: read_table.py '<json config>'  (catalog url, namespace, table, s3 endpoint and keys, hour_ms)
Prints one JSON object: snapshot id, row count, distinct event ids, the Arrow type of ts, the
rows of one hour through a partition-pruned scan, and how many data files that scan planned.
"""
import json
import sys

from pyiceberg.catalog import load_catalog
from pyiceberg.expressions import And, GreaterThanOrEqual, LessThan


def main() -> None:
    cfg = json.loads(sys.argv[1])
    catalog = load_catalog(
        "loglake",
        **{
            "type": "rest",
            "uri": cfg["catalog_url"],
            "s3.endpoint": cfg["s3_endpoint"],
            "s3.access-key-id": cfg["s3_access_key_id"],
            "s3.secret-access-key": cfg["s3_secret_access_key"],
            "s3.region": cfg["s3_region"],
            "s3.force-virtual-addressing": "false",
        },
    )
    table = catalog.load_table((*cfg["namespace"], cfg["table"]))
    rows = table.scan().to_arrow()
    start = cfg["hour_ms"] * 1000
    hour = And(GreaterThanOrEqual("ts", start), LessThan("ts", start + 3_600_000_000))
    pruned = table.scan(row_filter=hour)
    planned = list(pruned.plan_files())
    print(
        json.dumps(
            {
                "snapshot_id": str(table.current_snapshot().snapshot_id),
                "rows": rows.num_rows,
                "distinct_event_ids": len(set(rows.column("event_id").to_pylist())),
                "ts_type": str(rows.schema.field("ts").type),
                "status_sum": sum(v for v in rows.column("status").to_pylist() if v is not None),
                "hour_rows": pruned.to_arrow().num_rows,
                "hour_files": len(planned),
            }
        )
    )


if __name__ == "__main__":
    main()
