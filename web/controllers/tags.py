"""/api/tag-rules: the rules that keep tags up to date; /api/members/{id}/tags: tags by hand."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlmodel import col

from engine import clock
from engine.db import session_scope
from engine.errors import InputError
from engine.limits import MAX_KEY, check_line
from engine.members.tag_rules import (
    RuleFailure,
    RuleReport,
    TagRuleSpec,
    apply_rules,
    delete_rule,
    rule_failures,
    rules,
    save_rule,
)
from engine.members.tags import add_tag, remove_tag
from engine.models import Member
from web.auth import require_api_token
from web.errors import problems
from web.params import MemberId, TagName


class TagRuleBody(TagRuleSpec):
    """A rule as PUT sends it: the path names the tag; a tag in the body too must be the same one."""

    tag: str | None = Field(None, min_length=1, max_length=MAX_KEY, description="Optional: the tag in the path")  # type: ignore[assignment]

    def for_tag(self, tag: str) -> TagRuleSpec:
        """The rule for the path's `tag`; InputError naming both when the body names another tag."""
        if self.tag is not None and self.tag != tag:
            raise InputError([f"the path names tag '{tag}' but the body names tag '{self.tag}'; they must agree"])
        return TagRuleSpec.model_validate({**dict(self), "tag": tag})


class TagChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: str = Field(min_length=1, max_length=MAX_KEY)

    @field_validator("tag")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return check_line(value)


class TagChanged(BaseModel):
    member_id: str
    tag: str
    changed: bool


class TagRuleController(Controller):
    path = "/api/tag-rules"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["tags"]  # noqa: RUF012

    @get(sync_to_thread=True, summary="Every tag rule", responses=problems())
    def index(self) -> list[TagRuleSpec]:
        with session_scope() as session:
            return rules(session)

    @put(
        "/{tag:str}", sync_to_thread=True, summary="Create or replace the rule for a tag; 400 names every problem",
        responses=problems(400, 413),
    )  # fmt: skip
    def save(self, tag: TagName, data: JSONBody[TagRuleBody]) -> TagRuleSpec:
        spec = data.for_tag(tag)
        with session_scope() as session:
            save_rule(session, spec, clock.now())
        return spec

    @delete(
        "/{tag:str}", sync_to_thread=True, summary="Delete a rule (members keep the tag until removed)",
        responses=problems(400, 404),
    )  # fmt: skip
    def remove(self, tag: TagName) -> None:
        with session_scope() as session:
            if not delete_rule(session, tag):
                raise NotFoundException(f"there is no rule for tag '{tag}'")

    @post("/apply", sync_to_thread=True, summary="Apply every active rule to every member now", responses=problems())
    def apply(self) -> RuleReport:
        with session_scope() as session:
            return apply_rules(session)

    @get(
        "/failures", sync_to_thread=True, summary="Rules that failed for a member (or no longer load), with reasons",
        responses=problems(),
    )  # fmt: skip
    def failures(self) -> list[RuleFailure]:
        with session_scope() as session:
            return rule_failures(session)


class MemberTagController(Controller):
    path = "/api/members/{member_id:str}/tags"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["tags"]  # noqa: RUF012

    @post(sync_to_thread=True, summary="Give a member a tag by hand", responses=problems(400, 404, 413))
    def add(self, member_id: MemberId, data: JSONBody[TagChange]) -> TagChanged:
        return _change(member_id, data.tag, adding=True)

    @delete(
        "/{tag:str}", sync_to_thread=True, status_code=200, summary="Take a tag off a member",
        responses=problems(400, 404),
    )  # fmt: skip
    def remove(self, member_id: MemberId, tag: TagName) -> TagChanged:
        return _change(member_id, tag, adding=False)


def _change(member_key: str, tag: str, *, adding: bool) -> TagChanged:
    with session_scope() as session:
        member = session.scalars(select(Member).where(col(Member.external_id) == member_key)).first()
        if member is None:
            raise NotFoundException(f"member {member_key} does not exist")
        change = add_tag if adding else remove_tag
        changed = change(session, member, tag, source="api", added_by="api", now=clock.now())
    return TagChanged(member_id=member_key, tag=tag, changed=changed)
