"""A worker killed with SIGKILL while journey actions are in flight: a new worker finishes every member exactly once,
and no action happens twice (each is claimed by its idempotency key in the same transaction as its writes) — tags,
and coupons, points, email and SMS, whose messages are recorded before the provider is called."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from typer.testing import CliRunner

from cli.main import app
from connectors.email import message_id
from engine.db import session_scope
from engine.models import Coupon, Event, JourneyAction, JourneyEntry, Message, PointsEntry
from engine.settings import get_settings
from tests.smtp_sink import Sink
from tests.workflows.conftest import load_members, publish_live
from workflows.enroll import enroll, workflow_id_for
from workflows.journey_activities import JourneyRunResult

pytestmark = [pytest.mark.database, pytest.mark.slow]
EXAMPLES = Path(__file__).parents[2] / "examples"

MEMBERS = 150
STEPS = [
    {"id": "tag-a", "type": "add_tag", "tag": "A"},
    {"id": "tag-b", "type": "add_tag", "tag": "B"},
    {"id": "untag-a", "type": "remove_tag", "tag": "A"},
    {"id": "tag-c", "type": "add_tag", "tag": "C"},
]
ACTIONS = MEMBERS * len(STEPS)


def count(*where: Any, model: type = JourneyAction) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def start_worker(dev_server: str, tmp_path: Path) -> Iterator[Any]:
    """Starts `memberflow worker` processes against the dev server; kills any left at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "TEMPORAL_ADDRESS": dev_server, "PYTHONUNBUFFERED": "1"}
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "cli", "worker"], env=env, stdout=log, stderr=log)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


async def test_a_killed_worker_leaves_no_member_unfinished_and_no_action_done_twice(
    dev_server: str, start_worker: Any, db: None, tmp_path: Path
) -> None:
    load_members(tmp_path, "".join(f"C{n:04d},会员{n},,,,,,,,\n" for n in range(MEMBERS)))
    _, plan = publish_live({"id": "crash", "name": "crash", "trigger": {"type": "manual"}, "steps": STEPS})
    client = await Client.connect(dev_server, data_converter=pydantic_data_converter)
    first = start_worker("first")

    report = await enroll(client, plan, [f"C{n:04d}" for n in range(MEMBERS)], "crash", task_queue=task_queue())
    done_at_kill = await kill_mid_way(first)
    start_worker("second")
    results = await asyncio.wait_for(
        asyncio.gather(*(finished(client, workflow_id_for(plan, f"C{n:04d}", "once")) for n in range(MEMBERS))),
        timeout=180,
    )

    assert report.started == MEMBERS
    assert 0 < done_at_kill < ACTIONS, "the worker was not killed while actions were in flight"
    assert all(r.status == "completed" and r.blocks == [s["id"] for s in STEPS] for r in results)
    assert count(col(JourneyEntry.status) == "completed", model=JourneyEntry) == MEMBERS
    assert count() == ACTIONS  # one claimed action per member and block
    assert count(col(Event.type) == "tag_added", model=Event) == MEMBERS * 3  # A, B, C: each added once
    assert count(col(Event.type) == "tag_removed", model=Event) == MEMBERS


KILL_DEADLINE_SECONDS = 180


def task_queue() -> str:
    return get_settings().temporal_task_queue


async def kill_mid_way(worker: subprocess.Popen[bytes], progress: Any = count, at: int = ACTIONS // 10) -> int:
    """SIGKILL the worker once `progress()` reaches `at` (some, not all, work done); returns how much was done.

    The deadline is generous: a worker process starting on a loaded machine can take tens of seconds to import and
    connect before it does anything, and the test is about what happens after the kill, not about speed."""
    deadline = time.monotonic() + KILL_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        done = progress()
        if done >= at:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            return done
        assert worker.poll() is None, "the worker exited by itself"
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {progress()} done after {KILL_DEADLINE_SECONDS} s")


async def finished(client: Client, workflow_id: str) -> JourneyRunResult:
    return await client.get_workflow_handle(workflow_id, result_type=JourneyRunResult).result()


REWARDS = [
    {"id": "coupon", "type": "issue_coupon", "template": "winback-20"},
    {"id": "points", "type": "grant_points", "points": 100},
    {"id": "email", "type": "send_email", "template": "winback-email"},
    {"id": "sms", "type": "send_sms", "template": "winback-sms"},
]
REWARDED = 60


async def test_a_killed_worker_issues_grants_and_sends_each_thing_once(
    dev_server: str, start_worker: Any, db: None, tmp_path: Path, smtp_sink: Sink
) -> None:
    load_members(tmp_path, "".join(f"R{n:03d},会员{n},r{n}@example.com,+86137{n:08d},,,,,,\n" for n in range(REWARDED)))
    runner = CliRunner()
    for args in (["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")],
                 ["messages", "load", str(EXAMPLES / "messages" / "templates.yaml")]):  # fmt: skip
        assert runner.invoke(app, args).exit_code == 0
    _, plan = publish_live({"id": "crash-rewards", "name": "crash", "trigger": {"type": "manual"}, "steps": REWARDS})
    client = await Client.connect(dev_server, data_converter=pydantic_data_converter)
    first = start_worker("first")

    members = [f"R{n:03d}" for n in range(REWARDED)]
    await enroll(client, plan, members, "crash", task_queue=task_queue())
    sent_at_kill = await kill_mid_way(first, lambda: count(col(Message.status) == "sent", model=Message), REWARDED // 4)
    start_worker("second")
    results = await asyncio.wait_for(
        asyncio.gather(*(finished(client, workflow_id_for(plan, m, "once")) for m in members)), timeout=180
    )

    assert 0 < sent_at_kill < 2 * REWARDED, "the worker was not killed while messages were in flight"
    assert all(r.status == "completed" for r in results)
    assert count(model=Coupon) == REWARDED  # one code per member
    assert count(col(PointsEntry.kind) == "grant", model=PointsEntry) == REWARDED
    assert count(col(Message.status) == "sent", model=Message) == 2 * REWARDED  # one email and one SMS each
    assert count(model=Message) == 2 * REWARDED
    ids = smtp_sink.message_ids()
    assert len(set(ids)) == REWARDED  # every member's email arrived, under one Message-ID each
    with session_scope() as session:
        expected = set(session.scalars(select(col(Message.idempotency_key)).where(col(Message.channel) == "email")))
    assert set(ids) == {message_id(key) for key in expected}
    # A message the killed worker handed to SMTP but had not marked sent is sent again with the same Message-ID:
    # a mailbox keeps one. How many such repeats there were is printed for the record.
    print(f"SMTP deliveries {len(ids)} for {REWARDED} messages ({len(ids) - REWARDED} repeated by the retry)")
