"""Condition: the member's RFM segment in the latest run (either scheme) is, or is not, one of some segments.

A member the latest run did not score (no order in its window) is in the segment "no purchase".
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.facts import MemberFacts
from engine.rfm.segments import NO_PURCHASE, Scheme, unknown_segments


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
        return unknown_segments(self.segments, self.scheme)
