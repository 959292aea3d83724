"""Condition: the member's R, F or M score (1–5) in the latest RFM run; members it did not score never match."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES, compare
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh

ScoreOp = Literal["eq", "ne", "gt", "ge", "lt", "le"]
DIMENSIONS = {
    "r": Words("R: recency", "R：最近一次消费"), "f": Words("F: frequency", "F：消费频率"),
    "m": Words("M: money", "M：消费金额"),
}  # fmt: skip


class RfmScoreIs(ConditionBase):
    kind: Literal["rfm_score"] = "rfm_score"
    dimension: Annotated[
        Literal["r", "f", "m"], zh("评分维度", "R（最近一次消费）、F（消费频率）或 M（消费金额）。", DIMENSIONS)
    ] = Field(title="Score", description="r (recency), f (frequency) or m (money).")
    op: Annotated[ScoreOp, zh("比较方式", "会员的数值与所填数值的比较方式。", OP_CHOICES)] = Field(
        "ge", title="Comparison", description="How the member's value compares with the one given."
    )
    score: Annotated[int, zh("评分（1–5）", "用来比较的评分，1 到 5 分。")] = Field(
        ge=1, le=5, title="Score 1–5", description="The score to compare with, from 1 to 5."
    )

    title: ClassVar[Words] = Words("RFM score", "RFM 评分")
    help: ClassVar[Words] = Words(
        "Compare the member's R, F or M score (1–5) in the latest RFM run; unscored never match.",
        "比较会员在最近一次 RFM 计算中的 R、F 或 M 评分（1–5 分）；未评分的会员永远不满足。",
    )
    icon: ClassVar[str] = "chart-bar"
    about: ClassVar[ConditionCategory] = "rfm"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "rfm_score", "dimension": "m", "op": "ge", "score": 4},
    )

    def holds(self, member: MemberFacts) -> bool:
        score = member.rfm
        return score is not None and compare(getattr(score, self.dimension), self.op, self.score)
