"""Block: wait a fixed time (durable timer; a goal reached meanwhile ends the run)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.ranges import MAX_DAYS, MAX_HOURS, MAX_MINUTES


class Wait(BlockBase):
    type: Literal["wait"] = "wait"
    days: int = Field(0, ge=0, le=MAX_DAYS, title="Days")
    hours: int = Field(0, ge=0, le=MAX_HOURS, title="Hours")
    minutes: int = Field(0, ge=0, le=MAX_MINUTES, title="Minutes")

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
        if self.duration > timedelta(days=MAX_DAYS):
            return [f"the wait must be at most {MAX_DAYS} days in all (it is {self.duration.days} days)"]
        return []

    async def run(self, journey: JourneyRunContext) -> str | None:
        await journey.sleep(self.duration)
        return None
