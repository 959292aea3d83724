"""Condition: the member's RFM segment in the latest run (either scheme) is, or is not, one of some segments.

A member the latest run did not score (no order in its window) is in the segment "no purchase".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.rfm.segments import NO_PURCHASE, Scheme, unknown_segments

SCHEMES = {
    "8": Words("8 segments (重要价值客户 …)", "8 类分群（重要价值客户……）"),
    "11": Words("11 segments (Champions …)", "11 类分群（Champions……）"),
}


class RfmSegment(ConditionBase):
    kind: Literal["rfm_segment"] = "rfm_segment"
    scheme: Annotated[Scheme, zh("分群方案", "8 类（重要价值客户……）或 11 类（Champions……）。", SCHEMES)] = Field(
        "8", title="Scheme", description="8 (重要价值客户 …) or 11 (Champions …)."
    )
    op: Annotated[Literal["in", "not_in"], zh("比较方式", "会员所在分群是否属于所选分群之一。", OP_CHOICES)] = Field(
        "in", title="Comparison", description="Whether the member's segment is, or is not, one of these."
    )
    segments: Annotated[list[str], zh("分群", "例如 [重要挽留客户, 重要保持客户]。")] = Field(
        min_length=1, max_length=11, title="Segments", description="e.g. [重要挽留客户, 重要保持客户]"
    )

    title: ClassVar[Words] = Words("RFM segment", "RFM 客户分群")
    help: ClassVar[Words] = Words(
        "True when the member's segment in the latest RFM run is (or is not) one of these.",
        "会员在最近一次 RFM 计算中所属的分群是（或不是）所选分群之一时成立。",
    )
    icon: ClassVar[str] = "chart-pie"
    about: ClassVar[ConditionCategory] = "rfm"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "rfm_segment", "segments": ["重要挽留客户", "重要保持客户"]},
        {"kind": "rfm_segment", "scheme": "11", "op": "not_in", "segments": ["Champions"]},
    )

    def holds(self, member: MemberFacts) -> bool:
        score = member.rfm
        segment = NO_PURCHASE if score is None else (score.segment8 if self.scheme == "8" else score.segment11)
        return (segment in self.segments) == (self.op == "in")

    def check(self) -> list[str]:
        return unknown_segments(self.segments, self.scheme)
