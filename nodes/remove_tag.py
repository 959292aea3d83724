"""Block: remove a tag from the member (once per journey entry)."""

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
from engine.members.tags import remove_tag
from engine.models import Member


class RemoveTag(BlockBase):
    type: Literal["remove_tag"] = "remove_tag"
    tag: Annotated[TagText, zh("标签", "要移除的标签名称，例如 WINBACK。")] = Field(
        min_length=1, max_length=64, title="Tag", description="The tag to take away, e.g. WINBACK."
    )

    title: ClassVar[Words] = Words("Remove tag", "移除标签")
    help: ClassVar[Words] = Words(
        "Take a tag away from the member, if they have it.", "如果会员带有这个标签，就将其移除。"
    )
    icon: ClassVar[str] = "tag-off"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"id": "untag", "type": "remove_tag", "tag": "WINBACK"},)

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (remove_tag_from_member,)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await journey.act(self, remove_tag_from_member)
        return None


@activity.defn(name="remove_tag")
def remove_tag_from_member(request: ActionInput) -> ActionResult:
    block = RemoveTag.model_validate(request.block)
    with session_scope() as session:
        record_steps(session, request.entry, request.steps)
        detail = {"tag": block.tag}
        if not perform_once(
            session, request.entry, block.id, request.idempotency_key, "remove_tag", detail, request.now
        ):
            return ActionResult(performed=False, detail=detail)
        member = session.get(Member, request.entry.member_id)
        assert member is not None
        removed = remove_tag(
            session, member, block.tag, source="journey", added_by=request.idempotency_key, now=request.now
        )
        return ActionResult(performed=True, detail={**detail, "changed": removed})
