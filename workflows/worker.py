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

from connectors.temporal import connect
from engine.settings import Settings
from workflows.health import HealthCheck, count_shop_data

WORKFLOWS: Sequence[type] = (HealthCheck,)
ACTIVITIES: Sequence[Callable[..., Any]] = (count_shop_data,)


def build_worker(client: Client, settings: Settings, executor: concurrent.futures.Executor) -> Worker:
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        activity_executor=executor,
        max_concurrent_activities=32,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


async def run_worker(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then let running activities finish (up to 10 s)."""
    client = await connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as executor:
        worker = build_worker(client, settings, executor)
        async with worker:
            await stop.wait()
