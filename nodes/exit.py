"""Block: leave the journey here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh


class Exit(BlockBase):
    type: Literal["exit"] = "exit"
    reason: Annotated[str, zh("退出原因", "显示在旅程报告中。")] = Field(
        "exit block", max_length=200, title="Reason", description="Shown in the journey's report."
    )

    title: ClassVar[Words] = Words("Exit", "退出旅程")
    help: ClassVar[Words] = Words(
        "The member leaves the journey; nothing after this block in the same path runs.",
        "会员在此退出旅程，同一路径中此后的节点都不再执行。",
    )
    icon: ClassVar[str] = "log-out"
    category: ClassVar[Category] = "flow"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"id": "won-back", "type": "exit", "reason": "ordered again"},)
    ends_journey: ClassVar[bool] = True

    async def run(self, journey: JourneyRunContext) -> str | None:
        journey.finish(self.reason)
        return None
