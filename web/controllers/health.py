"""/api/health: is the database reachable, and does a workflow round trip through Temporal and a worker."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from pydantic import BaseModel
from sqlalchemy import text

from engine import clock
from engine.db import session_scope
from engine.settings import get_settings
from web.temporal import temporal_client
from workflows.health import HealthCheck, HealthCheckInput

Status = Literal["ok", "unreachable"]


class Health(BaseModel):
    database: Status
    temporal: Status
    worker: Status


class HealthController(Controller):
    path = "/api/health"
    tags = ["health"]  # noqa: RUF012

    @get(
        summary="Database, Temporal and worker status (no token needed)",
        security=[{}],  # the one route without the token
        responses={503: ResponseSpec(Health, description="The database, Temporal or a worker is unreachable")},
    )
    async def check(self, state: State) -> Response[Health]:
        database = await asyncio.to_thread(_database_status)
        temporal, worker = await _temporal_status(state)
        health = Health(database=database, temporal=temporal, worker=worker)
        healthy = database == temporal == worker == "ok"
        return Response(health, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)


def _database_status() -> Status:
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return "unreachable"
    return "ok"


async def _temporal_status(state: State) -> tuple[Status, Status]:
    settings = get_settings()
    try:
        client = await temporal_client(state)
    except Exception:
        return "unreachable", "unreachable"
    try:
        await client.execute_workflow(
            HealthCheck.run,
            HealthCheckInput(asked_by="web"),
            id=f"health-{clock.now():%Y%m%dT%H%M%S%f}",
            task_queue=settings.temporal_task_queue,
            execution_timeout=timedelta(seconds=5),
        )
    except Exception:
        return "ok", "unreachable"
    return "ok", "ok"
