"""RFM recompute against the real database: what counts, what is stored, what changes emit."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.models import Event, Member, RfmRun, RfmScore
from engine.rfm.recompute import recompute
from engine.rfm.report import stored_segment_counts, summary
from engine.rfm.scoring import RfmScheme

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 3, 10)

# m1 bought often and lately, m2 once long ago, m3 in between, m4 never; m5 only on the analysis day itself.
ORDERS = """o1,m1,2026-03-09T23:30:00+08:00,100.10
o2,m1,2026-03-01,200.20
o3,m1,2026-02-01,300.30
o4,m2,2025-06-01,50.00
o5,m3,2026-01-15,120.00
o6,m3,2026-02-20T10:00:00+08:00,80.00
o7,m5,2026-03-10T00:10:00+08:00,999.00
"""


@pytest.fixture
def shop(tmp_path: Path, db: None) -> None:
    members = tmp_path / "members.csv"
    members.write_text("member_id,name\nm1,甲\nm2,乙\nm3,丙\nm4,丁\nm5,戊\n", encoding="utf-8")
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,member_id,placed_at,amount\n" + ORDERS, encoding="utf-8")
    assert import_csv(members, "members").rejected == 0
    assert import_csv(orders, "orders").rejected == 0


def run(as_of: date = AS_OF, key: str = "test-1", **options: object) -> RfmRun:
    with session_scope() as session:
        return recompute(session, as_of=as_of, zone=SHANGHAI, run_key=key, **options)  # type: ignore[arg-type]


def scores(run_id: int | None) -> dict[str, tuple[object, ...]]:
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), RfmScore)
            .join(Member, col(Member.id) == col(RfmScore.member_id))
            .where(col(RfmScore.run_id) == run_id)
        )
        return {key: (s.recency, s.frequency, s.monetary, s.r, s.f, s.m, s.segment8, s.segment11) for key, s in rows}


def segment_events() -> list[tuple[str, dict[str, object]]]:
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(Event.properties))
            .join(Member, col(Member.id) == col(Event.member_id))
            .where(col(Event.type) == "segment_changed")
            .order_by(col(Member.external_id))
        )
        return [(key, dict(properties)) for key, properties in rows]


@pytest.mark.usefixtures("shop")
def test_a_run_scores_orders_before_the_analysis_day_in_the_shops_time_zone() -> None:
    stored = run()
    assert (stored.members_scored, stored.no_purchase) == (3, 2)  # m4 never bought; m5 only on the day itself
    # recency from the local date of the last order: 23:30 in Shanghai on the 9th is the 9th, 1 day before the 10th
    # R: m1 has 2 members with strictly more days → 1 + 10//3 = 4; m3 1 → 2; m2 0 → 1. F and M the same way.
    assert scores(stored.id) == {
        "m1": (1, 3, Decimal("600.60"), 4, 4, 4, "重要价值客户", "Loyal"),
        "m2": (282, 1, Decimal("50.00"), 1, 1, 1, "一般挽留客户", "Lost"),
        "m3": (18, 2, Decimal("200.00"), 2, 2, 2, "一般挽留客户", "Hibernating"),
    }
    assert (stored.mean_r, stored.mean_f, stored.mean_m) == (7 / 3, 7 / 3, 7 / 3)
    assert stored.scheme == {"r": None, "f": None, "m": None}


@pytest.mark.usefixtures("shop")
def test_the_window_keeps_only_recent_orders_and_cut_points_replace_quintiles() -> None:
    stored = run(window_days=30, scheme=RfmScheme(r=[7, 14, 30, 90]))
    got = scores(stored.id)
    assert set(got) == {"m1", "m3"}  # m2's only order and m3's January order are older than 30 days
    assert got["m1"][:4] == (1, 2, Decimal("300.30"), 5)
    assert got["m3"][:4] == (18, 1, Decimal("80.00"), 3)
    assert stored.window_days == 30
    assert stored.scheme["r"] == [7, 14, 30, 90]


@pytest.mark.parametrize(
    ("as_of", "members_with_later_orders"),
    [(date(2026, 3, 10), 3), (date(2026, 1, 1), 120)],  # the daily run, with a few; a past date, with most
    ids=["few-later-orders", "most-orders-later"],
)
def test_orders_on_or_after_the_analysis_day_never_count(
    tmp_path: Path, db: None, as_of: date, members_with_later_orders: int
) -> None:
    """A few members who ordered since midnight are summed again without those orders; when most did, the
    aggregate bounds every order. Either way each member's values are those of the orders before `as_of` alone."""
    members = tmp_path / "members.csv"
    members.write_text("member_id\n" + "".join(f"p{i}\n" for i in range(150)), encoding="utf-8")
    orders: list[tuple[str, str, datetime, Decimal]] = []
    for i in range(149):  # two or three orders each over 2025; p149 orders only after the day
        for k in range(2 + i % 2):
            placed = datetime(2025, 1 + (i + 5 * k) % 12, 1 + i % 28, (7 * i + k) % 24, tzinfo=SHANGHAI)
            orders.append((f"q{i}-{k}", f"p{i}", placed, Decimal(10 + i) + Decimal(k) / 4))
    for i in (0, 1, 2):  # on the day itself and after, in Shanghai
        orders.append((f"late{i}", f"p{i}", datetime(2026, 3, 10, 0, 5 + i, tzinfo=SHANGHAI), Decimal(500)))
    orders.append(("only-late", "p149", datetime(2026, 3, 11, tzinfo=SHANGHAI), Decimal(7)))
    if as_of == date(2026, 1, 1):  # most members also ordered in January 2026
        orders += [
            (f"jan{i}", f"p{i}", datetime(2026, 1, 1 + i % 28, 9, tzinfo=SHANGHAI), Decimal(1)) for i in range(120)
        ]
    orders_csv = tmp_path / "orders.csv"
    orders_csv.write_text(
        "order_id,member_id,placed_at,amount\n" + "".join(f"{o},{m},{t.isoformat()},{a}\n" for o, m, t, a in orders),
        encoding="utf-8",
    )
    assert import_csv(members, "members").rejected == 0
    assert import_csv(orders_csv, "orders").rejected == 0
    later = {m for _, m, t, _ in orders if t.date() >= as_of}
    assert len(later) >= members_with_later_orders

    expected: dict[str, tuple[int, int, Decimal]] = {}
    for _, member, placed, amount in sorted(orders, key=lambda order: order[2]):
        if placed.date() < as_of:
            _, count, spent = expected.get(member, (0, 0, Decimal(0)))
            expected[member] = ((as_of - placed.date()).days, count + 1, spent + amount)
    got = {member: row[:3] for member, row in scores(run(as_of=as_of).id).items()}
    assert got == expected
    assert "p149" not in got  # ordered only after the day


