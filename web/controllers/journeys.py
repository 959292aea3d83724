"""/api/journeys: publish journeys, list them, pause / resume / archive, enroll members by hand, A/B results."""

from __future__ import annotations

import asyncio
import io
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.params import FromQuery, JSONBody, Parameter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from engine import clock
from engine.ab.outcomes import write_outcomes_csv
from engine.ab.splits import SplitReport, live_split, split_report
from engine.analytics.campaign_effect import Effect, campaign_effect
from engine.errors import Invalid, Rejected
from engine.journey.audience import enrollment_plan, members_where
from engine.journey.language import Status
from engine.journey.registry import Condition
from engine.journey.store import JourneySummary, Published, check_against_shop, journey_summaries
from engine.limits import MAX_KEY
from web.auth import require_api_token
from web.dependencies import SessionDep, SettingsDep, TemporalDep
from web.errors import problems
from web.params import BlockId, JourneyKey
from workflows.control import change_status, publish_journey, sweep_now
from workflows.enroll import EnrollReport, enroll


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["live", "paused", "archived"]


class Enrollment(BaseModel):
    """Members by id (a pasted or uploaded list), or every member a filter selects; not both."""

    model_config = ConfigDict(
        extra="forbid",
        defer_build=True,  # holds a condition: built on first use (engine.journey.registry)
        json_schema_extra={  # one_way_to_choose, as the schema says it
            "oneOf": [
                {"required": ["member_ids"], "properties": {"member_ids": {"minItems": 1}}},
                {"required": ["where"], "properties": {"where": {"not": {"type": "null"}}}},
            ]
        },
    )

    member_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY)]] = Field(
        default_factory=list, max_length=10_000
    )
    where: Condition | None = Field(None, description="e.g. {'kind': 'has_tag', 'tag': 'VIP'}")
    occasion: str = Field("manual", max_length=100, description="Names this enrollment; repeating it is a no-op.")

    @model_validator(mode="after")
    def one_way_to_choose(self) -> Enrollment:
        if bool(self.member_ids) == (self.where is not None):
            raise ValueError("name the members with member_ids or select them with where (one of the two)")
        return self


class JourneyController(Controller):
    path = "/api/journeys"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["journeys"]  # noqa: RUF012

    @get(sync_to_thread=True, summary="Every journey with its status and live version", responses=problems())
    def index(self, session: SessionDep) -> list[JourneySummary]:
        return journey_summaries(session)

    @post(
        summary="Validate and publish a journey (a new version only if it changed); 422 lists every problem",
        responses=problems(400, 409, 413, 422, 503),
    )
    async def publish(
        self, data: JSONBody[dict[str, Any]], session: SessionDep, settings: SettingsDep, temporal: TemporalDep,
        status: FromQuery[Status] = "live",
    ) -> Published:  # fmt: skip
        journey, problems, _ = await asyncio.to_thread(check_against_shop, session, data)
        if journey is None or problems:
            raise Rejected([str(p) for p in problems])
        return await publish_journey(await temporal.client(), settings, journey, status)

    @get(
        "/{key:str}/effect", sync_to_thread=True, summary="Campaign effect for the journey and each of its blocks",
        responses=problems(400, 404),
    )  # fmt: skip
    def effect(self, session: SessionDep, key: JourneyKey) -> list[Effect]:
        return campaign_effect(session, key)

    @get(
        "/{key:str}/splits/{block:str}", sync_to_thread=True, summary="A/B analysis of a split block over live data",
        responses=problems(400, 404, 409, 422),
    )  # fmt: skip
    def split_analysis(
        self,
        session: SessionDep,
        key: JourneyKey,
        block: BlockId,
        alpha: Annotated[float, Parameter(gt=0, lt=1, description="Significance level")] = 0.05,
        sequential: FromQuery[bool] = False,
    ) -> SplitReport:
        if not 0 < alpha < 1:
            raise Invalid([f"alpha {alpha} must be between 0 and 1"])
        return split_report(session, key, block, alpha, sequential)[0]

    @get(
        "/{key:str}/splits/{block:str}/members.csv", sync_to_thread=True, summary="Each member's arm and outcome",
        media_type="text/csv", responses=problems(400, 404, 409, 422),
    )  # fmt: skip
    def split_members(self, session: SessionDep, key: JourneyKey, block: BlockId) -> Response[str]:
        text = io.StringIO()
        write_outcomes_csv(text, live_split(session, key, block).members)
        filename = f"{key}-{block}-members.csv"
        return Response(text.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip

    @post(
        "/{key:str}/status", summary="Pause, resume (live) or archive a journey",
        responses=problems(400, 404, 409, 413, 503),
    )  # fmt: skip
    async def set_status(
        self, key: JourneyKey, data: JSONBody[StatusChange], settings: SettingsDep, temporal: TemporalDep
    ) -> dict[str, Any]:
        told = await change_status(await temporal.client(), settings, key, data.status)
        return {"key": key, "status": data.status, "running_members_told": len(told)}

    @post(
        "/{key:str}/sweep", status_code=202, summary="Run a schedule or birthday journey's sweep now",
        responses=problems(400, 404, 409, 503),
    )  # fmt: skip
    async def sweep(self, key: JourneyKey, settings: SettingsDep, temporal: TemporalDep) -> dict[str, str]:
        return {"key": key, "schedule": await sweep_now(await temporal.client(), settings, key)}

    @post(
        "/{key:str}/enroll", summary="Enroll members by id (manual trigger); repeats of an occasion are no-ops",
        responses=problems(400, 404, 409, 413, 422, 503),
    )  # fmt: skip
    async def enroll_members(
        self,
        key: JourneyKey,
        data: JSONBody[Enrollment],
        session: SessionDep,
        settings: SettingsDep,
        temporal: TemporalDep,
    ) -> EnrollReport:
        plan = await asyncio.to_thread(enrollment_plan, session, key)
        members = data.member_ids
        if data.where is not None:
            members = await asyncio.to_thread(members_where, session, data.where, clock.now())
        return await enroll(
            await temporal.client(), plan, members, data.occasion, task_queue=settings.temporal_task_queue
        )
