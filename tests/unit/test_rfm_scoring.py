"""RFM scoring rules, as pinned: quintiles with ties kept together, thresholds, and both segment schemes."""

from __future__ import annotations

import itertools
import random
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.rfm.recompute import EARLIEST, days_before_sql, offset_changes
from engine.rfm.scoring import MemberValues, RfmScheme, quintile_scores, score_members, threshold_scores
from engine.rfm.segments import SEGMENT11_NAMES, SEGMENTS8, SEGMENTS11, segment8, segment11

values = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=200)


@given(values, st.booleans(), st.randoms())
def test_quintiles_do_not_depend_on_the_order_of_members(vals: list[int], fewer: bool, rnd: random.Random) -> None:
    shuffled = list(range(len(vals)))
    rnd.shuffle(shuffled)
    scores = quintile_scores(vals, fewer_is_better=fewer)
    again = quintile_scores([vals[i] for i in shuffled], fewer_is_better=fewer)
    assert again == [scores[i] for i in shuffled]


@given(values, st.booleans())
def test_equal_values_get_equal_scores_within_one_to_five(vals: list[int], fewer: bool) -> None:
    scores = quintile_scores(vals, fewer_is_better=fewer)
    assert all(1 <= s <= 5 for s in scores)
    by_value: dict[int, set[int]] = {}
    for v, s in zip(vals, scores, strict=True):
        by_value.setdefault(v, set()).add(s)
    assert all(len(s) == 1 for s in by_value.values())


@given(values)
def test_scores_rise_with_frequency_and_fall_with_recency(vals: list[int]) -> None:
    up = quintile_scores(vals)
    down = quintile_scores(vals, fewer_is_better=True)
    for (a, sa, da), (b, sb, db) in itertools.permutations(zip(vals, up, down, strict=True), 2):
        if a < b:
            assert sa <= sb
            assert da >= db


