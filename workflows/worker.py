"""The memberflow worker: hosts every workflow and activity on one task queue."""

from __future__ import annotations

import asyncio
import concurrent.futures
import signal
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import nodes  # noqa: F401  (every block and condition kind joins the registry, with its activities)
from connectors.temporal import connect
from engine.journey.registry import activities
from engine.settings import Settings
from workflows.control import sync_all_schedules
from workflows.event_delivery import dispatch_forever
from workflows.health import HealthCheck, count_shop_data
from workflows.journey_activities import (
    choose_branch,
    enter_journey,
    finish_entry,
    give_up_message,
    record_journey_steps,
)
from workflows.journey_run import JourneyRun
from workflows.member_intelligence import MemberIntelligence, apply_tag_rules, expire_points_due, recompute_rfm
from workflows.sweep import AudienceSweep, enroll_candidates, sweep_page

WORKFLOWS: Sequence[type] = (HealthCheck, JourneyRun, AudienceSweep, MemberIntelligence)
ACTIVITIES: Sequence[Callable[..., Any]] = (
    count_shop_data, enter_journey, choose_branch, record_journey_steps, finish_entry, give_up_message, sweep_page,
    enroll_candidates, recompute_rfm, apply_tag_rules, expire_points_due, *activities(),
)  # fmt: skip

WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("engine", "nodes")
)
"""The sandbox, with memberflow's models and blocks passed through (they keep no module state but the registry of
kinds, filled once at import, and reach the outside only through activities) so that a new run does not import and
build them again, and finds every kind registered."""


def build_worker(client: Client, settings: Settings, executor: concurrent.futures.Executor) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        activity_executor=executor,
        workflow_runner=WORKFLOW_RUNNER,
        max_concurrent_activities=32,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then let running activities finish (up to 10 s).

    Besides the workflows and activities, the worker delivers recorded member events to journeys.
    """
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sync_all_schedules(client, settings)
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as executor:
        worker = build_worker(client, settings, executor)
        async with worker:
            delivery = asyncio.create_task(dispatch_forever(client, settings, stop))
            await stop.wait()
            await delivery
