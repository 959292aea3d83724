"""Pure helpers that turn A/B figures into positions for the results page's inline SVG (percent of the width)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

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
