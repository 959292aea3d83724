"""Condition: the member's R, F or M score (1–5) in the latest RFM run; members it did not score never match."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import compare
from engine.journey.facts import MemberFacts

ScoreOp = Literal["eq", "ne", "gt", "ge", "lt", "le"]


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
