"""/api/rfm: start a recompute (RFM, then tag rules) on Temporal, and read what the latest run found."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.errors import NotFound
from engine.limits import EARLIEST, LATEST, MAX_WINDOW_DAYS, check_day
from engine.rfm.report import summary
from web.auth import require_api_token
from web.dependencies import SessionDep, SettingsDep, TemporalDep
from web.errors import problems
from workflows.member_intelligence import IntelligenceResult, start_recompute


class RecomputeOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date | None = Field(
        None, description=f"Analysis date ({EARLIEST} to {LATEST}); orders before it count. Default: today."
    )
    window_days: int | None = Field(
        None, ge=1, le=MAX_WINDOW_DAYS, description="Only orders in the N days before as_of."
    )
    apply_tag_rules: bool = True

    @field_validator("as_of")
    @classmethod
    def _in_range(cls, value: date | None) -> date | None:
        return None if value is None else check_day(value)


class RecomputeStarted(BaseModel):
    workflow_id: str
    result: IntelligenceResult | None = None


class RfmController(Controller):
    path = "/api/rfm"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["rfm"]  # noqa: RUF012

    @post(
        "/recompute", status_code=HTTP_202_ACCEPTED,
        summary="Recompute RFM (then the tag rules) now; wait=true answers 200 when it is done",
        responses={
            HTTP_200_OK: ResponseSpec(RecomputeStarted, description="wait=true: the run is done"),
            **problems(400, 413, 503),
        },
    )  # fmt: skip
    async def recompute(
        self,
        data: JSONBody[RecomputeOrder],
        settings: SettingsDep,
        temporal: TemporalDep,
        wait: FromQuery[bool] = False,
    ) -> Response[RecomputeStarted]:
        handle = await start_recompute(await temporal.client(), settings, "api", **data.model_dump())
        if not wait:
            return Response(RecomputeStarted(workflow_id=handle.id), status_code=HTTP_202_ACCEPTED)
        return Response(RecomputeStarted(workflow_id=handle.id, result=await handle.result()), status_code=HTTP_200_OK)

    @get(
        "/summary",
        sync_to_thread=True,
        summary="The latest run: as_of, members scored, score means, segments",
        responses=problems(404),
    )
    def latest(self, session: SessionDep) -> dict[str, Any]:
        found = summary(session)
        if found is None:
            raise NotFound(["no RFM run yet: start one with POST /api/rfm/recompute"])
        return found
