"""Condition: the member did something (an event, optionally filtered) since entering the journey."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.events import PropertyFilter
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh


class DidEvent(ConditionBase):
    kind: Literal["did_event"] = "did_event"
    event: Annotated[str, zh("事件", "例如 order_placed（下单），或自定义事件如 coupon_viewed。")] = Field(
        min_length=1,
        max_length=64,
        title="Event",
        description="e.g. order_placed, or a custom event such as coupon_viewed",
    )
    where: Annotated[list[PropertyFilter], zh("筛选条件", "事件属性须全部满足的筛选条件。")] = Field(
        default_factory=list, title="Only when", description="Filters on the event's properties; all must pass."
    )

    title: ClassVar[Words] = Words("Did an event since entering", "进入旅程后有某行为")
    help: ClassVar[Words] = Words(
        "True when such an event was recorded for the member after they entered this journey.",
        "会员进入本旅程后，记录到这个事件时成立。",
    )
    icon: ClassVar[str] = "activity"
    about: ClassVar[ConditionCategory] = "events"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "did_event", "event": "coupon_viewed"},
        {"kind": "did_event", "event": "order_placed", "where": [{"property": "amount", "op": "ge", "value": 100}]},
    )
    inside_journey_only: ClassVar[bool] = True

    def holds(self, member: MemberFacts) -> bool:
        return any(all(f.matches(p) for f in self.where) for p in member.events_since_entry(self.event))

    def event_types(self) -> set[str]:
        return {self.event}

    def check(self) -> list[str]:
        return [f"filter '{f.property}': {p}" for f in self.where if (p := f.problem())]
