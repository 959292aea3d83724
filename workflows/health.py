"""A round trip through Temporal, the worker and the database: proves the running system is whole."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client

with workflow.unsafe.imports_passed_through():
    from engine import clock
    from engine.db import session_scope
    from engine.members.shop_counts import ShopCounts, shop_counts
    from engine.settings import Settings
    from workflows.retries import PROBE


class HealthCheckInput(BaseModel):
    asked_by: str = "web"


@activity.defn
def count_shop_data(_: HealthCheckInput) -> ShopCounts:
    with session_scope() as session:
        return shop_counts(session)


@workflow.defn
class HealthCheck:
    @workflow.run
    async def run(self, request: HealthCheckInput) -> ShopCounts:
        return await workflow.execute_activity(
            count_shop_data, request, start_to_close_timeout=timedelta(seconds=10), retry_policy=PROBE
        )


async def worker_answers(client: Client, settings: Settings, asked_by: str = "web") -> bool:
    """True when a HealthCheck run finishes within 5 seconds: a worker polls the task queue and reaches the
    database; False on any failure or timeout."""
    try:
        await client.execute_workflow(
            HealthCheck.run, HealthCheckInput(asked_by=asked_by), id=f"health-{clock.now():%Y%m%dT%H%M%S%f}",
            task_queue=settings.temporal_task_queue, execution_timeout=timedelta(seconds=5),
        )  # fmt: skip
    except Exception:
        return False
    return True
