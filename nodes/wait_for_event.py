"""Block: wait until the member does something, at most for a while; continue on "happened" or "timed_out"."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.events import EventMatch
from engine.journey.registry import Block
from engine.ranges import MAX_DAYS, MAX_HOURS


class WaitForEvent(BlockBase):
    type: Literal["wait_for_event"] = "wait_for_event"
    until: EventMatch = Field(title="Until the member", description="e.g. order_placed")
    timeout_days: int = Field(0, ge=0, le=MAX_DAYS, title="At most (days)")
    timeout_hours: int = Field(0, ge=0, le=MAX_HOURS, title="At most (hours)")
    happened: list[Block] = Field(default_factory=list, title="If it happened")
    timed_out: list[Block] = Field(default_factory=list, title="If time ran out")

    title: ClassVar[str] = "Wait for an event"
    icon: ClassVar[str] = "bell"
    category: ClassVar[Category] = "wait"
    help: ClassVar[str] = "Wait until the member e.g. places an order, at most N days; branch on what happened."

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
