"""Block: add a tag to the member (once per journey entry, however often the activity is retried)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field
from temporalio import activity

from engine.db import session_scope
from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.run_records import perform_once, record_steps
from engine.journey.runtime import ActionInput, ActionResult
from engine.limits import TagText
from engine.members.tags import add_tag
from engine.models import Member


class AddTag(BlockBase):
    type: Literal["add_tag"] = "add_tag"
    tag: Annotated[TagText, zh("标签", "要打上的标签名称，例如 VIP_THANKED。")] = Field(
        min_length=1, max_length=64, title="Tag", description="The tag to give, e.g. VIP_THANKED."
    )

    title: ClassVar[Words] = Words("Add tag", "打标签")
    help: ClassVar[Words] = Words(
        "Give the member a tag; other journeys and segments can use it.",
        "给会员打上一个标签，其他旅程和会员分群都能用到它。",
    )
    icon: ClassVar[str] = "tag"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"id": "tag-vip", "type": "add_tag", "tag": "VIP_THANKED"},)

    def tags_given(self) -> set[str]:
        return {self.tag}

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (add_tag_to_member,)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await journey.act(self, add_tag_to_member)
        return None


@activity.defn(name="add_tag")
def add_tag_to_member(request: ActionInput) -> ActionResult:
    block = AddTag.model_validate(request.block)
    with session_scope() as session:
        record_steps(session, request.entry, request.steps)
        detail = {"tag": block.tag}
        if not perform_once(session, request.entry, block.id, request.idempotency_key, "add_tag", detail, request.now):
            return ActionResult(performed=False, detail=detail)
        member = session.get(Member, request.entry.member_id)
        assert member is not None
        added = add_tag(session, member, block.tag, source="journey", added_by=request.idempotency_key, now=request.now)
        return ActionResult(performed=True, detail={**detail, "changed": added})
