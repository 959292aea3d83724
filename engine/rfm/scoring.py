"""Scoring R, F and M from 1 to 5: quintiles with ties kept together, or a marketer's own thresholds.

Quintiles, as pinned: for frequency and monetary, score = 1 + floor(5 × (members whose value is strictly lower) / N);
for recency the same with "strictly more days", since fewer days since the last order is better. Equal values
always get equal scores. Thresholds replace quintiles per dimension: four cut points, ascending.
Pure functions: no database, no clock.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.rfm.segments import segment8, segment11

Cuts = list[float]


class RfmScheme(BaseModel):
    """How values become scores; a dimension without cut points is scored by quintile. Stored with each run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    r: Cuts | None = Field(
        None, description="Days since the last order: R=5 when ≤ the 1st cut, 4 when ≤ the 2nd, … 1 above the 4th."
    )
    f: Cuts | None = Field(None, description="Orders: F=2 from the 1st cut, 3 from the 2nd, … 5 from the 4th.")
    m: Cuts | None = Field(None, description="Spend: M=2 from the 1st cut, 3 from the 2nd, … 5 from the 4th.")

    @field_validator("r", "f", "m")
    @classmethod
    def _four_ascending(cls, cuts: Cuts | None) -> Cuts | None:
        if cuts is None:
            return None
        if len(cuts) != 4:
            raise ValueError(f"needs exactly 4 cut points between the 5 scores, not {len(cuts)}")
        if any(b <= a for a, b in itertools.pairwise(cuts)):
            raise ValueError(f"cut points {cuts} must rise strictly")
        if cuts[0] < 0:
            raise ValueError(f"cut points {cuts} must not be negative")
        return cuts

    def describe(self) -> str:
        parts = [f"{name.upper()} " + (f"cuts {cuts}" if cuts else "quintiles") for name, cuts in self]
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class MemberValues:
    """One member's raw values: days since the last order, number of orders, spend in cents."""

    member: int
    recency: int
    frequency: int
    monetary_cents: int


@dataclass(frozen=True, slots=True)
class MemberScore:
    member: int
    recency: int
    frequency: int
    monetary_cents: int
    r: int
    f: int
    m: int
    segment8: str
    segment11: str


@dataclass(frozen=True, slots=True)
class Scored:
    scores: list[MemberScore]
    means: tuple[float, float, float]  # of R, F and M over the scored members


def quintile_scores(values: Sequence[float], *, fewer_is_better: bool = False) -> list[int]:
    """Score each value 1–5 by the share of values strictly worse than it (ties share a score)."""
    n = len(values)
    ordered = sorted(values)
    if fewer_is_better:
        return [1 + 5 * (n - bisect_right(ordered, v)) // n for v in values]
    return [1 + 5 * bisect_left(ordered, v) // n for v in values]


def threshold_scores(values: Sequence[float], cuts: Cuts, *, fewer_is_better: bool = False) -> list[int]:
    """Score each value 1–5 against four ascending cut points."""
    if fewer_is_better:  # R=5 at or below the first cut, 1 above the last
        return [5 - bisect_left(cuts, v) for v in values]
    return [1 + bisect_right(cuts, v) for v in values]


def _dimension(values: Sequence[float], cuts: Cuts | None, *, fewer_is_better: bool = False) -> list[int]:
    if cuts is None:
        return quintile_scores(values, fewer_is_better=fewer_is_better)
    return threshold_scores(values, cuts, fewer_is_better=fewer_is_better)


def score_members(members: Sequence[MemberValues], scheme: RfmScheme | None = None) -> Scored:
    """Score R, F, M and name both segments for every member; the means are over these members."""
    scheme = scheme or RfmScheme()
    if not members:
        return Scored([], (0.0, 0.0, 0.0))
    r = _dimension([v.recency for v in members], scheme.r, fewer_is_better=True)
    f = _dimension([v.frequency for v in members], scheme.f)
    m = _dimension([v.monetary_cents / 100 for v in members], scheme.m)
    n = len(members)
    means = (sum(r) / n, sum(f) / n, sum(m) / n)
    scores = [
        MemberScore(v.member, v.recency, v.frequency, v.monetary_cents, rs, fs, ms,
                    segment8(rs, fs, ms, means), segment11(rs, fs, ms))
        for v, rs, fs, ms in zip(members, r, f, m, strict=True)
    ]  # fmt: skip
    return Scored(scores, means)
