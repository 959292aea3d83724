"""Sweeps (what a Temporal Schedule starts): birthdays through the years, a schedule's audience, never twice a day."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.journey.timing import birthday_in, local_date
from engine.models import JourneyEntry, Member
from engine.settings import get_settings
from tests.workflows.conftest import Lane, load_members, publish_live
from workflows.enroll import EnrollReport
from workflows.sweep import AudienceSweep, SweepInput

pytestmark = [pytest.mark.database, pytest.mark.clock_sensitive]


async def sweep(lane: Lane, journey_key: str, run: int) -> EnrollReport:
    """One sweep, as its schedule would start it, with the clock held still (only the test moves it)."""
    request = SweepInput(journey_key=journey_key, shop_timezone=get_settings().shop_timezone)
    entered_before = len(entries())
    with lane.env.auto_time_skipping_disabled():
        report = await lane.client.execute_workflow(
            AudienceSweep.run, request, id=f"sweep/{journey_key}/{run}", task_queue=lane.task_queue
        )
    await entered(entered_before + report.started)
    return report


async def entered(count: int) -> None:
    """Wait until `count` entries exist: the runs a sweep started write their entry first thing."""
    for _ in range(200):
        if len(entries()) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(entries())} entries after 10 s, expected {count}")


async def shop_today(lane: Lane) -> date:
    return local_date(await lane.env.get_current_time(), get_settings().shop_timezone)


def entries() -> list[tuple[str, str]]:
    with session_scope() as session:
        rows = session.execute(
            select(col(Member.external_id), col(JourneyEntry.entry_key)).join(Member).order_by(col(JourneyEntry.id))
        )
        return [(member, key) for member, key in rows]


def born(day: date, years_ago: int = 30) -> str:
    try:
        return day.replace(year=day.year - years_ago).isoformat()
    except ValueError:  # 29 February, 30 years before a common year
        return date(day.year - years_ago, 3, 1).isoformat()


async def test_a_birthday_journey_greets_each_member_three_days_before_every_year(worker: Lane, tmp_path: Path) -> None:
    today = await shop_today(worker)
    in_three_days, in_four_days = today + timedelta(days=3), today + timedelta(days=4)
    load_members(
        tmp_path,
        f"B1,生日在三天后,,,{born(in_three_days)},,,,,\n"
        f"B2,生日在四天后,,,{born(in_four_days)},,,,,\n"
        "B3,没有生日,,,,,,,,\n",
    )
    publish_live(
        {"id": "birthday", "name": "生日礼", "trigger": {"type": "birthday", "offset_days": -3},
         "steps": [{"id": "gift", "type": "add_tag", "tag": "生日礼"}]}
    )  # fmt: skip

    first = await sweep(worker, "birthday", 1)
    again_today = await sweep(worker, "birthday", 2)
    await worker.env.sleep(timedelta(days=1))
    next_day = await sweep(worker, "birthday", 3)
    next_year = birthday_in(in_three_days.year + 1, in_three_days)
    await worker.env.sleep(next_year - timedelta(days=3) - await shop_today(worker))  # about a year on
    a_year_later = await sweep(worker, "birthday", 4)

    assert (first.started, again_today.started, again_today.already_in) == (1, 0, 1)
    assert next_day.started == 1
    assert a_year_later.started == 1
    assert [member for member, _ in entries()] == ["B1", "B2", "B1"]
    first_key, last_key = entries()[0][1], entries()[-1][1]
    assert first_key == f"birthday-{in_three_days.isoformat()}"
    assert last_key == f"birthday-{next_year.isoformat()}"


async def test_a_schedule_sweep_enrolls_its_audience_once_per_day(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, "S1,常客,,,,,,,,常客\nS2,新客,,,,,,,,\nS3,常客二,,,,,,,,常客\n")
    publish_live(
        {"id": "regulars", "name": "常客关怀", "trigger": {"type": "schedule", "cron": "0 10 * * *",
         "audience": {"kind": "has_tag", "tag": "常客"}}, "reentry": {"policy": "always"},
         "steps": [{"id": "care", "type": "add_tag", "tag": "关怀"}]}
    )  # fmt: skip

    first = await sweep(worker, "regulars", 1)
    twice_the_same_day = await sweep(worker, "regulars", 2)

    assert (first.started, twice_the_same_day.started, twice_the_same_day.already_in) == (2, 0, 2)
    assert sorted(member for member, _ in entries()) == ["S1", "S3"]


async def test_a_win_back_sweep_takes_the_members_whose_last_order_was_30_calendar_days_ago(
    worker: Lane, tmp_path: Path
) -> None:
    today, zone = await shop_today(worker), get_settings().shop_zone

    def at(day: date, hour: int, minute: int) -> str:
        return datetime.combine(day, time(hour, minute), zone).isoformat()

    load_members(tmp_path, "LATE,晚,,,,,,,,\nEARLY,早,,,,,,,,\nOLDER,更早,,,,,,,,\nRECENT,近,,,,,,,,\n")
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "order_id,member_id,placed_at,amount\n"
        f"o1,LATE,{at(today - timedelta(days=30), 23, 50)},10\n"  # under 30 × 24 hours ago, but 30 days
        f"o2,EARLY,{at(today - timedelta(days=30), 0, 10)},10\n"
        f"o3,OLDER,{at(today - timedelta(days=31), 23, 50)},10\n"
        f"o4,RECENT,{at(today - timedelta(days=29), 0, 10)},10\n",
        encoding="utf-8",
    )
    assert import_csv(orders, "orders").rejected == 0
    publish_live(
        {"id": "silent-30", "name": "沉睡30天", "trigger": {"type": "schedule", "cron": "0 10 * * *",
         "audience": {"kind": "days_since_last_order", "op": "eq", "days": 30}}, "reentry": {"policy": "always"},
         "steps": [{"id": "mark", "type": "add_tag", "tag": "挽回中"}]}
    )  # fmt: skip

    report = await sweep(worker, "silent-30", 1)

    assert report.started == 2
    assert sorted(member for member, _ in entries()) == ["EARLY", "LATE"]
    assert {key for _, key in entries()} == {f"sweep-{today.isoformat()}"}
