"""/api/members: add or update members (one or a batch), list and look them up."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from engine.db import session_scope
from engine.intake import take_members
from engine.members import MemberPage, MemberProfile, list_members, member_profile
from web.auth import require_api_token
from web.payloads import BatchResult, ItemResult, MemberPayload, respond
from web.temporal import deliver_events


class MemberController(Controller):
    path = "/api/members"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["members"]  # noqa: RUF012

    @post(summary="Add or update members (upsert on member_id)")
    async def save(self, data: JSONBody[MemberPayload], state: State) -> Response[ItemResult | BatchResult]:
        outcomes = await asyncio.to_thread(take_members, data.records(), added_by="api")
        await deliver_events(state)
        return respond(outcomes, data.is_batch)

    @get(sync_to_thread=True, summary="List members, optionally searching id, name, email, phone and city")
    def index(
        self,
        q: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> MemberPage:
        with session_scope() as session:
            return list_members(session, search=q, limit=limit, offset=offset)

    @get("/{member_id:str}", sync_to_thread=True, summary="One member with tags and order totals")
    def show(self, member_id: FromPath[str]) -> MemberProfile:
        with session_scope() as session:
            profile = member_profile(session, member_id)
        if profile is None:
            raise NotFoundException(f"member {member_id} does not exist")
        return profile
