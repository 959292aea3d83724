"""A round trip through Temporal, the worker and the database: proves the running system is whole."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from engine.db import session_scope
    from engine.members.shop_counts import ShopCounts, shop_counts
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
