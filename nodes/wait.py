"""Block: wait a fixed time (durable timer; a goal reached meanwhile ends the run)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category
from engine.journey.runtime import JourneyRunContext


class Wait(BlockBase):
    type: Literal["wait"] = "wait"
    days: int = Field(0, title="Days")
    hours: int = Field(0, title="Hours")
    minutes: int = Field(0, title="Minutes")

    title: ClassVar[str] = "Wait"
    icon: ClassVar[str] = "hourglass"
    category: ClassVar[Category] = "wait"
    help: ClassVar[str] = "Hold the member here for a while, e.g. 7 days, then go on."

    @property
    def duration(self) -> timedelta:
        return timedelta(days=self.days, hours=self.hours, minutes=self.minutes)

    def check(self) -> list[str]:
        if self.duration <= timedelta(0):
            return [f"the wait must be longer than zero (it is {self.duration})"]
        return []

    async def run(self, journey: JourneyRunContext) -> str | None:
        await journey.pause(self.duration)
        return None
