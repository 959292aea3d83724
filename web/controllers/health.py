"""/api/health: is the database reachable, and does a workflow round trip through Temporal and a worker."""

from __future__ import annotations

import asyncio
from typing import Literal

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from pydantic import BaseModel

from engine.db import database_answers
from web.dependencies import SettingsDep, TemporalDep
from workflows.health import worker_answers

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
    async def check(self, settings: SettingsDep, temporal: TemporalDep) -> Response[Health]:
        database: Status = "ok" if await asyncio.to_thread(database_answers) else "unreachable"
        temporal_status, worker = await _temporal_status(settings, temporal)
        health = Health(database=database, temporal=temporal_status, worker=worker)
        healthy = database == temporal_status == worker == "ok"
        return Response(health, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)


async def _temporal_status(settings: SettingsDep, temporal: TemporalDep) -> tuple[Status, Status]:
    try:
        client = await temporal.client()
    except Exception:  # Unavailable, or anything else on the way: either way not reachable
        return "unreachable", "unreachable"
    return "ok", "ok" if await worker_answers(client, settings) else "unreachable"
