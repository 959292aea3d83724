"""Points on the database: orders earn from the programme's start (more for a segment), boosts pay once, redeeming
and adjusting respect the balance, expiry writes off once and warns once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine import clock
from engine.db import session_scope
from engine.errors import Conflict
from engine.intake.csv_import import import_csv
from engine.models import Event, PointsEntry
from engine.rewards.points import (
    PointsRules,
    add_boost,
    adjust,
    expire_points,
    grant,
    latest_segments,
    member_id_of,
    points_balance,
    redeem,
    save_rules,
)
from engine.settings import get_settings

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db"), pytest.mark.clock_sensitive]


def day(n: int) -> str:
    return (clock.now() - timedelta(days=n)).isoformat()


@pytest.fixture
def shop(tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text("member_id,name\nA,甲\nB,乙\n", encoding="utf-8")
    assert import_csv(members, "members").rejected == 0


def orders(tmp_path: Path, rows: str, name: str = "orders.csv") -> None:
    file = tmp_path / name
    file.write_text("order_id,member_id,placed_at,amount\n" + rows, encoding="utf-8")
    assert import_csv(file, "orders").rejected == 0


def balance(member: str) -> int:
    with session_scope() as session:
        return points_balance(session, member_id_of(session, member), clock.now())


def entries(member: str) -> list[tuple[str, int, str]]:
    with session_scope() as session:
        rows = session.execute(
            select(col(PointsEntry.kind), col(PointsEntry.points), col(PointsEntry.reason))
            .where(col(PointsEntry.member_id) == member_id_of(session, member))
            .order_by(col(PointsEntry.id))
        )
        return [(k, p, r) for k, p, r in rows]


def start_programme(days_ago: int, **rules: object) -> None:
    with session_scope() as session:
        starts = clock.today() - timedelta(days=days_ago)
        save_rules(session, PointsRules.model_validate({"starts_on": starts, **rules}), clock.now())


def test_orders_since_the_start_earn_once_and_the_segment_multiplier_applies(shop: None, tmp_path: Path) -> None:
    orders(tmp_path, f"h1,A,{day(60)},1000\nh2,B,{day(50)},100\n", "history.csv")  # before points existed
    assert CliRunner().invoke(app, ["rfm", "recompute"]).exit_code == 0  # A outspent B: their segments differ
    with session_scope() as session:
        segment_a = latest_segments(session, {member_id_of(session, "A")}).popitem()[1]
    start_programme(30, segment_multipliers={segment_a: "2"})
    rows = f"o1,A,{day(3)},99.90\no2,B,{day(2)},50\nold,B,{day(40)},500\n"
    orders(tmp_path, rows)
    orders(tmp_path, rows)  # imported twice

    assert entries("A") == [("grant", 199, "order o1")]  # 99.90 × 1 point × 2, rounded down
    assert entries("B") == [("grant", 50, "order o2")]  # B's segment differs; `old` predates the programme
    assert balance("A") == 199


def test_a_boost_pays_the_extra_on_the_first_order_in_its_window_only(shop: None, tmp_path: Path) -> None:
    start_programme(30)
    with session_scope() as session:
        add_boost(session, member_id=member_id_of(session, "A"), multiplier=Decimal(2), days=7, key="bd",
                  now=clock.now() - timedelta(days=5))  # fmt: skip
        add_boost(session, member_id=member_id_of(session, "B"), multiplier=Decimal(2), days=7, key="late",
                  now=clock.now() - timedelta(days=20))  # fmt: skip
    orders(tmp_path, f"o1,A,{day(4)},100\no2,A,{day(3)},100\no3,B,{day(3)},100\n")

    assert [r for _, _, r in entries("A")] == ["order o1", "2.00× points on order o1", "order o2"]
    assert balance("A") == 300
    assert balance("B") == 100  # B's boost ended 13 days ago


def test_redeeming_and_adjusting_respect_the_balance_and_their_keys(shop: None) -> None:
    with session_scope() as session:
        grant(session, member_id=member_id_of(session, "A"), points=100, reason="welcome", key="w", now=clock.now(),
              expires_at=None)  # fmt: skip

    with session_scope() as session:
        left = redeem(session, member_key="A", points=60, reason="gift", key="till-1", now=clock.now())
        again = redeem(session, member_key="A", points=60, reason="gift", key="till-1", now=clock.now())
    with pytest.raises(Conflict) as short, session_scope() as session:
        redeem(session, member_key="A", points=60, reason="gift", key="till-2", now=clock.now())
    with pytest.raises(Conflict) as below, session_scope() as session:
        adjust(session, member_key="A", points=-41, reason="fix", key="fix-1", now=clock.now())
    with session_scope() as session:
        fixed = adjust(session, member_key="A", points=-40, reason="fix", key="fix-2", now=clock.now())

    assert (left, again, fixed) == (40, 40, 0)
    assert short.value.problems == ["member A has 40 points, fewer than 60"]
    assert below.value.problems == ["member A would go below zero points"]
    assert [k for k, _, _ in entries("A")] == ["grant", "redeem", "adjust"]


def test_expired_points_leave_the_balance_at_once_and_are_written_off_once(shop: None) -> None:
    now = clock.now()
    with session_scope() as session:
        a = member_id_of(session, "A")
        grant(session, member_id=a, points=100, reason="old", key="g1", now=now - timedelta(days=400),
              expires_at=now - timedelta(days=35))  # fmt: skip
        grant(session, member_id=a, points=50, reason="soon", key="g2", now=now - timedelta(days=360),
              expires_at=now + timedelta(days=5))  # fmt: skip
        grant(session, member_id=a, points=20, reason="later", key="g3", now=now, expires_at=now + timedelta(days=300))
    with session_scope() as session:
        redeem(session, member_key="A", points=30, reason="gift", key="r1", now=now - timedelta(days=36))

    before = balance("A")
    with session_scope() as session:
        first = expire_points(session, now)
    with session_scope() as session:
        second = expire_points(session, now)

    assert before == 70  # 100 - 30 redeemed: 70 expired, not yet written off; 50 + 20 remain
    assert (first.members, first.points, first.warned) == (1, 70, 1)
    assert (second.members, second.points, second.warned) == (0, 0, 0)
    assert balance("A") == 70
    assert [(k, p) for k, p, _ in entries("A")][-1] == ("expire", -70)
    with session_scope() as session:
        warned = session.scalars(select(col(Event.properties)).where(col(Event.type) == "points_expiring")).all()
    assert [w["points"] for w in warned] == [50]


def test_points_that_expired_at_midnight_are_not_spent_after_it_and_are_all_written_off(
    shop: None, tmp_path: Path
) -> None:
    """100 points expire at midnight; at 08:30, before the daily expiry run, the member earns 50 and redeems 50."""
    zone = get_settings().shop_zone
    midnight = clock.start_of_day(clock.today(), zone)
    start_programme(400, expire_days=None)
    with session_scope() as session:
        grant(session, member_id=member_id_of(session, "A"), points=100, reason="last year", key="old",
              now=midnight - timedelta(days=365), expires_at=midnight)  # fmt: skip
    with clock.pinned(midnight + timedelta(hours=8, minutes=30)):
        orders(tmp_path, f"o1,A,{clock.now().isoformat()},50\n")  # earns 50 points
        before = balance("A")
        with session_scope() as session:
            after = redeem(session, member_key="A", points=50, reason="gift", key="till", now=clock.now())
    with clock.pinned(midnight + timedelta(hours=9)), session_scope() as session:
        report = expire_points(session, clock.now())

    assert (before, after) == (50, 0)
    assert (report.members, report.points) == (1, 100)
    assert [(k, p) for k, p, _ in entries("A")] == [("grant", 100), ("grant", 50), ("redeem", -50), ("expire", -100)]
    assert balance("A") == 0


def test_the_rules_file_names_its_problems(tmp_path: Path) -> None:
    file = tmp_path / "rules.yaml"
    file.write_text("per_yuan: -1\nsegment_multipliers: {VIP客户: 2}\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["points", "rules", str(file)])

    said = str(result.exception)
    assert result.exit_code != 0
    assert "per_yuan must be at least 0 (it is '-1')" in said
    assert "unknown segment VIP客户" in said
