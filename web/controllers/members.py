"""/api/members: add or update members (one or a batch), list and look them up."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, get, post
from litestar.params import JSONBody

from engine.intake.api_intake import take_members
from engine.members.profiles import MemberPage, MemberProfile, list_members, member_profile
from web.auth import require_api_token
from web.dependencies import SessionDep, TemporalDep
from web.errors import batch_answers, problems
from web.params import Limit, MemberId, Offset, Search
from web.payloads import BatchResult, ItemResult, MemberPayload, respond


class MemberController(Controller):
    path = "/api/members"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["members"]  # noqa: RUF012

    @post(summary="Add or update members (upsert on member_id)", responses=batch_answers(ItemResult, 400, 413))
    async def save(self, data: JSONBody[MemberPayload], temporal: TemporalDep) -> Response[ItemResult | BatchResult]:
        outcomes = await asyncio.to_thread(take_members, data.records(), added_by="api")
        await temporal.deliver_events()
        return respond(outcomes, data.is_batch)

    @get(
        sync_to_thread=True, summary="List members, optionally searching id, name, email, phone and city",
        responses=problems(400),
    )  # fmt: skip
    def index(self, session: SessionDep, q: Search = None, limit: Limit = 50, offset: Offset = 0) -> MemberPage:
        return list_members(session, search=q, limit=limit, offset=offset)

    @get(
        "/{member_id:str}", sync_to_thread=True, summary="One member with tags and order totals",
        responses=problems(400, 404),
    )  # fmt: skip
    def show(self, session: SessionDep, member_id: MemberId) -> MemberProfile:
        return member_profile(session, member_id)
