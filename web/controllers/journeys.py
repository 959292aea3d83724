"""/api/journeys: publish journeys, list them, pause / resume / archive, enroll members by hand, A/B results."""

from __future__ import annotations

import asyncio
import io
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery, JSONBody, Parameter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from engine import clock
from engine.ab.splits import SplitReport, live_split, split_report, write_outcomes_csv
from engine.analytics.campaign_effect import Effect, campaign_effect
from engine.db import session_scope
from engine.errors import InputError
from engine.journey.audience import members_matching
from engine.journey.base import Problem
from engine.journey.language import JourneyDefinition, Status
from engine.journey.registry import Condition
from engine.journey.store import (
    JourneySummary,
    Published,
    check_against_shop,
    event_types_in_use,
    journey_summaries,
    live_plan,
    shop_data,
)
from engine.journey.validate import condition_problems
from engine.limits import MAX_KEY
from engine.settings import get_settings
from web.auth import require_api_token
from web.errors import problems
from web.params import BlockId, JourneyKey
from web.temporal import temporal_client
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

    @get(summary="Every journey with its status and live version", responses=problems())
    async def index(self) -> list[JourneySummary]:
        return await asyncio.to_thread(_summaries)

    @post(
        summary="Validate and publish a journey (a new version only if it changed); 422 lists every problem",
        responses=problems(400, 409, 413, 422, 503),
    )
    async def publish(
        self, data: JSONBody[dict[str, Any]], state: State, status: FromQuery[Status] = "live"
    ) -> Published:
        journey, problems = await asyncio.to_thread(_checked, data)
        if journey is None or problems:
            raise InputError([str(p) for p in problems], status_code=422)
        return await publish_journey(await temporal_client(state), get_settings(), journey, status)

    @get(
        "/{key:str}/effect", sync_to_thread=True, summary="Campaign effect for the journey and each of its blocks",
        responses=problems(400, 404),
    )  # fmt: skip
    def effect(self, key: JourneyKey) -> list[Effect]:
        with session_scope() as session:
            return campaign_effect(session, key)

    @get(
        "/{key:str}/splits/{block:str}", sync_to_thread=True, summary="A/B analysis of a split block over live data",
        responses=problems(400, 404, 409, 422),
    )  # fmt: skip
    def split_analysis(
        self,
        key: JourneyKey,
        block: BlockId,
        alpha: Annotated[float, Parameter(gt=0, lt=1, description="Significance level")] = 0.05,
        sequential: FromQuery[bool] = False,
    ) -> SplitReport:
        if not 0 < alpha < 1:
            raise InputError([f"alpha {alpha} must be between 0 and 1"])
        with session_scope() as session:
            return split_report(session, key, block, alpha, sequential)[0]

    @get(
        "/{key:str}/splits/{block:str}/members.csv", sync_to_thread=True, summary="Each member's arm and outcome",
        media_type="text/csv", responses=problems(400, 404, 409, 422),
    )  # fmt: skip
    def split_members(self, key: JourneyKey, block: BlockId) -> Response[str]:
        with session_scope() as session:
            members = live_split(session, key, block).members
        text = io.StringIO()
        write_outcomes_csv(text, members)
        filename = f"{key}-{block}-members.csv"
        return Response(text.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip

    @post(
        "/{key:str}/status", summary="Pause, resume (live) or archive a journey",
        responses=problems(400, 404, 409, 413, 503),
    )  # fmt: skip
    async def set_status(self, key: JourneyKey, data: JSONBody[StatusChange], state: State) -> dict[str, Any]:
        told = await change_status(await temporal_client(state), get_settings(), key, data.status)
        return {"key": key, "status": data.status, "running_members_told": len(told)}

    @post(
        "/{key:str}/sweep", status_code=202, summary="Run a schedule or birthday journey's sweep now",
        responses=problems(400, 404, 409, 503),
    )  # fmt: skip
    async def sweep(self, key: JourneyKey, state: State) -> dict[str, str]:
        return {"key": key, "schedule": await sweep_now(await temporal_client(state), get_settings(), key)}

    @post(
        "/{key:str}/enroll", summary="Enroll members by id (manual trigger); repeats of an occasion are no-ops",
        responses=problems(400, 404, 409, 413, 422, 503),
    )  # fmt: skip
    async def enroll_members(self, key: JourneyKey, data: JSONBody[Enrollment], state: State) -> EnrollReport:
        journey, plan = await asyncio.to_thread(_live, key)
        if journey.status != "live":
            raise InputError([f"journey {key} is {journey.status}; only live journeys take new members"], 409)
        if data.where is not None:
            problems = await asyncio.to_thread(_where_problems, data.where)
            if problems:
                raise InputError([f"where: {problem}" for problem in problems], 422)
        members = data.member_ids or await asyncio.to_thread(_matching, data.where)
        client = await temporal_client(state)
        return await enroll(client, plan, members, data.occasion, task_queue=get_settings().temporal_task_queue)


def _summaries() -> list[JourneySummary]:
    with session_scope() as session:
        return journey_summaries(session)


def _checked(raw: Any) -> tuple[JourneyDefinition | None, list[Problem]]:
    with session_scope() as session:
        journey, problems, _ = check_against_shop(session, raw)
        return journey, problems


def _where_problems(where: Condition) -> list[str]:
    with session_scope() as session:
        return condition_problems(where, event_types_in_use(session), shop_data(session))


def _matching(condition: Condition | None) -> list[str]:
    assert condition is not None
    with session_scope() as session:
        return members_matching(session, condition, clock.now())


def _live(key: str) -> Any:
    with session_scope() as session:
        return live_plan(session, key)
