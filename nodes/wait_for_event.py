"""Block: wait until the member does something, at most for a while; continue on "happened" or "timed_out"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.events import EventMatch
from engine.journey.metadata import Words, zh
from engine.journey.registry import Block
from engine.ranges import MAX_DAYS, MAX_HOURS


class WaitForEvent(BlockBase):
    type: Literal["wait_for_event"] = "wait_for_event"
    until: Annotated[EventMatch, zh("等待的行为", "要等待的会员事件，例如 order_placed（下单），可加筛选条件。")] = (
        Field(title="Until the member", description="The event to wait for, e.g. order_placed, with optional filters.")
    )
    timeout_days: Annotated[int, zh("最长等待（天）", "最长等待的天数，与小时数相加。")] = Field(
        0, ge=0, le=MAX_DAYS, title="At most (days)", description="The longest wait, added to the hours."
    )
    timeout_hours: Annotated[int, zh("最长等待（小时）", "最长等待的小时数，与天数相加。")] = Field(
        0, ge=0, le=MAX_HOURS, title="At most (hours)", description="The longest wait, added to the days."
    )
    happened: Annotated[list[Block], zh("已发生", "在时限内完成该行为的会员经过的节点。")] = Field(
        default_factory=list, title="If it happened", description="The blocks for members who did it in time."
    )
    timed_out: Annotated[list[Block], zh("超时未发生", "到时仍未完成该行为的会员经过的节点。")] = Field(
        default_factory=list, title="If time ran out", description="The blocks for members who did not."
    )

    title: ClassVar[Words] = Words("Wait for an event", "等待会员行为")
    help: ClassVar[Words] = Words(
        "Wait until the member e.g. places an order, at most N days; branch on what happened.",
        "等待会员完成某个行为（例如下单），最多等 N 天；按是否发生分别进入不同分支。",
    )
    icon: ClassVar[str] = "bell"
    category: ClassVar[Category] = "wait"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {
            "id": "wait-order", "type": "wait_for_event", "timeout_days": 7,
            "until": {"event": "order_placed", "where": [{"property": "amount", "op": "ge", "value": 100}]},
            "happened": [{"id": "thanks", "type": "add_tag", "tag": "CAME_BACK"}],
            "timed_out": [{"id": "still-silent", "type": "add_tag", "tag": "SILENT"}],
        },
    )  # fmt: skip

    @property
    def timeout(self) -> timedelta:
        return timedelta(days=self.timeout_days, hours=self.timeout_hours)

    def branches(self) -> list[tuple[str, list[BlockBase]]]:
        return [("happened", list(self.happened)), ("timed_out", list(self.timed_out))]

    def without_steps(self) -> BlockBase:
        return self.model_copy(update={"happened": [], "timed_out": []})

    def check(self) -> list[str]:
        if self.timeout <= timedelta(0):
            return [f"the longest wait must be more than zero (it is {self.timeout})"]
        if self.timeout > timedelta(days=MAX_DAYS):
            return [f"the longest wait must be at most {MAX_DAYS} days in all (it is {self.timeout.days} days)"]
        return []

    async def run(self, journey: JourneyRunContext) -> str | None:
        happened = await journey.wait_for_event(self.until, self.timeout)
        return "happened" if happened else "timed_out"