@pytest.mark.usefixtures("shop")
def test_the_same_run_key_returns_the_stored_run_and_writes_nothing_twice() -> None:
    first = run(key="daily-2026-03-10")
    again = run(key="daily-2026-03-10")
    assert again.id == first.id
    with session_scope() as session:
        assert len(session.scalars(select(RfmRun)).all()) == 1
        assert len(session.scalars(select(RfmScore)).all()) == 3


def test_changed_segments_emit_one_event_each_after_the_baseline_run(shop: None, tmp_path: Path) -> None:
    run(key="a")
    assert segment_events() == []  # the first run is the baseline
    more = tmp_path / "more.csv"
    more.write_text(
        "order_id,member_id,placed_at,amount\no8,m2,2026-03-10,900\no9,m2,2026-03-11,900\no10,m4,2026-03-11,10\n",
        encoding="utf-8",
    )
    assert import_csv(more, "orders").rejected == 0
    second = run(as_of=date(2026, 3, 12), key="b")
    events = segment_events()
    before, after = scores(second.id - 1 if second.id else None), scores(second.id)
    changed = {k for k in after.keys() | before.keys() if (before.get(k) or [None] * 8)[6] != after[k][6]}
    assert {k for k, _ in events} == changed
    assert second.segment_changes == len(events) > 0
    by_member = dict(events)
    assert by_member["m4"]["from"] == "no purchase"  # first order: from no purchase into a segment
    assert by_member["m2"]["to"] == after["m2"][6]
    assert all(p["as_of"] == "2026-03-12" and p["run"] == second.id for _, p in events)

    run(as_of=date(2026, 3, 12), key="c", window_days=1)  # only the 11th counts: m1 and m3 drop out
    dropped = [p for k, p in segment_events() if p["run"] == second.id + 1 and k in {"m1", "m3"}]
    assert [p["to"] for p in dropped] == ["no purchase", "no purchase"]


@pytest.mark.usefixtures("shop")
def test_the_summary_matches_the_stored_rows_and_the_cli_prints_it_as_pinned() -> None:
    stored = run()
    assert stored.id is not None
    with session_scope() as session:
        found = summary(session)
        assert found is not None
        for scheme, key in (("8", "segments8"), ("11", "segments11")):
            counted = stored_segment_counts(session, stored.id, scheme)
            assert {k: v for k, v in found[key].items() if v} == counted
    assert len(found["segments8"]) == 8
    assert len(found["segments11"]) == 11

    result = CliRunner().invoke(app, ["rfm", "summary", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert list(printed) == ["as_of", "members_scored", "score_means", "segments8", "segments11"]
    assert printed == found
    assert printed["as_of"] == "2026-03-10"


@pytest.mark.usefixtures("shop")
def test_only_the_newest_runs_keep_their_member_rows() -> None:
    ids = [run(key=f"k{i}", keep_runs=2).id for i in range(4)]
    with session_scope() as session:
        kept = set(session.scalars(select(col(RfmScore.run_id)).distinct()))
        assert kept == set(ids[-2:])
        assert len(session.scalars(select(RfmRun)).all()) == 4  # summaries stay


@pytest.mark.usefixtures("shop")
def test_the_cli_recomputes_and_names_bad_options() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["rfm", "recompute", "--as-of", "2026-03-10", "--window-days", "400"])
    assert result.exit_code == 0, result.output
    assert "3 members scored, 2 without purchase" in result.output
    bad = runner.invoke(app, ["rfm", "recompute", "--as-of", "2026-02-30"])
    assert bad.exit_code != 0
    assert "--as-of '2026-02-30' is not a date" in str(bad.exception or bad.output)
