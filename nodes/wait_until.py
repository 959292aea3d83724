"""Block: wait until a time of day in the member's time zone, optionally only on some weekdays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.metadata import Words, zh
from engine.journey.timing import WEEKDAYS, TimeOfDay, next_time_of_day

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_WORDS = {
    "mon": Words("Monday", "周一"), "tue": Words("Tuesday", "周二"), "wed": Words("Wednesday", "周三"),
    "thu": Words("Thursday", "周四"), "fri": Words("Friday", "周五"), "sat": Words("Saturday", "周六"),
    "sun": Words("Sunday", "周日"),
}  # fmt: skip


class WaitUntil(BlockBase):
    type: Literal["wait_until"] = "wait_until"
    at: Annotated[TimeOfDay, zh("时间", "按会员所在时区计算（会员没有时区时按店铺时区）。")] = Field(
        title="Time of day", description="In the member's time zone (the shop's if they have none)."
    )
    weekdays: Annotated[list[Weekday], zh("仅限星期几", "留空表示每天都可以。", WEEKDAY_WORDS)] = Field(
        default_factory=list, max_length=7, title="Only on", description="Empty means any day."
    )

    title: ClassVar[Words] = Words("Wait until a time of day", "等到指定时间")
    help: ClassVar[Words] = Words(
        "Hold the member until e.g. 10:00 their time, so messages arrive at a good hour.",
        "让会员等到其当地时间的某个时刻（例如 10:00），让消息在合适的时间送达。",
    )
    icon: ClassVar[str] = "clock"
    category: ClassVar[Category] = "wait"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"id": "morning", "type": "wait_until", "at": "10:00"},
        {"id": "weekday-morning", "type": "wait_until", "at": "09:30", "weekdays": ["mon", "tue", "wed", "thu", "fri"]},
    )

    def check(self) -> list[str]:
        unknown = [day for day in self.weekdays if day not in WEEKDAYS]
        return [f"unknown weekday(s) {', '.join(unknown)}"] if unknown else []

    async def run(self, journey: JourneyRunContext) -> str | None:
        now = journey.now()
        target = next_time_of_day(now, journey.entry.member_timezone, self.at, list(self.weekdays) or None)
        await journey.sleep(target - now)
        return None
