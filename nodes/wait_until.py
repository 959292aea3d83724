"""Block: wait until a time of day in the member's time zone, optionally only on some weekdays."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.timing import WEEKDAYS, TimeOfDay, next_time_of_day

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class WaitUntil(BlockBase):
    type: Literal["wait_until"] = "wait_until"
    at: TimeOfDay = Field(title="Time of day", description="In the member's time zone (the shop's if they have none).")
    weekdays: list[Weekday] = Field(
        default_factory=list, max_length=7, title="Only on", description="Empty means any day."
    )

    title: ClassVar[str] = "Wait until a time of day"
    icon: ClassVar[str] = "clock"
    category: ClassVar[Category] = "wait"
    help: ClassVar[str] = "Hold the member until e.g. 10:00 their time, so messages arrive at a good hour."

    def check(self) -> list[str]:
        unknown = [day for day in self.weekdays if day not in WEEKDAYS]
        return [f"unknown weekday(s) {', '.join(unknown)}"] if unknown else []

    async def run(self, journey: JourneyRunContext) -> str | None:
        now = journey.now()
        target = next_time_of_day(now, journey.entry.member_timezone, self.at, list(self.weekdays) or None)
        await journey.sleep(target - now)
        return None
