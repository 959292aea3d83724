"""Block: wait a fixed time (durable timer; a goal reached meanwhile ends the run)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.ranges import MAX_DAYS, MAX_HOURS, MAX_MINUTES


class Wait(BlockBase):
    type: Literal["wait"] = "wait"
    days: Annotated[int, zh("天", "等待的天数，与小时、分钟相加。")] = Field(
        0, ge=0, le=MAX_DAYS, title="Days", description="Whole days to wait, added to the hours and minutes."
    )
    hours: Annotated[int, zh("小时", "等待的小时数，与天数、分钟相加。")] = Field(
        0, ge=0, le=MAX_HOURS, title="Hours", description="Hours to wait, added to the days and minutes."
    )
    minutes: Annotated[int, zh("分钟", "等待的分钟数，与天数、小时相加。")] = Field(
        0, ge=0, le=MAX_MINUTES, title="Minutes", description="Minutes to wait, added to the days and hours."
    )

    title: ClassVar[Words] = Words("Wait", "等待")
    help: ClassVar[Words] = Words(
        "Hold the member here for a while, e.g. 7 days, then go on.",
        "让会员在此等待一段时间（例如 7 天），再继续往下走。",
    )
    icon: ClassVar[str] = "hourglass"
    category: ClassVar[Category] = "wait"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "wait-7d", "type": "wait", "days": 7},
        {"id": "wait-90m", "type": "wait", "hours": 1, "minutes": 30},
    )

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
