"""Scoring R, F and M from 1 to 5: quintiles with ties kept together, or a marketer's own thresholds.

Quintiles, as pinned: for frequency and monetary, score = 1 + floor(5 × (members whose value is strictly lower) / N);
for recency the same with "strictly more days", since fewer days since the last order is better. Equal values
always get equal scores. Thresholds replace quintiles per dimension: four cut points, ascending.
Pure functions: no database, no clock. They count with numpy: a million members score in a fraction of a second.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import numpy.typing as npt
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


Column = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class MemberValues:
    """Raw values, one array entry per member: days since the last order, number of orders, spend in cents."""

    members: Column
    recency: Column
    frequency: Column
    monetary_cents: Column

    @classmethod
    def of(cls, rows: Sequence[tuple[int, int, int, int]]) -> MemberValues:
        """From (member, recency, frequency, monetary_cents) rows."""
        return cls(*(np.fromiter(map(itemgetter(k), rows), np.int64, count=len(rows)) for k in range(4)))

    def __len__(self) -> int:
        return len(self.members)

    def without(self, dropped: npt.NDArray[np.bool_]) -> MemberValues:
        kept = ~dropped
        return MemberValues(self.members[kept], self.recency[kept], self.frequency[kept], self.monetary_cents[kept])

    def plus(self, more: MemberValues) -> MemberValues:
        return MemberValues(*(np.concatenate(pair) for pair in zip(self.columns(), more.columns(), strict=True)))

    def columns(self) -> tuple[Column, Column, Column, Column]:
        return self.members, self.recency, self.frequency, self.monetary_cents


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
        values = [column.tolist() for column in self.values.columns()]
        return [
            MemberScore(*row)
            for row in zip(*values, self.r, self.f, self.m, self.segment8, self.segment11, strict=True)
        ]


def quintile_scores(values: Sequence[float], *, fewer_is_better: bool = False) -> list[int]:
    """Score each value 1–5 by the share of values strictly worse than it (ties share a score)."""
    return _quintiles(np.asarray(values), fewer_is_better=fewer_is_better).tolist()  # type: ignore[no-any-return]


def threshold_scores(values: Sequence[float], cuts: Cuts, *, fewer_is_better: bool = False) -> list[int]:
    """Score each value 1–5 against four ascending cut points."""
    return _thresholds(np.asarray(values), cuts, fewer_is_better=fewer_is_better).tolist()  # type: ignore[no-any-return]


Scores = npt.NDArray[np.int64]


def _quintiles(values: npt.NDArray[np.generic], *, fewer_is_better: bool) -> Scores:
    # For recency, more days since the last order is worse: count the strictly lower negated values.
    worse = _strictly_lower(np.negative(values) if fewer_is_better else values)
    return 1 + (5 * worse) // len(values)


def _strictly_lower(values: npt.NDArray[np.generic]) -> Scores:
    """For each value, how many values are strictly lower: the position in sorted order where its run of equal
    values starts."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_run = np.empty(len(ordered), dtype=bool)
    starts_run[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_run[1:])
    positions = np.arange(len(ordered), dtype=np.int64)
    lower = np.maximum.accumulate(np.where(starts_run, positions, 0))
    counts = np.empty_like(lower)
    counts[order] = lower
    return counts


def _thresholds(values: npt.NDArray[np.generic], cuts: Cuts, *, fewer_is_better: bool) -> Scores:
    if fewer_is_better:  # R=5 at or below the first cut, 1 above the last
        return 5 - np.searchsorted(cuts, values, side="left").astype(np.int64)
    return 1 + np.searchsorted(cuts, values, side="right").astype(np.int64)


def _dimension(values: npt.NDArray[np.generic], cuts: Cuts | None, *, fewer_is_better: bool = False) -> Scores:
    if cuts is None:
        return _quintiles(values, fewer_is_better=fewer_is_better)
    return _thresholds(values, cuts, fewer_is_better=fewer_is_better)


def score_members(values: MemberValues, scheme: RfmScheme | None = None) -> Scored:
    """Score R, F, M and name both segments for every member; the means are over these members."""
    scheme = scheme or RfmScheme()
    n = len(values)
    if not n:
        return Scored(values, [], [], [], [], [], (0.0, 0.0, 0.0))
    r = _dimension(values.recency, scheme.r, fewer_is_better=True)
    f = _dimension(values.frequency, scheme.f)
    cents = values.monetary_cents
    m = _dimension(cents / 100 if scheme.m else cents, scheme.m)
    means = (int(r.sum()) / n, int(f.sum()) / n, int(m.sum()) / n)
    # Each of the 125 score codes names its segments once; members take theirs by code.
    codes = range(1, 6)
    names8 = np.array([segment8(a, b, c, means) for a in codes for b in codes for c in codes], dtype=object)
    names11 = np.array([segment11(a, b, c) for a in codes for b in codes for c in codes], dtype=object)
    code = (r - 1) * 25 + (f - 1) * 5 + (m - 1)
    return Scored(values, r.tolist(), f.tolist(), m.tolist(), names8[code].tolist(), names11[code].tolist(), means)
