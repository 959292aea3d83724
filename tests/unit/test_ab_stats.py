"""The A/B statistics against GrowthBook's gbstats (an independent implementation of the pinned methods), to 6
decimal places on identical inputs, plus properties and guard rails."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig  # type: ignore[import-untyped]
from gbstats.frequentist.tests import (  # type: ignore[import-untyped]
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import ProportionStatistic, SampleMeanStatistic  # type: ignore[import-untyped]
from gbstats.utils import check_srm  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from engine.ab import stats
from engine.ab.analysis import AnalysisRequest, analyze

PLACES = 1e-6

CONVERSION_CASES = [  # (users A, conversions A, users B, conversions B)
    (10_000, 500, 10_000, 560),
    (1_000, 30, 1_200, 55),
    (52_113, 4_204, 51_877, 4_011),
    (180, 12, 150, 3),
    (3_000, 2_700, 3_100, 2_850),
]
REVENUE_CASES = [  # (users, sum, sum_squares) for A then B
    ((5_000, 123_456.0, 9_876_543.0), (5_100, 130_001.0, 11_222_333.0)),
    ((400, 8_000.0, 400_000.0), (420, 7_500.0, 330_000.0)),
    ((20_000, 99_000.0, 2_500_000.0), (19_800, 104_000.0, 2_900_000.0)),
]


def request(metric: str, arms: list[dict[str, Any]], **options: Any) -> AnalysisRequest:
    return AnalysisRequest.model_validate({"metric": metric, "arms": arms, **options})


def conversion(na: int, ca: int, nb: int, cb: int, **options: Any) -> AnalysisRequest:
    arms = [{"name": "A", "users": na, "conversions": ca}, {"name": "B", "users": nb, "conversions": cb}]
    return request("conversion", arms, **options)


def revenue(a: tuple[int, float, float], b: tuple[int, float, float], **options: Any) -> AnalysisRequest:
    arms = [{"name": n, "users": u, "sum": s, "sum_squares": q} for n, (u, s, q) in (("A", a), ("B", b))]
    return request("revenue", arms, **options)


def gbstats_figures(stat_a: Any, stat_b: Any, alpha: float, sequential: bool) -> dict[str, Any]:
    if sequential:
        rel = SequentialTwoSidedTTest(stat_a, stat_b, SequentialConfig(alpha=alpha)).compute_result()
        absolute = SequentialTwoSidedTTest(
            stat_a, stat_b, SequentialConfig(alpha=alpha, difference_type="absolute")
        ).compute_result()
    else:
        rel = TwoSidedTTest(stat_a, stat_b, FrequentistConfig(alpha=alpha)).compute_result()
        absolute = TwoSidedTTest(
            stat_a, stat_b, FrequentistConfig(alpha=alpha, difference_type="absolute")
        ).compute_result()
    bayes = EffectBayesianABTest(stat_a, stat_b, EffectBayesianConfig(alpha=alpha)).compute_result()
    return {
        "relative_lift": rel.expected, "relative_ci": rel.ci, "p_value": rel.p_value,
        "absolute_diff": absolute.expected, "absolute_ci": absolute.ci, "absolute_p_value": absolute.p_value,
        "chance_to_win": bayes.chance_to_win, "risk": bayes.risk,
    }  # fmt: skip


def assert_agrees(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    for key, expected in theirs.items():
        got = ours[key]
        if isinstance(expected, list):
            assert got == pytest.approx(expected, abs=PLACES), key
        else:
            assert got == pytest.approx(expected, abs=PLACES), key


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize("alpha", [0.05, 0.1])
@pytest.mark.parametrize("case", CONVERSION_CASES)
def test_conversion_agrees_with_gbstats(case: tuple[int, int, int, int], alpha: float, sequential: bool) -> None:
    na, ca, nb, cb = case
    ours = analyze(conversion(*case, alpha=alpha, sequential=sequential)).pinned()["comparisons"][0]  # type: ignore[index]
    theirs = gbstats_figures(ProportionStatistic(n=na, sum=ca), ProportionStatistic(n=nb, sum=cb), alpha, sequential)
    assert_agrees(ours, theirs)


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize("case", REVENUE_CASES)
def test_revenue_agrees_with_gbstats(case: Any, sequential: bool) -> None:
    a, b = case
    ours = analyze(revenue(a, b, sequential=sequential)).pinned()["comparisons"][0]  # type: ignore[index]
    stat_a = SampleMeanStatistic(n=a[0], sum=a[1], sum_squares=a[2])
    stat_b = SampleMeanStatistic(n=b[0], sum=b[1], sum_squares=b[2])
    assert_agrees(ours, gbstats_figures(stat_a, stat_b, 0.05, sequential))
    arms = analyze(revenue(a, b)).arms
    assert arms[1].variance == pytest.approx(stat_b.variance, rel=1e-12)


@pytest.mark.parametrize(
    ("users", "weights"),
    [([5000, 5000], [1, 1]), ([5000, 5210], [1, 1]), ([2000, 6100], [1, 3]), ([3300, 3300, 3400], [1, 1, 1]),
     ([100, 900, 1000], [0.1, 0.45, 0.45]), ([1000, 1200], [1, 1])],
)  # fmt: skip
def test_sample_ratio_check_agrees_with_gbstats(users: list[int], weights: list[float]) -> None:
    assert stats.srm_p_value(users, weights) == pytest.approx(check_srm(users, weights), abs=PLACES)


def test_a_sample_ratio_mismatch_is_flagged_loudly() -> None:
    result = analyze(conversion(5000, 250, 5500, 280))
    assert result.srm_mismatch and result.srm_p_value < 0.001
    assert result.warnings[0].startswith("SAMPLE-RATIO MISMATCH")
    assert not analyze(conversion(5000, 250, 5050, 280)).srm_mismatch


def test_holm_adjusts_by_rank_and_keeps_order() -> None:
    # sorted: 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → kept monotone at 0.06
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_three_arms_decide_on_holm_adjusted_p_values() -> None:
    arms = [{"name": "A", "users": 10_000, "conversions": 500}, {"name": "B", "users": 10_000, "conversions": 600},
            {"name": "C", "users": 10_000, "conversions": 480}]  # fmt: skip
    result = analyze(request("conversion", arms, weights={"A": 1, "B": 1, "C": 1}))
    b, c = result.comparisons
    assert b.p_value is not None and c.p_value is not None
    assert (b.holm_p_value, c.holm_p_value) == pytest.approx(stats.holm([b.p_value, c.p_value]))
    assert b.p_value < 0.05 and b.holm_p_value is not None and b.holm_p_value < 0.05 and b.decision == "win"
    assert c.decision == "inconclusive"
    # A p-value just under α alone is not enough once a second comparison is adjusted for.
    two = [{"name": "A", "users": 10_000, "conversions": 500}, {"name": "B", "users": 10_000, "conversions": 570}]
    alone = analyze(request("conversion", two)).comparisons[0]
    with_third = analyze(request("conversion", [*two, arms[2]])).comparisons[0]
    assert alone.p_value is not None and 0.025 < alone.p_value < 0.05 and alone.decision == "win"
    assert with_third.decision == "inconclusive"


@given(
    na=st.integers(200, 50_000), nb=st.integers(200, 50_000),
    ra=st.floats(0.01, 0.9), rb=st.floats(0.01, 0.9), sequential=st.booleans(),
)  # fmt: skip
def test_properties(na: int, nb: int, ra: float, rb: float, sequential: bool) -> None:
    ca, cb = max(1, round(na * ra)), max(1, round(nb * rb))
    forward = analyze(conversion(na, ca, nb, cb, sequential=sequential)).comparisons[0]
    backward = analyze(conversion(nb, cb, na, ca, sequential=sequential)).comparisons[0]
    for c in (forward, backward):
        assert c.p_value is not None and 0 <= c.p_value <= 1
        assert c.absolute_p_value is not None and 0 <= c.absolute_p_value <= 1
        assert c.relative_ci is not None and c.relative_ci[0] <= c.relative_lift <= c.relative_ci[1]  # type: ignore[operator]
        assert c.absolute_ci is not None and c.absolute_ci[0] <= c.absolute_diff <= c.absolute_ci[1]  # type: ignore[operator]
        assert c.chance_to_win is not None and 0 <= c.chance_to_win <= 1
        assert c.risk is not None and min(c.risk) >= 0
    # Swapping the arms flips the sign of the effect and mirrors the absolute test.
    assert forward.absolute_diff == pytest.approx(-backward.absolute_diff)  # type: ignore[operator]
    assert forward.relative_lift is not None and backward.relative_lift is not None
    assert math.copysign(1, forward.relative_lift) == -math.copysign(1, backward.relative_lift) or ca * nb == cb * na
    assert forward.absolute_p_value == pytest.approx(backward.absolute_p_value, rel=1e-9, abs=1e-12)
    for c in (forward, backward):
        assert c.decision != "win" or (c.relative_lift > 0 and c.chance_to_win > 0.5)  # type: ignore[operator]
        assert c.decision != "lose" or (c.relative_lift < 0 and c.chance_to_win < 0.5)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("arms", "metric", "said"),
    [
        ([("A", 0, 0), ("B", 100, 5)], "conversion", "no users yet"),
        ([("A", 1000, 0), ("B", 1000, 7)], "conversion", "relative lift is undefined"),
        ([("A", 1000, 1000), ("B", 1000, 990)], "conversion", "do not vary"),
    ],
)
def test_guard_rails_give_a_message_not_a_crash_or_nan(
    arms: list[tuple[str, int, int]], metric: str, said: str
) -> None:
    result = analyze(request(metric, [{"name": n, "users": u, "conversions": c} for n, u, c in arms]))
    text = json.dumps(result.pinned(), allow_nan=False)  # raises on NaN or infinity
    assert result.comparisons[0].decision == "inconclusive"
    assert any(said in warning for warning in result.warnings), result.warnings
    assert "NaN" not in text


def test_zero_control_conversions_still_compare_absolutely() -> None:
    c = analyze(conversion(1000, 0, 1000, 40)).comparisons[0]
    assert c.relative_lift is None and c.chance_to_win is None
    assert c.absolute_diff == pytest.approx(0.04)
    assert c.absolute_p_value is None  # the control's variance is 0: no honest interval


def test_few_users_are_warned_about() -> None:
    result = analyze(conversion(120, 10, 1000, 90, weights={"A": 1, "B": 9}))
    assert any("arm A has 120 users, fewer than 150" in w for w in result.warnings)


def arm(name: str, users: int, **counts: float) -> dict[str, Any]:
    return {"name": name, "users": users, **counts}


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ({"metric": "conversion", "arms": [arm("A", 10, conversions=11), arm("B", 10, conversions=1)]},
         "11 conversions but only 10"),
        ({"metric": "conversion", "control": "Z", "arms": [arm("A", 1, conversions=0), arm("B", 1, conversions=0)]},
         "control 'Z'"),
        ({"metric": "revenue", "arms": [arm("A", 10, sum=100), arm("B", 10, sum=5, sum_squares=5)]},
         "needs sum and sum_squares"),
        ({"metric": "revenue", "arms": [arm("A", 10, sum=100, sum_squares=10), arm("B", 10, sum=5, sum_squares=5)]},
         "below sum²/users"),
        ({"metric": "conversion", "weights": {"A": 1},
          "arms": [arm("A", 1, conversions=0), arm("B", 1, conversions=1)]},
         "weights name"),
    ],
)  # fmt: skip
def test_bad_input_names_the_problem(raw: dict[str, Any], said: str) -> None:
    with pytest.raises(ValueError, match=said):
        AnalysisRequest.model_validate(raw)
