"""Block: leave the journey here."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext


class Exit(BlockBase):
    type: Literal["exit"] = "exit"
    reason: str = Field("exit block", max_length=200, title="Reason", description="Shown in the journey's report.")

    title: ClassVar[str] = "Exit"
    icon: ClassVar[str] = "log-out"
    category: ClassVar[Category] = "flow"
    help: ClassVar[str] = "The member leaves the journey; nothing after this block in the same path runs."
    ends_journey: ClassVar[bool] = True

    async def run(self, journey: JourneyRunContext) -> str | None:
        journey.finish(self.reason)
        return None
