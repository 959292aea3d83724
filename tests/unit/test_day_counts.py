"""Day counts are calendar days in the shop's zone, one definition for every rule (engine/clock.py), checked at both
edges of the day: 23:50 and 00:10 local time, in a zone east of UTC and one west of it, across a DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine import clock
from engine.journey.timing import within_days_after
from engine.rewards.coupons import CouponSpec, validity
from engine.rewards.points import expiry_of

SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
ZONES = pytest.mark.parametrize("zone", [SHANGHAI, NEW_YORK], ids=["shanghai", "new-york"])


def at(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as an aware moment in UTC, the way the database gives times back."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


@ZONES
def test_days_between_count_local_midnights_not_24_hour_periods(zone: ZoneInfo) -> None:
    late, early = at(date(2026, 11, 1), 23, 50, zone), at(date(2026, 10, 31), 0, 10, zone)
    morning = at(date(2026, 12, 1), 10, 0, zone)

    assert clock.calendar_days(late, morning, zone) == 30  # 29 days and 10 hours: still "30 days since"
    assert clock.calendar_days(early, morning, zone) == 31  # 31 days and ~10 hours: 31, not 31 by luck
    assert clock.calendar_days(late, at(date(2026, 11, 2), 0, 10, zone), zone) == 1  # 20 minutes, the next day
    assert clock.calendar_days(early, at(date(2026, 10, 31), 23, 50, zone), zone) == 0  # 23 h 40 min, same day


def test_a_day_across_the_dst_jump_is_one_day_though_23_hours_long() -> None:
    before, after = at(date(2027, 3, 13), 23, 50, NEW_YORK), at(date(2027, 3, 14), 23, 50, NEW_YORK)

    assert after - before == timedelta(hours=23)
    assert clock.calendar_days(before, after, NEW_YORK) == 1
    assert clock.days_ago_start(1, after, NEW_YORK) == at(date(2027, 3, 14), 0, 0, NEW_YORK)


@ZONES
def test_the_last_n_days_start_at_local_midnight_n_minus_1_days_ago(zone: ZoneInfo) -> None:
    now = at(date(2026, 12, 1), 0, 10, zone)  # ten minutes into the day
    today_start = clock.days_ago_start(1, now, zone)
    thirty = clock.days_ago_start(30, now, zone)

    assert today_start == at(date(2026, 12, 1), 0, 0, zone)  # N = 1: today so far, 10 minutes of it
    assert at(date(2026, 11, 30), 23, 50, zone) < today_start  # yesterday 23:50 is not "today"
    assert thirty == at(date(2026, 11, 2), 0, 0, zone)
    assert at(date(2026, 11, 2), 0, 10, zone) >= thirty > at(date(2026, 11, 1), 23, 50, zone)


@ZONES
def test_within_n_days_after_runs_to_the_end_of_the_nth_local_day(zone: ZoneInfo) -> None:
    entered = at(date(2026, 12, 1), 23, 50, zone)  # ten minutes before the day ends
    name = str(zone)

    assert within_days_after(entered, at(date(2026, 12, 8), 23, 50, zone), 7, name)  # day 7, last minutes
    assert not within_days_after(entered, at(date(2026, 12, 9), 0, 10, zone), 7, name)  # day 8
    assert within_days_after(entered, entered, 0, name)  # the day itself
    assert not within_days_after(entered, entered - timedelta(minutes=1), 7, name)  # before entering
    early = at(date(2026, 12, 1), 0, 10, zone)
    assert within_days_after(early, at(date(2026, 12, 8), 23, 50, zone), 7, name)  # the same days, a whole day longer


@ZONES
def test_coupons_valid_for_n_days_end_with_the_nth_local_day_after_issue(zone: ZoneInfo) -> None:
    spec = CouponSpec.model_validate({"key": "k", "name": "券", "kind": "amount_off", "amount_off": 5, "valid_days": 1})
    _, late_issue_ends = validity(spec, at(date(2026, 12, 1), 23, 50, zone), zone)
    _, early_issue_ends = validity(spec, at(date(2026, 12, 1), 0, 10, zone), zone)

    assert late_issue_ends == early_issue_ends == at(date(2026, 12, 3), 0, 0, zone)
    assert at(date(2026, 12, 2), 23, 50, zone) < late_issue_ends <= at(date(2026, 12, 3), 0, 10, zone)


@ZONES
def test_points_expire_at_the_end_of_the_local_day_whatever_the_hour_granted(zone: ZoneInfo) -> None:
    late, early = at(date(2026, 12, 1), 23, 50, zone), at(date(2026, 12, 1), 0, 10, zone)

    assert expiry_of(late, 30, zone) == expiry_of(early, 30, zone) == at(date(2027, 1, 1), 0, 0, zone)
