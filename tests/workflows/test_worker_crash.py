"""A worker killed with SIGKILL while journey actions are in flight: a new worker finishes every member exactly once,
and no action happens twice (each is claimed by its idempotency key in the same transaction as its writes)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from engine.db import session_scope
from engine.models import Event, JourneyAction, JourneyEntry
from engine.settings import get_settings
from tests.workflows.conftest import load_members, publish_live
from workflows.enroll import enroll, workflow_id_for
from workflows.journey_run import JourneyRunResult

pytestmark = [pytest.mark.database, pytest.mark.slow]

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
            process = subprocess.Popen([sys.executable, "-m", "engine.cli", "worker"], env=env, stdout=log, stderr=log)
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


def task_queue() -> str:
    return get_settings().temporal_task_queue


async def kill_mid_way(worker: subprocess.Popen[bytes]) -> int:
    """SIGKILL the worker once some, not all, actions are done; returns how many were."""
    for _ in range(1200):
        done = count()
        if done >= ACTIONS // 10:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            return done
        assert worker.poll() is None, "the worker exited by itself"
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {count()} actions after 12 s")


async def finished(client: Client, workflow_id: str) -> JourneyRunResult:
    return await client.get_workflow_handle(workflow_id, result_type=JourneyRunResult).result()
