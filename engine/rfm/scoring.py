"""Scoring R, F and M from 1 to 5: quintiles with ties kept together, or a marketer's own thresholds.

Quintiles, as pinned: for frequency and monetary, score = 1 + floor(5 × (members whose value is strictly lower) / N);
for recency the same with "strictly more days", since fewer days since the last order is better. Equal values
always get equal scores. Thresholds replace quintiles per dimension: four cut points, ascending.
Pure functions: no database, no clock.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right
from collections import Counter
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
    """Raw values, one list entry per member: days since the last order, number of orders, spend in cents."""

    members: list[int]
    recency: list[int]
    frequency: list[int]
    monetary_cents: list[int]

    @classmethod
    def of(cls, rows: Sequence[tuple[int, int, int, int]]) -> MemberValues:
        """From (member, recency, frequency, monetary_cents) rows."""
        columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[], [], [], []]
        return cls(*columns)


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
    """Scores and segments, one list entry per member in the order of the values; means of R, F, M over them."""

    values: MemberValues
    r: list[int]
    f: list[int]
    m: list[int]
    segment8: list[str]
    segment11: list[str]
    means: tuple[float, float, float]

    def __len__(self) -> int:
        return len(self.r)

    def rows(self) -> list[MemberScore]:
        v = self.values
        return [
            MemberScore(*row)
            for row in zip(v.members, v.recency, v.frequency, v.monetary_cents, self.r, self.f, self.m,
                           self.segment8, self.segment11, strict=True)
        ]  # fmt: skip


def quintile_scores(values: Sequence[float], *, fewer_is_better: bool = False) -> list[int]:
    """Score each value 1–5 by the share of values strictly worse than it (ties share a score)."""
    n = len(values)
    counts = Counter(values)
    score_of: dict[float, int] = {}
    worse = 0  # values strictly worse than the current one
    for value in sorted(counts, reverse=fewer_is_better):
        score_of[value] = 1 + 5 * worse // n
        worse += counts[value]
    return [score_of[v] for v in values]


def threshold_scores(values: Sequence[float], cuts: Cuts, *, fewer_is_better: bool = False) -> list[int]:
    """Score each value 1–5 against four ascending cut points."""
    if fewer_is_better:  # R=5 at or below the first cut, 1 above the last
        return [5 - bisect_left(cuts, v) for v in values]
    return [1 + bisect_right(cuts, v) for v in values]


def _dimension(values: Sequence[float], cuts: Cuts | None, *, fewer_is_better: bool = False) -> list[int]:
    if cuts is None:
        return quintile_scores(values, fewer_is_better=fewer_is_better)
    return threshold_scores(values, cuts, fewer_is_better=fewer_is_better)


def score_members(values: MemberValues, scheme: RfmScheme | None = None) -> Scored:
    """Score R, F, M and name both segments for every member; the means are over these members."""
    scheme = scheme or RfmScheme()
    n = len(values.members)
    if not n:
        return Scored(values, [], [], [], [], [], (0.0, 0.0, 0.0))
    r = _dimension(values.recency, scheme.r, fewer_is_better=True)
    f = _dimension(values.frequency, scheme.f)
    m = _dimension([c / 100 for c in values.monetary_cents] if scheme.m else values.monetary_cents, scheme.m)
    means = (sum(r) / n, sum(f) / n, sum(m) / n)
    codes = range(1, 6)
    by_code = {(a, b, c): (segment8(a, b, c, means), segment11(a, b, c)) for a in codes for b in codes for c in codes}
    named = [by_code[code] for code in zip(r, f, m, strict=True)]
    return Scored(values, r, f, m, [s8 for s8, _ in named], [s11 for _, s11 in named], means)