@given(values)
def test_the_pinned_formula(vals: list[int]) -> None:
    n = len(vals)
    assert quintile_scores(vals) == [1 + (5 * sum(w < v for w in vals)) // n for v in vals]
    assert quintile_scores(vals, fewer_is_better=True) == [1 + (5 * sum(w > v for w in vals)) // n for v in vals]


def test_quintiles_of_ten_distinct_values_pair_up() -> None:
    assert quintile_scores(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_scores(list(range(10)), fewer_is_better=True) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_ties_share_the_lower_score() -> None:
    # four members with 1 order, one with 9: 0 members are below the 1s, 4 of 5 are below the 9
    assert quintile_scores([1, 1, 1, 1, 9]) == [1, 1, 1, 1, 5]


def test_thresholds_score_recency_by_days_and_the_rest_by_amount() -> None:
    cuts = [30.0, 60.0, 90.0, 180.0]
    assert threshold_scores([0, 30, 31, 60, 90, 91, 180, 181], cuts, fewer_is_better=True) == [5, 5, 4, 4, 3, 2, 2, 1]
    assert threshold_scores([0, 29.99, 30, 59, 60, 90, 180, 1000], cuts) == [1, 1, 2, 2, 3, 4, 5, 5]


@pytest.mark.parametrize(
    ("cuts", "problem"),
    [([1, 2, 3], "exactly 4 cut points"), ([1, 3, 2, 4], "must rise strictly"), ([-1, 2, 3, 4], "not be negative")],
)
def test_bad_thresholds_are_named(cuts: list[float], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        RfmScheme(r=cuts)


def test_every_score_code_has_exactly_one_of_the_eleven_segments() -> None:
    codes = {f"{r}{f}{m}" for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)}
    assert set(SEGMENTS11) == codes
    assert segment11(5, 5, 5) == "Champions"
    assert segment11(1, 1, 1) == "Lost"
    assert segment11(1, 5, 5) == "Can't Lose Them"
    assert set(SEGMENTS11.values()) == set(SEGMENT11_NAMES)


def test_eight_segments_compare_each_score_with_its_mean() -> None:
    means = (3.0, 2.5, 3.2)
    assert segment8(3, 3, 4, means) == "重要价值客户"  # equal to the mean counts as high
    assert segment8(2, 2, 4, means) == "重要挽留客户"
    assert segment8(5, 1, 3, means) == "一般发展客户"
    assert len(set(SEGMENTS8.values())) == 8


def test_score_members_uses_the_means_of_the_scored_members() -> None:
    rows = [(i, r, f, m) for i, (r, f, m) in
            enumerate([(5, 9, 90000), (200, 1, 5000), (40, 3, 100000), (400, 1, 900)], start=1)]  # fmt: skip
    scored = score_members(MemberValues.of(rows))
    r, f, m = scored.r, scored.f, scored.m
    assert (r, f, m) == ([4, 2, 3, 1], [4, 1, 3, 1], [3, 2, 4, 1])
    assert scored.means == (10 / 4, 9 / 4, 10 / 4)
    assert scored.segment8 == ["重要价值客户", "一般挽留客户", "重要价值客户", "一般挽留客户"]
    assert scored.segment11 == ["Needs Attention", "Hibernating", "Needs Attention", "Lost"]
    assert (scored.rows()[0].member, scored.rows()[0].segment11) == (1, "Needs Attention")


def test_custom_cuts_replace_one_dimension_only() -> None:
    values = MemberValues.of([(i, d, 1, 100) for i, d in enumerate([10, 45, 400])])
    scored = score_members(values, RfmScheme(r=[30, 60, 90, 180]))
    assert scored.r == [5, 4, 1]
    assert set(scored.f) == {1}  # all equal: quintiles put every member at 1


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_recency_counts_local_dates_across_daylight_saving(zone: str) -> None:
    """SQLite keeps naive UTC text; the recency expression must land each instant on its local date."""
    tz = ZoneInfo(zone)
    as_of = date(2026, 11, 3)
    start = datetime(1995, 1, 1, tzinfo=UTC)
    until = datetime.combine(as_of, time(), tz).astimezone(UTC)
    every_16_hours_and_37_minutes = (start + timedelta(minutes=k) for k in range(0, 16_600_000, 997))
    instants = [t for t in every_16_hours_and_37_minutes if t < until]
    for change, _ in offset_changes(tz, until)[1:]:  # each side of every change of offset
        instants += [change - timedelta(seconds=1), change, change + timedelta(seconds=1)]
    instants += [datetime(1890, 5, 1, 12, tzinfo=UTC), until - timedelta(microseconds=1)]  # oldest, last counted
    instants = [t for t in instants if t < until]
    expression = days_before_sql("instant", as_of, tz, until)
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (instant TEXT)")
    database.executemany("INSERT INTO t VALUES (?)", [(_naive_utc(t),) for t in instants])
    got = [days for (days,) in database.execute(f"SELECT {expression} FROM t ORDER BY rowid")]  # noqa: S608
    expected = [(as_of - (t.astimezone(tz) if t >= EARLIEST else t + _first_offset(tz)).date()).days for t in instants]
    assert got == expected


def test_offset_changes_are_the_zones_own() -> None:
    tz = ZoneInfo("America/New_York")
    changes = dict(offset_changes(tz, datetime(2026, 1, 1, tzinfo=UTC)))
    assert changes[datetime(2025, 3, 9, 7, tzinfo=UTC)] == -4 * 3600  # 02:00 EST → EDT
    assert changes[datetime(2025, 11, 2, 6, tzinfo=UTC)] == -5 * 3600  # 02:00 EDT → EST
    assert offset_changes(ZoneInfo("Asia/Shanghai"), datetime(2026, 1, 1, tzinfo=UTC))[-1][1] == 8 * 3600


def _naive_utc(instant: datetime) -> str:
    return instant.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _first_offset(tz: ZoneInfo) -> timedelta:
    return timedelta(seconds=offset_changes(tz, datetime(2026, 1, 1, tzinfo=UTC))[0][1])
