"""Day-based rules on the database count calendar days in the shop's zone, at both edges of the day (23:50 and 00:10
local): days since the last order, the last N days, a category's window, the birthday month, days since
registering, the re-entry gap and an A/B split's conversion window. Each test runs at every hostile moment."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.ab.splits import outcomes, record_assignment
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.journey.audience import members_matching
from engine.journey.events import Goal
from engine.journey.registry import Condition
from engine.journey.store import live_plan, publish
from engine.journey.validate import parse_journey
from engine.models import Member
from engine.settings import get_settings
from workflows.journey_activities import EnterInput, enter_journey

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db"), pytest.mark.clock_sensitive]


def local(day: date, hour: int, minute: int) -> datetime:
    """A wall-clock time in the shop's zone, as an aware moment."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=get_settings().shop_zone)


def shop(tmp_path: Path, members: str, orders: str = "") -> None:
    (tmp_path / "m.csv").write_text("member_id,birthday,registered_at\n" + members, encoding="utf-8")
    assert import_csv(tmp_path / "m.csv", "members").rejected == 0
    if orders:
        (tmp_path / "o.csv").write_text("order_id,member_id,placed_at,amount,category\n" + orders, encoding="utf-8")
        assert import_csv(tmp_path / "o.csv", "orders").rejected == 0


def matching(condition: dict[str, object], now: datetime | None = None) -> list[str]:
    from pydantic import TypeAdapter

    parsed: Condition = TypeAdapter(Condition).validate_python(condition)
    with session_scope() as session:
        return sorted(members_matching(session, parsed, now or clock.now()))


def test_days_since_the_last_order_counts_local_midnights(tmp_path: Path) -> None:
    today = clock.today()
    shop(
        tmp_path, "LATE,,\nEARLY,,\nOLDER,,\n",
        f"o1,LATE,{local(today - timedelta(days=30), 23, 50).isoformat()},10,\n"  # 29 days and some hours ago
        f"o2,EARLY,{local(today - timedelta(days=30), 0, 10).isoformat()},10,\n"
        f"o3,OLDER,{local(today - timedelta(days=31), 23, 50).isoformat()},10,\n",
    )  # fmt: skip

    assert matching({"kind": "days_since_last_order", "op": "eq", "days": 30}) == ["EARLY", "LATE"]
    assert matching({"kind": "days_since_last_order", "op": "eq", "days": 31}) == ["OLDER"]


def test_the_last_n_days_start_at_local_midnight_and_one_day_is_today_so_far(tmp_path: Path) -> None:
    today = clock.today()
    shop(
        tmp_path, "TODAY,,\nYESTERDAY,,\nFIRST,,\nBEFORE,,\n",
        f"t,TODAY,{local(today, 0, 10).isoformat()},10,母婴\n"
        f"y,YESTERDAY,{local(today - timedelta(days=1), 23, 50).isoformat()},10,母婴\n"
        f"f,FIRST,{local(today - timedelta(days=29), 0, 10).isoformat()},10,母婴\n"  # day 1 of the last 30
        f"b,BEFORE,{local(today - timedelta(days=30), 23, 50).isoformat()},10,母婴\n",
    )  # fmt: skip
    now = max(clock.now(), local(today, 0, 20))  # the hostile moments are all past 00:10 already; be sure

    assert matching({"kind": "orders_in_last_days", "days": 1, "op": "ge", "count": 1}, now) == ["TODAY"]
    assert matching({"kind": "spend_in_last_days", "days": 2, "op": "ge", "amount": 10}, now) == ["TODAY", "YESTERDAY"]
    in_30 = ["FIRST", "TODAY", "YESTERDAY"]
    assert matching({"kind": "orders_in_last_days", "days": 30, "op": "ge", "count": 1}, now) == in_30
    assert matching({"kind": "bought_category", "category": "母婴", "days": 30}, now) == in_30
    assert matching({"kind": "prefers_category", "category": "母婴", "days": 30}, now) == in_30


