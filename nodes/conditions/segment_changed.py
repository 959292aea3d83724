"""Condition: the member's 8-segment changed since entering the journey, from some segments to others."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.rfm.segments import unknown_segments


class SegmentChanged(ConditionBase):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: Literal["segment_changed"] = "segment_changed"
    from_segments: Annotated[list[str] | None, zh("原分群", "进入旅程时所在的 8 类分群；留空表示任意。")] = Field(
        None, alias="from", title="From", description="The 8-segment at entry; empty means any."
    )
    to_segments: Annotated[list[str] | None, zh("现分群", "当前所在的 8 类分群；留空表示任意。")] = Field(
        None, alias="to", title="To", description="The 8-segment now; empty: any."
    )

    title: ClassVar[Words] = Words("Segment changed since entry", "进入旅程后分群变化")
    help: ClassVar[Words] = Words(
        "True when the member's 8-segment changed since entering, from one of these to one of those.",
        "会员进入旅程后 8 类分群发生了变化，且从“原分群”之一变成了“现分群”之一时成立。",
    )
    icon: ClassVar[str] = "arrows-exchange"
    about: ClassVar[ConditionCategory] = "rfm"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "segment_changed", "from": ["重要挽留客户"], "to": ["重要价值客户", "重要发展客户"]},
    )
    inside_journey_only: ClassVar[bool] = True

    def holds(self, member: MemberFacts) -> bool:
        changes = member.events_since_entry("segment_changed")
        if not changes:
            return False
        was, now = changes[0].get("from"), changes[-1].get("to")
        if was == now:  # changed and changed back
            return False
        return (not self.from_segments or was in self.from_segments) and (
            not self.to_segments or now in self.to_segments
        )

    def check(self) -> list[str]:
        return unknown_segments([*(self.from_segments or []), *(self.to_segments or [])], "8")

    def event_types(self) -> set[str]:
        return {"segment_changed"}
