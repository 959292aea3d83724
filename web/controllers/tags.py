"""/api/tag-rules: the rules that keep tags up to date; /api/members/{id}/tags: tags by hand."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import session_scope
from engine.models import Member
from engine.tag_rules import (
    RuleFailure,
    RuleReport,
    TagRuleSpec,
    apply_rules,
    delete_rule,
    rule_failures,
    rules,
    save_rule,
)
from engine.tagging import add_tag, remove_tag
from web.auth import require_api_token


class TagChange(BaseModel):
    tag: str = Field(min_length=1, max_length=64)


class TagChanged(BaseModel):
    member_id: str
    tag: str
    changed: bool


class TagRuleController(Controller):
    path = "/api/tag-rules"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["tags"]  # noqa: RUF012

    @get(sync_to_thread=True, summary="Every tag rule")
    def index(self) -> list[TagRuleSpec]:
        with session_scope() as session:
            return rules(session)

    @put("/{tag:str}", sync_to_thread=True, summary="Create or replace the rule for a tag; 400 names every problem")
    def save(self, tag: FromPath[str], data: JSONBody[TagRuleSpec]) -> TagRuleSpec:
        spec = data.model_copy(update={"tag": tag})
        with session_scope() as session:
            save_rule(session, spec, clock.now())
        return spec

    @delete("/{tag:str}", sync_to_thread=True, summary="Delete a rule (members keep the tag until removed)")
    def remove(self, tag: FromPath[str]) -> None:
        with session_scope() as session:
            if not delete_rule(session, tag):
                raise NotFoundException(f"there is no rule for tag '{tag}'")

    @post("/apply", sync_to_thread=True, summary="Apply every active rule to every member now")
    def apply(self) -> RuleReport:
        with session_scope() as session:
            return apply_rules(session)

    @get("/failures", sync_to_thread=True, summary="Rules that failed for a member (or no longer load), with reasons")
    def failures(self) -> list[RuleFailure]:
        with session_scope() as session:
            return rule_failures(session)


class MemberTagController(Controller):
    path = "/api/members/{member_id:str}/tags"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["tags"]  # noqa: RUF012

    @post(sync_to_thread=True, summary="Give a member a tag by hand")
    def add(self, member_id: FromPath[str], data: JSONBody[TagChange]) -> TagChanged:
        return _change(member_id, data.tag, adding=True)

    @delete("/{tag:str}", sync_to_thread=True, status_code=200, summary="Take a tag off a member")
    def remove(self, member_id: FromPath[str], tag: FromPath[str]) -> TagChanged:
        return _change(member_id, tag, adding=False)


def _change(member_key: str, tag: str, *, adding: bool) -> TagChanged:
    with session_scope() as session:
        member = session.scalars(select(Member).where(col(Member.external_id) == member_key)).first()
        if member is None:
            raise NotFoundException(f"member {member_key} does not exist")
        change = add_tag if adding else remove_tag
        changed = change(session, member, tag, source="api", added_by="api", now=clock.now())
    return TagChanged(member_id=member_key, tag=tag, changed=changed)
