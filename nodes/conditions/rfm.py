"""Conditions on RFM: the member's segment (either scheme), an R, F or M score, a segment change since entry.

Scores come from the latest RFM run; a member it did not score (no order in its window) is in "no purchase" and has
no scores, so score comparisons never hold for them.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from engine.journey.base import ConditionBase
from engine.journey.compare import compare
from engine.journey.facts import MemberFacts
from engine.rfm.segments import NO_PURCHASE, Scheme, segment_names

ScoreOp = Literal["eq", "ne", "gt", "ge", "lt", "le"]


def _unknown_segments(names: list[str], scheme: Scheme) -> list[str]:
    known = segment_names(scheme)
    return [
        f"'{name}' is not a segment of the {scheme}-segment scheme; use one of {', '.join(known)}"
        for name in names
        if name not in known
    ]


class RfmSegment(ConditionBase):
    kind: Literal["rfm_segment"] = "rfm_segment"
    scheme: Scheme = Field("8", title="Scheme", description="8 (重要价值客户 …) or 11 (Champions …).")
    op: Literal["in", "not_in"] = Field("in", title="Comparison")
    segments: list[str] = Field(
        min_length=1, max_length=11, title="Segments", description="e.g. [重要挽留客户, 重要保持客户]"
    )

    title: ClassVar[str] = "RFM segment"
    help: ClassVar[str] = "True when the member's segment in the latest RFM run is (or is not) one of these."

    def holds(self, member: MemberFacts) -> bool:
        score = member.rfm
        segment = NO_PURCHASE if score is None else (score.segment8 if self.scheme == "8" else score.segment11)
        return (segment in self.segments) == (self.op == "in")

    def check(self) -> list[str]:
        return _unknown_segments(self.segments, self.scheme)


class RfmScoreIs(ConditionBase):
    kind: Literal["rfm_score"] = "rfm_score"
    dimension: Literal["r", "f", "m"] = Field(title="Score", description="r (recency), f (frequency) or m (money).")
    op: ScoreOp = Field("ge", title="Comparison")
    score: int = Field(ge=1, le=5, title="Score 1–5")

    title: ClassVar[str] = "RFM score"
    help: ClassVar[str] = "Compare the member's R, F or M score (1–5) in the latest RFM run; unscored never match."

    def holds(self, member: MemberFacts) -> bool:
        score = member.rfm
        return score is not None and compare(getattr(score, self.dimension), self.op, self.score)


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
        return _unknown_segments([*(self.from_segments or []), *(self.to_segments or [])], "8")

    def event_types(self) -> set[str]:
        return {"segment_changed"}
