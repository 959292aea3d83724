"""JourneyRun on the time-skipping server: waits of weeks in seconds, events, goals, re-entry, pause, versions."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time as wall
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from temporalio.worker import Worker

from engine import clock
from engine.db import session_scope
from engine.journey.store import set_status
from engine.models import Conversion, Journey, JourneyAction, JourneyEntry, JourneyStep, Member
from engine.settings import get_settings
from tests.workflows.conftest import Lane, load_members, publish_live, tags_of
from workflows.enroll import enroll
from workflows.journey_activities import MemberEventSignal
from workflows.journey_run import JourneyRun
from workflows.worker import ACTIVITIES, WORKFLOW_RUNNER, WORKFLOWS

pytestmark = [pytest.mark.database]

MEMBERS = "M1,张三,zs@example.com,,,,上海,,2024-01-01,VIP\nM2,李四,,,,,北京,,2024-01-01,\nM3,王五,,,,,,,2024-01-01,\n"


def journey(key: str, steps: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    return {"id": key, "name": key, "trigger": {"type": "manual"}, "steps": steps, **settings}


VIP_JOURNEY = journey(
    "vip-thanks",
    [
        {"id": "is-vip", "type": "if_else", "condition": {"kind": "has_tag", "tag": "VIP"},
         "then": [{"id": "thank", "type": "add_tag", "tag": "VIP_THANKED"}],
         "else": [{"id": "not-vip", "type": "exit", "reason": "not a VIP"}]},
        {"id": "wait-1d", "type": "wait", "days": 1},
        {"id": "done", "type": "add_tag", "tag": "VIP_FOLLOWED_UP"},
    ],
)  # fmt: skip


async def test_tag_journey_branches_on_the_tag_and_records_every_block(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(VIP_JOURNEY)

    vip = await worker.run(plan, "M1")
    other = await worker.run(plan, "M2")

    assert (vip.status, vip.blocks) == ("completed", ["is-vip", "thank", "wait-1d", "done"])
    assert (other.status, other.reason, other.blocks) == ("exited", "not a VIP", ["is-vip", "not-vip"])
    assert {"VIP_THANKED", "VIP_FOLLOWED_UP"} <= tags_of("M1")
    assert tags_of("M2") == set()
    with session_scope() as session:
        steps = {(s.block_id, s.branch) for s in session.scalars(select(JourneyStep)) if s.left_at is not None}
        entries = {e.status for e in session.scalars(select(JourneyEntry))}
    assert {("is-vip", "then"), ("is-vip", "else"), ("wait-1d", None), ("done", None)} <= steps
    assert entries == {"completed", "exited"}


async def test_a_sixty_day_journey_runs_in_seconds(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(
        journey(
            "sixty-days",
            [{"id": "w30", "type": "wait", "days": 30}, {"id": "t30", "type": "add_tag", "tag": "DAY30"},
             {"id": "w60", "type": "wait", "days": 30}, {"id": "t60", "type": "add_tag", "tag": "DAY60"}],
        )
    )  # fmt: skip
    started = wall.monotonic()

    result = await worker.run(plan, "M3")

    assert result.status == "completed"
    assert wall.monotonic() - started < 20
    assert {"DAY30", "DAY60"} <= tags_of("M3")


def order_event(event_id: int, at: Any, amount: float) -> MemberEventSignal:
    return MemberEventSignal(event_id=event_id, type="order_placed", properties={"amount": amount}, occurred_at=at)


async def test_a_goal_reached_mid_wait_ends_the_run_as_a_conversion(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(
        journey(
            "winback-goal",
            [{"id": "wait-10d", "type": "wait", "days": 10}, {"id": "late", "type": "add_tag", "tag": "LATE"}],
            goal={"event": "order_placed", "where": [{"property": "amount", "op": "ge", "value": 100}],
                  "within_days": 14},
        )
    )  # fmt: skip
    handle = await worker.start(plan, "M2")
    await worker.env.sleep(timedelta(days=3))
    now = await worker.env.get_current_time()

    await handle.signal(JourneyRun.member_event, order_event(7, now, 50))  # below the goal's filter
    await handle.signal(JourneyRun.member_event, order_event(8, now, 288.5))
    result = await worker.result(handle)

    assert (result.status, result.blocks) == ("converted", ["wait-10d"])
    assert "LATE" not in tags_of("M2")
    with session_scope() as session:
        conversion = session.scalars(select(Conversion)).one()
        entry = session.scalars(select(JourneyEntry)).one()
    assert (conversion.event_id, str(conversion.revenue)) == (8, "288.50")
    assert (entry.status, entry.exit_reason) == ("converted", "goal reached: order_placed")


@pytest.mark.clock_sensitive
async def test_a_goal_within_days_counts_calendar_days_in_the_shops_zone(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(
        journey("goal-days", [{"id": "wait-10d", "type": "wait", "days": 10}],
                goal={"event": "order_placed", "within_days": 1})
    )  # fmt: skip
    handle = await worker.start(plan, "M2")
    await worker.reached(plan, "M2", "wait-10d")
    with session_scope() as session:
        entered_at = session.scalars(select(col(JourneyEntry.entered_at))).one()
    zone = get_settings().shop_zone
    assert abs(entered_at - clock.now()) < timedelta(minutes=1)  # the server's clock was moved to the pinned one
    next_day = clock.local_date(entered_at, zone) + timedelta(days=1)

    too_late = datetime.combine(next_day + timedelta(days=1), time(0, 10), zone)  # the second day after entering
    in_time = datetime.combine(next_day, time(23, 50), zone)  # the last minutes of the first day after
    await handle.signal(JourneyRun.member_event, order_event(1, too_late, 100))
    await handle.signal(JourneyRun.member_event, order_event(2, in_time, 100))
    result = await worker.result(handle)

    assert result.status == "converted"
    with session_scope() as session:
        assert session.scalars(select(col(Conversion.event_id))).all() == [2]


@pytest.mark.parametrize(("policy", "second_started"), [("never", 0), ("after_exit", 1)])
async def test_reentry_policy_decides_whether_a_finished_member_enters_again(
    worker: Lane, tmp_path: Path, policy: str, second_started: int
) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(
        journey(f"reenter-{policy.replace('_', '-')}", [{"id": "t", "type": "add_tag", "tag": "X"}],
                reentry={"policy": policy})
    )  # fmt: skip
    await worker.run(plan, "M1", occasion="day-1")

    again = await worker.enroll(plan, ["M1"], "day-2")

    assert again.started == second_started
    if second_started:
        await worker.result(worker.handle(plan, "M1", "day-2"))
    with session_scope() as session:
        entries = list(session.scalars(select(JourneyEntry)))
    assert len(entries) == 1 + second_started


async def test_always_reentry_enrolls_once_per_occasion_and_never_twice_for_the_same(
    worker: Lane, tmp_path: Path
) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(
        journey("always", [{"id": "t", "type": "add_tag", "tag": "X"}], reentry={"policy": "always"})
    )
    await worker.run(plan, "M1", occasion="sweep-2026-01-01")

    same_day = await worker.enroll(plan, ["M1"], "sweep-2026-01-01")
    next_day = await worker.run(plan, "M1", occasion="sweep-2026-01-02")

    assert same_day.started == 0
    assert next_day.status == "completed"
    with session_scope() as session:
        actions = list(session.scalars(select(JourneyAction)))
    assert len(actions) == 2  # one tag action per entry, each with its own idempotency key


async def test_while_another_run_is_inside_after_exit_rejects_a_second(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(
        journey("one-at-a-time", [{"id": "w", "type": "wait", "days": 5}], reentry={"policy": "after_exit"})
    )
    await worker.enroll(plan, ["M1"], "day-1")

    second = await worker.enroll(plan, ["M1"], "day-2")

    assert (second.started, second.already_in) == (0, 1)


async def test_a_paused_journey_holds_members_before_their_next_action_until_resumed(
    worker: Lane, tmp_path: Path
) -> None:
    load_members(tmp_path, MEMBERS)
    _published, plan = publish_live(
        journey("pausable", [{"id": "w", "type": "wait", "days": 1}, {"id": "t", "type": "add_tag", "tag": "AFTER"}])
    )
    handle = await worker.start(plan, "M1")
    await handle.signal(JourneyRun.pause_journey, True)
    await worker.env.sleep(timedelta(days=3))

    held = await handle.query(JourneyRun.position)
    tags_while_paused = tags_of("M1")
    await handle.signal(JourneyRun.pause_journey, False)
    result = await worker.result(handle)

    assert held == ["w"]
    assert "AFTER" not in tags_while_paused
    assert result.status == "completed"
    assert "AFTER" in tags_of("M1")


async def test_a_paused_journey_admits_nobody_new(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(journey("closed", [{"id": "t", "type": "add_tag", "tag": "X"}]))
    with session_scope() as session:
        row = session.scalars(select(Journey).where(col(Journey.key) == "closed")).one()
        set_status(row, "paused", row.updated_at)

    result = await worker.run(plan, "M1")

    assert (result.status, result.reason) == ("not_entered", "journey is paused")
    assert "X" not in tags_of("M1")


async def test_a_member_started_before_the_pause_enters_and_holds(
    worker: Lane, tmp_path: Path, executor: concurrent.futures.ThreadPoolExecutor
) -> None:
    """Enrolled while live, picked up by a worker only after the pause (a backlog): entered and held, not lost."""
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(journey("backlogged", [{"id": "t", "type": "add_tag", "tag": "X"}]))
    report = await enroll(worker.client, plan, ["M1"], "manual-1", task_queue="backlog")  # no worker there yet
    with session_scope() as session:
        row = session.scalars(select(Journey).where(col(Journey.key) == "backlogged")).one()
        set_status(row, "paused", clock.now())
    handle = worker.handle(plan, "M1")

    async with Worker(
        worker.client,
        task_queue="backlog",
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        activity_executor=executor,
        workflow_runner=WORKFLOW_RUNNER,
    ):
        for _ in range(200):  # the entry is written by the run's first task
            if _entries("backlogged"):
                break
            await asyncio.sleep(0.05)
        await worker.env.sleep(timedelta(days=2))
        entries_while_paused = _entries("backlogged")
        tags_while_paused = tags_of("M1")
        await handle.signal(JourneyRun.pause_journey, False)
        result = await worker.result(handle)

    assert report.started == 1
    assert entries_while_paused == ["running"]
    assert "X" not in tags_while_paused
    assert result.status == "completed"
    assert "X" in tags_of("M1")


def _entries(journey_key: str) -> list[str]:
    with session_scope() as session:
        statuses = session.scalars(
            select(col(JourneyEntry.status)).join(Journey).where(col(Journey.key) == journey_key)
        )
        return list(statuses)


async def test_archiving_ends_running_members_cleanly(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(journey("archivable", [{"id": "w", "type": "wait", "days": 30}]))
    handle = await worker.start(plan, "M1")
    await worker.env.sleep(timedelta(days=1))

    await handle.signal(JourneyRun.archive_journey)
    result = await worker.result(handle)

    assert (result.status, result.reason) == ("exited", "journey archived")


async def test_members_finish_on_the_version_they_entered_with(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    v1 = journey("pinned", [{"id": "w", "type": "wait", "days": 2}, {"id": "t", "type": "add_tag", "tag": "V1"}])
    first, plan_v1 = publish_live(v1)
    handle = await worker.start(plan_v1, "M1")
    await worker.env.sleep(timedelta(days=1))

    second, plan_v2 = publish_live(
        journey("pinned", [{"id": "w", "type": "wait", "days": 2}, {"id": "t", "type": "add_tag", "tag": "V2"}])
    )
    old = await worker.result(handle)
    new = await worker.run(plan_v2, "M2")

    assert (first.version, second.version) == (1, 2)
    assert old.status == new.status == "completed"
    assert "V1" in tags_of("M1") and "V2" not in tags_of("M1")
    assert "V2" in tags_of("M2")
    with session_scope() as session:
        rows = session.execute(select(col(Member.external_id), col(JourneyEntry.version)).join(Member))
        versions = {member: version for member, version in rows}
    assert versions == {"M1": 1, "M2": 2}
