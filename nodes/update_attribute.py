"""Block: set one of the member's attributes, e.g. city 上海 or gender female (once per journey entry, however often
the activity is retried).

A member's attributes are the member's own columns (engine.models.Member): the ones the `attribute` condition
compares and a member import writes. So a value obeys the import's rules (engine.intake.records.MemberRecord: one
line of at most 64 characters; a gender is female, male or other, 女 and 男 understood) and is stored by the
import's upsert (engine.intake.saving.save_members), which keeps `updated_at` as an import does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationError
from temporalio import activity

from engine.db import session_scope
from engine.intake.records import MemberRecord, problems_of
from engine.intake.saving import save_members
from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.run_records import perform_once, record_steps
from engine.journey.runtime import ActionInput, ActionResult
from engine.limits import MAX_KEY
from engine.models import Member

Attribute = Literal["city", "gender"]  # the member's own text attributes the attribute condition compares
ATTRIBUTES = {"city": Words("City", "城市"), "gender": Words("Gender", "性别")}


class UpdateAttribute(BlockBase):
    type: Literal["update_attribute"] = "update_attribute"
    attribute: Annotated[Attribute, zh("属性", "要更新的会员属性。", ATTRIBUTES)] = Field(
        title="Attribute", description="The member attribute to set."
    )
    value: Annotated[str, zh("新的值", "例如城市填 上海；性别填 female、male 或 other（也可填 女、男）。")] = Field(
        min_length=1,
        max_length=MAX_KEY,
        title="Value",
        description="The new value, e.g. 上海 for the city; female, male or other (女, 男) for the gender.",
    )

    title: ClassVar[Words] = Words("Update attribute", "更新会员属性")
    help: ClassVar[Words] = Words(
        "Set one of the member's attributes (city, gender), e.g. the city to 上海; member attribute conditions "
        "after it see the new value.",
        "更新会员的一项属性（城市、性别），例如把城市改为 上海；之后的“会员属性”条件会按新的值判断。",
    )
    icon: ClassVar[str] = "user-edit"
    category: ClassVar[Category] = "action"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "set-city", "type": "update_attribute", "attribute": "city", "value": "上海"},
        {"id": "set-gender", "type": "update_attribute", "attribute": "gender", "value": "女"},
    )

    def check(self) -> list[str]:
        try:
            self.record("check")
        except ValidationError as exc:
            return problems_of(exc)
        return []

    def record(self, member_key: str) -> MemberRecord:
        """The member record that sets this attribute of the member `member_key`, as an import would read it (女 is
        stored as female); ValidationError when the value breaks the import's rules."""
        return MemberRecord.model_validate({"member_id": member_key, self.attribute: self.value})

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (update_member_attribute,)

    async def run(self, journey: JourneyRunContext) -> str | None:
        await journey.act(self, update_member_attribute)
        return None


@activity.defn(name="update_attribute")
def update_member_attribute(request: ActionInput) -> ActionResult:
    block = UpdateAttribute.model_validate(request.block)
    record = block.record(request.entry.member_key)
    with session_scope() as session:
        record_steps(session, request.entry, request.steps)
        member = session.get(Member, request.entry.member_id)
        assert member is not None
        detail = {"attribute": block.attribute, "value": getattr(record, block.attribute)}
        was = getattr(member, block.attribute)
        if not perform_once(session, request.entry, block.id, request.idempotency_key, "update_attribute", detail,
                            request.now):  # fmt: skip
            return ActionResult(performed=False, detail=detail)
        [saved] = save_members(session, [record], source="journey", added_by=request.idempotency_key, now=request.now)
        return ActionResult(performed=True, detail={**detail, "was": was, "changed": saved.status == "updated"})
