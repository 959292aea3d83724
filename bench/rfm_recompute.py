"""A full RFM recompute over 1,000,000 members and 10,000,000 orders, against the bare aggregate on the same database.

Usage:
  python -m bench.rfm_recompute [--members 1000000] [--orders 10000000] [--database-url URL] [--data DIR]

Builds the shop once (kept in --data, default a temporary directory; SQLite unless --database-url names a
PostgreSQL database), then runs, each in a fresh process so peak memory is its own:
  bare      SELECT member_id, max(placed_at), count(*), sum(amount) FROM orders GROUP BY member_id (all rows fetched)
  recompute memberflow's full recompute: the aggregate, scores, both segments, one stored row per member
  changes   a second recompute a week later, which also compares with the first and emits segment_changed events
and prints the ratio recompute / bare (goal ≤ 1.5) and each process's peak memory (goal < 2 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

AS_OF = date(2026, 11, 1)
BARE = "SELECT member_id, max(placed_at), count(*), sum(amount) FROM orders GROUP BY member_id"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--data", type=Path, default=None, help="Keep the generated shop here (reused if present).")
    parser.add_argument("--rounds", type=int, default=2, help="Bare aggregate runs (the median is the baseline).")
    parser.add_argument("--measure", choices=["bare", "recompute", "changes"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="memberflow-rfm-bench-"))
    url = args.database_url or f"sqlite:///{data / 'shop.db'}"
    env = {**os.environ, "VAR_DIR": str(data / "var"), "DATABASE_URL": url, "SHOP_TIMEZONE": "Asia/Shanghai"}
    if args.measure:
        os.environ.update(env)
        print(json.dumps(measure(args.measure)))
        return

    data.mkdir(parents=True, exist_ok=True)
    marker = data / f"built-{args.members}-{args.orders}-{url.split(':')[0]}"
    if not marker.exists():
        started = time.perf_counter()
        os.environ.update(env)
        build_shop(url, args.members, args.orders)
        marker.touch()
        print(f"built {args.members:,} members and {args.orders:,} orders in {time.perf_counter() - started:.0f} s")

    def run(kind: str) -> dict[str, float]:
        me = [sys.executable, "-m", "bench.rfm_recompute", "--data", str(data), "--database-url", url]
        out = subprocess.run([*me, "--measure", kind], env=env, check=True, capture_output=True, text=True)
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))

    bare = [run("bare") for _ in range(args.rounds)]
    full = run("recompute")
    bare.append(run("bare"))
    changes = run("changes")
    base = statistics.median(b["seconds"] for b in bare)
    print(f"database: {url.split(':')[0]}, {args.members:,} members, {args.orders:,} orders")
    each = ", ".join(f"{b['seconds']:.1f}" for b in bare)
    peak = max(b["peak_mb"] for b in bare)
    print(f"bare aggregate:   {base:6.1f} s (median of {len(bare)}: {each}), peak {peak:,.0f} MB")
    print(f"full recompute:   {full['seconds']:6.1f} s, peak {full['peak_mb']:,.0f} MB, "
          f"{full['scored']:,.0f} members scored")  # fmt: skip
    print(f"second recompute: {changes['seconds']:6.1f} s, peak {changes['peak_mb']:,.0f} MB, "
          f"{changes['changes']:,.0f} segment_changed events")  # fmt: skip
    print(f"ratio recompute / bare: {full['seconds'] / base:.2f} (goal <= 1.5); "
          f"with changes: {changes['seconds'] / base:.2f}")  # fmt: skip


def measure(kind: str) -> dict[str, float]:
    from zoneinfo import ZoneInfo

    from sqlalchemy import text

    from engine.db import get_engine, session_scope
    from engine.rfm.recompute import recompute

    if kind == "recompute":  # start from no run at all: this one is the baseline run, the next one compares
        with get_engine().begin() as connection:
            for table in ("rfm_scores", "rfm_runs", "events"):
                connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    if get_engine().dialect.name == "sqlite":  # leave no earlier write in the WAL for this run's commit to copy
        with get_engine().connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.sync()  # the clean-up's writes reach the disk before the clock starts, not during the measurement
    started = time.perf_counter()
    result: dict[str, float] = {}
    if kind == "bare":
        raw = get_engine().raw_connection()  # the driver itself: the strictest baseline
        try:
            cursor = raw.cursor()
            cursor.execute(BARE)
            result["rows"] = len(cursor.fetchall())
        finally:
            raw.close()
    else:
        as_of = AS_OF if kind == "recompute" else AS_OF + timedelta(days=7)
        with session_scope() as session:  # the commit (and SQLite's checkpoint of it) is inside the timing
            run = recompute(session, as_of=as_of, zone=ZoneInfo("Asia/Shanghai"), run_key=f"bench-{kind}")
            result["scored"], result["changes"] = run.members_scored, run.segment_changes
    result["seconds"] = time.perf_counter() - started
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def build_shop(url: str, members: int, orders: int) -> None:
    """Members m1…mN and about `orders` orders over two years, written in member order with the bare driver."""
    from engine.db import get_engine, upgrade

    upgrade(url)
    engine = get_engine()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM rfm_scores")
        connection.exec_driver_sql("DELETE FROM rfm_runs")
        connection.exec_driver_sql("DELETE FROM events")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            stamp = now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            cursor.executemany(
                "INSERT INTO members (id, external_id, created_at, updated_at) VALUES (?, ?, ?, ?)",
                ((i, f"m{i}", stamp, stamp) for i in range(1, members + 1)),
            )
            cursor.executemany(
                "INSERT INTO orders (external_id, member_id, placed_at, amount, created_at) VALUES (?, ?, ?, ?, ?)",
                ((o, m, p.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"), a, stamp)
                 for o, m, p, a in _orders(members, orders, now)),
            )  # fmt: skip
        else:
            with cursor.copy("COPY members (id, external_id, created_at, updated_at) FROM STDIN") as copy:
                for i in range(1, members + 1):
                    copy.write_row((i, f"m{i}", now, now))
            with cursor.copy("COPY orders (external_id, member_id, placed_at, amount, created_at) FROM STDIN") as copy:
                for o, m, p, a in _orders(members, orders, now):
                    copy.write_row((o, m, p, a, now))
            cursor.execute("SELECT setval('members_id_seq', %s)", (members,))
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _orders(members: int, orders: int, now: datetime) -> Iterator[tuple[str, int, datetime, float]]:
    """Exactly `orders` orders: nine members in ten buy (1 to 200 times, skewed like real shops), spread over
    the last two years."""
    rnd = random.Random(7)
    buyers = [m for m in range(1, members + 1) if m % 10]
    mean = orders / len(buyers)
    counts = [min(int(rnd.expovariate(1 / max(mean - 0.5, 0.5))) + 1, 200) for _ in buyers]
    missing = orders - sum(counts)
    while missing:
        i = rnd.randrange(len(counts))
        step = 1 if missing > 0 else -1
        if 1 <= counts[i] + step <= 200:
            counts[i] += step
            missing -= step
    number = 0
    for member, count in zip(buyers, counts, strict=True):
        for _ in range(count):
            number += 1
            placed = now - timedelta(seconds=rnd.randrange(730 * 86400))
            yield f"o{number}", member, placed, round(rnd.uniform(5, 800), 2)


if __name__ == "__main__":
    main()
