"""Importing 1,000,000 orders into SQLite, against the bare floor of the same rows through sqlite3.

Usage: python -m bench.import_orders [--orders 1000000] [--members 250000]

Prints the import time of `memberflow import orders` (validation, upsert, order_placed events, report)
beside a baseline that only parses the same CSV and inserts the rows with sqlite3.executemany into an
identically indexed table, measured in this run on this machine. The goal is under 120 s for 1M orders.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="memberflow-bench-"))
os.environ["VAR_DIR"] = str(WORK / "var")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.db'}"

from engine.db import upgrade  # noqa: E402
from engine.demo import write_csv  # noqa: E402
from engine.intake.csv_import import import_csv  # noqa: E402


def bare_sqlite_insert(orders_csv: Path, members_csv: Path) -> float:
    """The floor: csv parsing plus executemany into tables with the same keys, no validation, no events."""
    db = sqlite3.connect(WORK / "floor.db")
    db.executescript(
        """
        PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
        CREATE TABLE members (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, external_id TEXT UNIQUE NOT NULL, member_id INTEGER NOT NULL,
            placed_at TEXT NOT NULL, amount NUMERIC NOT NULL, category TEXT, channel TEXT, coupon_code TEXT);
        CREATE INDEX ix_orders_member_placed ON orders (member_id, placed_at);
        """
    )
    with members_csv.open(encoding="utf-8") as handle:
        db.executemany(
            "INSERT INTO members (external_id) VALUES (?)", ((row["member_id"],) for row in csv.DictReader(handle))
        )
    db.commit()
    member_ids = dict(db.execute("SELECT external_id, id FROM members"))
    started = time.perf_counter()
    with orders_csv.open(encoding="utf-8") as handle:
        rows = (
            (r["order_id"], member_ids[r["member_id"]], r["placed_at"], r["amount"], r["category"], r["channel"],
             r["coupon_code"] or None)
            for r in csv.DictReader(handle)
        )  # fmt: skip
        db.executemany("INSERT INTO orders (external_id, member_id, placed_at, amount, category, channel, coupon_code) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip
    db.commit()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=250_000)
    args = parser.parse_args()

    started = time.perf_counter()
    members_csv, orders_csv = write_csv(WORK, members=args.members, today=date(2026, 11, 1), max_orders=args.orders)
    print(
        f"generated {args.members:,} members and up to {args.orders:,} orders in {time.perf_counter() - started:.1f} s"
    )

    upgrade()
    started = time.perf_counter()
    members = import_csv(members_csv, "members")
    print(f"members import: {members.inserted:,} in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    report = import_csv(orders_csv, "orders")
    memberflow = time.perf_counter() - started
    started = time.perf_counter()
    again = import_csv(orders_csv, "orders")
    reimport = time.perf_counter() - started
    floor = bare_sqlite_insert(orders_csv, members_csv)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    count = report.inserted
    print(
        f"orders import:   {count:,} inserted, {report.rejected} rejected "
        f"in {memberflow:.1f} s ({count / memberflow:,.0f}/s)"
    )
    print(f"re-import:       {again.unchanged:,} unchanged, {again.inserted} inserted in {reimport:.1f} s")
    print(f"baseline:        bare sqlite3 executemany of the same rows in {floor:.1f} s ({count / floor:,.0f}/s)")
    print(f"ratio:           memberflow / bare insert = {memberflow / floor:.2f}x   (goal: import under 120 s)")
    print(f"peak memory:     {peak_mb:,.0f} MB (whole benchmark process)")


if __name__ == "__main__":
    main()