def test_the_birthday_month_and_days_since_registering_turn_over_at_local_midnight(tmp_path: Path) -> None:
    today = clock.today()
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    first = last + timedelta(days=1)
    shop(
        tmp_path,
        f"THIS,1990-{last.month:02d}-01,{local(last - timedelta(days=1), 23, 50).isoformat()}\n"
        f"NEXT,1990-{first.month:02d}-01,{local(last - timedelta(days=1), 0, 10).isoformat()}\n",
    )
    before, after = local(last, 23, 50), local(first, 0, 10)
    birthday = {"kind": "birthday_this_month"}
    one_day = {"kind": "attribute", "attribute": "registered_days_ago", "op": "eq", "value": 1}

    assert (matching(birthday, before), matching(birthday, after)) == (["THIS"], ["NEXT"])
    assert matching(one_day, before) == ["NEXT", "THIS"]  # registered yesterday, at 00:10 or at 23:50
    assert matching(one_day, after) == []  # two days now, for both


def test_the_reentry_gap_counts_calendar_days(tmp_path: Path) -> None:
    shop(tmp_path, "M,,\n")
    definition = parse_journey({
        "id": "gap", "name": "gap", "trigger": {"type": "manual"}, "reentry": {"policy": "always", "min_gap_days": 30},
        "steps": [{"id": "t", "type": "add_tag", "tag": "X"}],
    })  # fmt: skip
    with session_scope() as session:
        publish(session, definition, now=clock.now())
    with session_scope() as session:
        _, plan = live_plan(session, "gap")
    entered = local(clock.today() - timedelta(days=40), 23, 50)

    def enter(key: str, now: datetime) -> str:
        outcome = enter_journey(EnterInput(plan=plan, member_key="M", entry_key=key, workflow_id=f"wf-{key}",
                                           run_id=f"run-{key}", now=now))  # fmt: skip
        return "entered" if outcome.entry is not None else outcome.reason

    assert enter("a", entered) == "entered"
    assert enter("b", local(entered.date() + timedelta(days=29), 23, 59)) == "entered less than 30 days ago"
    assert enter("c", local(entered.date() + timedelta(days=30), 0, 10)) == "entered"  # 24 h 20 min after 29 days


def test_a_splits_conversion_window_ends_with_the_nth_local_day_after_assignment(tmp_path: Path) -> None:
    day = clock.today() - timedelta(days=60)
    shop(
        tmp_path, "IN,,\nOUT,,\n",
        f"i,IN,{local(day + timedelta(days=30), 23, 50).isoformat()},88,\n"  # day 30 after (30 d 23 h 40 min): counts
        f"o,OUT,{local(day + timedelta(days=31), 0, 10).isoformat()},99,\n",  # day 31: too late
    )  # fmt: skip
    journey = {"id": "ab", "name": "ab", "trigger": {"type": "manual"}, "steps": [{"id": "offer", "type": "split",
               "arms": [{"name": "a", "control": True, "steps": []},
                                {"name": "b", "steps": [{"id": "t", "type": "add_tag", "tag": "B"}]}]}]}  # fmt: skip
    with session_scope() as session:
        published = publish(session, parse_journey(journey), now=clock.now())
        ids = {key: id_ for key, id_ in session.execute(select(col(Member.external_id), col(Member.id)))}
        for n, member in enumerate(["IN", "OUT"]):
            record_assignment(session, published.journey_id, "offer", ids[member], n, "split", "a", local(day, 0, 10))
    with session_scope() as session:
        found = outcomes(session, published.journey_id, "offer", Goal(event="order_placed", within_days=30))

    converted = {o.member_key: o.converted_at for o in found}
    assert converted["IN"] == local(day + timedelta(days=30), 23, 50).astimezone(UTC)
    assert converted["OUT"] is None
    assert {o.member_key: str(o.revenue) for o in found} == {"IN": "88.00", "OUT": "0"}
