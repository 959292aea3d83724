"""Condition: the member did something (an event, optionally filtered) since entering the journey."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.events import PropertyFilter
from engine.journey.facts import MemberFacts


class DidEvent(ConditionBase):
    kind: Literal["did_event"] = "did_event"
    event: str = Field(
        min_length=1,
        max_length=64,
        title="Event",
        description="e.g. order_placed, or a custom event such as coupon_viewed",
    )
    where: list[PropertyFilter] = Field(default_factory=list, title="Only when")

    title: ClassVar[str] = "Did an event since entering"
    help: ClassVar[str] = "True when such an event was recorded for the member after they entered this journey."
    inside_journey_only: ClassVar[bool] = True

    def holds(self, member: MemberFacts) -> bool:
        return any(all(f.matches(p) for f in self.where) for p in member.events_since_entry(self.event))

    def event_types(self) -> set[str]:
        return {self.event}

    def check(self) -> list[str]:
        return [f"filter '{f.property}': {p}" for f in self.where if (p := f.problem())]
