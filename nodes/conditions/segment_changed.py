"""Condition: the member's 8-segment changed since entering the journey, from some segments to others."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.rfm.segments import unknown_segments


class SegmentChanged(ConditionBase):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: Literal["segment_changed"] = "segment_changed"
    from_segments: list[str] | None = Field(
        None, alias="from", title="From", description="The 8-segment at entry; empty means any."
    )
    to_segments: list[str] | None = Field(None, alias="to", title="To", description="The 8-segment now; empty: any.")

    title: ClassVar[str] = "Segment changed since entry"
    help: ClassVar[str] = "True when the member's 8-segment changed since entering, from one of these to one of those."
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
