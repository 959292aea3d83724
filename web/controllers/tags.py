"""/api/tag-rules: the rules that keep tags up to date; /api/members/{id}/tags: tags by hand."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine import clock
from engine.errors import Invalid
from engine.limits import MAX_KEY, check_tag
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
from engine.members.tags import tag_by_hand
from web.auth import require_api_token
from web.dependencies import SessionDep
from web.errors import problems
from web.params import MemberId, TagName


class TagRuleBody(TagRuleSpec):
    """A rule as PUT sends it: the path names the tag; a tag in the body too must be the same one."""

    tag: str | None = Field(None, min_length=1, max_length=MAX_KEY, description="Optional: the tag in the path")  # type: ignore[assignment]

    def for_tag(self, tag: str) -> TagRuleSpec:
        """The rule for the path's `tag`; Invalid naming both when the body names another tag."""
        if self.tag is not None and self.tag != tag:
            raise Invalid([f"the path names tag '{tag}' but the body names tag '{self.tag}'; they must agree"])
        return TagRuleSpec.model_validate({**dict(self), "tag": tag})


class TagChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: str = Field(min_length=1, max_length=MAX_KEY)

    @field_validator("tag")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return check_tag(value)


class TagChanged(BaseModel):
    member_id: str
    tag: str
    changed: bool


class TagRuleController(Controller):
    path = "/api/tag-rules"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["tags"]  # noqa: RUF012

    @get(sync_to_thread=True, summary="Every tag rule", responses=problems())
    def index(self, session: SessionDep) -> list[TagRuleSpec]:
        return rules(session)

    @put(
        "/{tag:str}", sync_to_thread=True, summary="Create or replace the rule for a tag; 400 names every problem",
        responses=problems(400, 413),
    )  # fmt: skip
    def save(self, session: SessionDep, tag: TagName, data: JSONBody[TagRuleBody]) -> TagRuleSpec:
        spec = data.for_tag(tag)
        save_rule(session, spec, clock.now())
        return spec

    @delete(
        "/{tag:str}", sync_to_thread=True, summary="Delete a rule (members keep the tag until removed)",
        responses=problems(400, 404),
    )  # fmt: skip
    def remove(self, session: SessionDep, tag: TagName) -> None:
        delete_rule(session, tag)

    @post("/apply", sync_to_thread=True, summary="Apply every active rule to every member now", responses=problems())
    def apply(self, session: SessionDep) -> RuleReport:
        return apply_rules(session)

    @get(
        "/failures", sync_to_thread=True, summary="Rules that failed for a member (or no longer load), with reasons",
        responses=problems(),
    )  # fmt: skip
    def failures(self, session: SessionDep) -> list[RuleFailure]:
        return rule_failures(session)


class MemberTagController(Controller):
    path = "/api/members/{member_id:str}/tags"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["tags"]  # noqa: RUF012

    @post(sync_to_thread=True, summary="Give a member a tag by hand", responses=problems(400, 404, 413))
    def add(self, session: SessionDep, member_id: MemberId, data: JSONBody[TagChange]) -> TagChanged:
        changed = tag_by_hand(session, member_id, data.tag, adding=True, source="api", added_by="api", now=clock.now())
        return TagChanged(member_id=member_id, tag=data.tag, changed=changed)

    @delete(
        "/{tag:str}", sync_to_thread=True, status_code=200, summary="Take a tag off a member",
        responses=problems(400, 404),
    )  # fmt: skip
    def remove(self, session: SessionDep, member_id: MemberId, tag: TagName) -> TagChanged:
        changed = tag_by_hand(session, member_id, tag, adding=False, source="api", added_by="api", now=clock.now())
        return TagChanged(member_id=member_id, tag=tag, changed=changed)
