"""The A/B results page's charts, computed without I/O: each arm's cumulative conversion per local day, and the
positions of the lines and interval bars in the page's inline SVG (percent of the chart's width and height)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from engine.ab.analysis import AnalysisResult
from engine.ab.outcomes import Outcome

PALETTE = ("#c2410c", "#2563eb", "#16a34a", "#9333ea", "#0891b2", "#ca8a04")


class IntervalBar(BaseModel):
    arm: str
    low: float  # x of the interval's ends, the estimate and zero, in percent of the chart's width
    high: float
    point: float
    zero: float
    label: str


def interval_bars(rows: Sequence[tuple[str, float, tuple[float, float]]]) -> list[IntervalBar]:
    """(arm, estimate, (low, high)) → bars on one shared scale that always shows zero."""
    if not rows:
        return []
    lowest = min(0.0, *(low for _, _, (low, _) in rows))
    highest = max(0.0, *(high for _, _, (_, high) in rows))
    width = (highest - lowest) or 1.0

    def x(value: float) -> float:
        return round(5 + 90 * (value - lowest) / width, 2)

    return [
        IntervalBar(
            arm=arm,
            low=x(low),
            high=x(high),
            point=x(point),
            zero=x(0.0),
            label=f"{point:+.1%} [{low:+.1%}, {high:+.1%}]",
        )
        for arm, point, (low, high) in rows
    ]


def polyline(values: Sequence[float | None], top: float, height: float = 100, width: float = 100) -> str:
    """SVG polyline points for a series on [0, top] (gaps where a value is missing are skipped)."""
    if not values:
        return ""
    step = width / max(len(values) - 1, 1)
    top = top or 1.0
    return " ".join(
        f"{round(i * step, 2)},{round(height - height * v / top, 2)}" for i, v in enumerate(values) if v is not None
    )


class DayRates(BaseModel):
    day: str
    rates: dict[str, float | None] = Field(description="Per arm: converted so far / assigned so far, by this day")


def conversion_over_time(
    found: list[Outcome], arms: list[str], zone: ZoneInfo, now: datetime, days: int = 60
) -> list[DayRates]:
    """Per local day from the first assignment to today (the first `days` days): each arm's cumulative conversion
    rate (converted by that day / assigned by that day)."""
    measured = [o for o in found if o.arm in arms]
    if not measured:
        return []
    first = min(o.assigned_at for o in measured).astimezone(zone).date()
    span = min((now.astimezone(zone).date() - first).days + 1, days)
    rows = []
    for offset in range(span):
        day = first + timedelta(days=offset)
        rates: dict[str, float | None] = {}
        for arm in arms:
            mine = [o for o in measured if o.arm == arm and o.assigned_at.astimezone(zone).date() <= day]
            converted = sum(1 for o in mine if o.converted_at and o.converted_at.astimezone(zone).date() <= day)
            rates[arm] = converted / len(mine) if mine else None
        rows.append(DayRates(day=day.isoformat(), rates=rates))
    return rows


class ArmLine(BaseModel):
    arm: str
    colour: str
    points: str  # the SVG polyline's points


class ResultsChart(BaseModel):
    days: list[DayRates]
    top: float  # the rate at the top of the conversion chart: the highest rate shown plus a tenth
    lines: list[ArmLine]
    bars: list[IntervalBar]


def results_chart(analysis: AnalysisResult, found: list[Outcome], zone: ZoneInfo, now: datetime) -> ResultsChart:
    """The results page's charts for a split: one conversion line per arm (cumulative per local day in `zone`, up
    to `now`) on a scale a tenth above the highest rate, each in its palette colour, and one bar per arm compared
    with control (relative lift and its interval) where the analysis has both."""
    arms = [arm.name for arm in analysis.arms]
    days = conversion_over_time(found, arms, zone, now)
    top = max((rate or 0 for day in days for rate in day.rates.values()), default=0) * 1.1
    lines = [
        ArmLine(arm=arm, colour=PALETTE[i % len(PALETTE)], points=polyline([d.rates[arm] for d in days], top))
        for i, arm in enumerate(arms)
    ]
    bars = interval_bars(
        [(c.arm, c.relative_lift, c.relative_ci) for c in analysis.comparisons
         if c.relative_lift is not None and c.relative_ci is not None]
    )  # fmt: skip
    return ResultsChart(days=days, top=top, lines=lines, bars=bars)
