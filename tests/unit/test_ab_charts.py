"""The results page's charts, computed without I/O (engine.ab.charts): cumulative conversion per day, interval bars
on a scale that shows zero, lines scaled a tenth above the highest rate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from engine.ab.analysis import AnalysisRequest, ArmCounts, analyze
from engine.ab.charts import PALETTE, conversion_over_time, interval_bars, polyline, results_chart
from engine.ab.outcomes import Outcome

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 3, 1, 2, tzinfo=UTC)  # 10:00 in Shanghai


def outcome(n: int, arm: str, assigned_day: int, converted_day: int | None) -> Outcome:
    converted = None if converted_day is None else START + timedelta(days=converted_day)
    return Outcome(n, f"M{n}", "split", arm, START + timedelta(days=assigned_day), converted, Decimal(0))


def test_conversion_over_time_is_cumulative_per_local_day_up_to_today() -> None:
    found = [outcome(1, "A", 0, 1), outcome(2, "A", 0, None), outcome(3, "B", 0, 0), outcome(4, "B", 1, 2)]

    days = conversion_over_time(found, ["A", "B"], SHANGHAI, START + timedelta(days=3))

    assert [d.day for d in days] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert [d.rates["A"] for d in days] == [0.0, 0.5, 0.5, 0.5]
    assert [d.rates["B"] for d in days] == [1.0, 0.5, 1.0, 1.0]  # B's second member arrives on day 2
    assert conversion_over_time([], ["A"], SHANGHAI, START) == []


def test_interval_bars_share_one_scale_that_includes_zero() -> None:
    bars = interval_bars([("B", 0.2, (0.1, 0.3)), ("C", -0.05, (-0.1, 0.0))])

    assert [b.zero for b in bars] == [bars[0].zero] * 2
    assert bars[1].low == 5.0 and bars[0].high == 95.0  # the extremes span the chart
    assert all(b.low <= b.point <= b.high for b in bars)
    assert bars[0].low > bars[0].zero  # B's interval lies right of zero
    assert bars[0].label == "+20.0% [+10.0%, +30.0%]"


def test_polyline_scales_to_the_top_and_skips_gaps() -> None:
    assert polyline([0.0, 0.5, None, 1.0], top=1.0) == "0.0,100.0 33.33,50.0 100.0,0.0"


def test_the_results_chart_draws_each_arm_and_a_bar_per_comparison() -> None:
    found = [outcome(1, "A", 0, 1), outcome(2, "A", 0, None), outcome(3, "B", 0, 0), outcome(4, "B", 1, 2)]
    analysis = analyze(AnalysisRequest(metric="conversion", control="A", arms=[
        ArmCounts(name="A", users=200, conversions=20), ArmCounts(name="B", users=200, conversions=40),
    ]))  # fmt: skip

    chart = results_chart(analysis, found, SHANGHAI, START + timedelta(days=3))

    assert chart.top == 1.1  # B reaches 100 %; the scale ends a tenth above it
    assert [(line.arm, line.colour) for line in chart.lines] == [("A", PALETTE[0]), ("B", PALETTE[1])]
    assert chart.lines[0].points == "0.0,100.0 33.33,54.55 66.67,54.55 100.0,54.55"  # 0, ½, ½, ½ of 1.1
    assert chart.lines[1].points == "0.0,9.09 33.33,54.55 66.67,9.09 100.0,9.09"  # 1, ½, 1, 1 of 1.1
    (bar,) = chart.bars  # one comparison: B against the control A
    assert bar.arm == "B" and bar.label.startswith("+100.0% [")  # 40/200 against 20/200: twice the rate
    assert bar.low < bar.point < bar.high and bar.zero < bar.point
    assert [d.day for d in chart.days] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
