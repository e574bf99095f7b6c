"""Scans an Iceberg table (its current snapshot, or the one named) with PyIceberg.

Usage: scan_table.py '<json config>'  (catalog url, namespace, table, s3 endpoint and keys,
optional snapshot_id as a decimal string)
Prints one JSON object: the snapshot read, its row count, distinct event ids, the SHA-256 of the
sorted event ids joined by newlines (to compare the exact set with the writer's), and how many
data files the scan planned.
"""
import hashlib
import json
import sys

from pyiceberg.catalog import load_catalog


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
    snapshot_id = int(cfg["snapshot_id"]) if cfg.get("snapshot_id") else table.current_snapshot().snapshot_id
    scan = table.scan(snapshot_id=snapshot_id, selected_fields=("event_id",))
    ids = scan.to_arrow().column("event_id").to_pylist()
    print(
        json.dumps(
            {
                "snapshot_id": str(snapshot_id),
                "rows": len(ids),
                "distinct_event_ids": len(set(ids)),
                "event_ids_sha256": hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest(),
                "files": len(list(scan.plan_files())),
            }
        )
    )


if __name__ == "__main__":
    main()
