"""The pinned clock the date-sensitive tests run under: each hostile moment is what it claims to be, and pinning
moves engine.clock (and the shop's zone) for the test only."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine import clock
from engine.messages.send_rules import parse_quiet_hours
from engine.settings import get_settings
from tests.conftest import HOSTILE_MOMENTS, HostileMoment, hostile_moments


def moment(name: str, moments: list[HostileMoment] = HOSTILE_MOMENTS) -> HostileMoment:
    return next(m for m in moments if m.name == name)


def test_each_hostile_moment_is_what_it_claims() -> None:
    quiet, month_end = moment("0600-shanghai-quiet-hours"), moment("2359-month-end-new-york")
    leap, dst = moment("29-february"), moment("dst-start-new-york")
    default_quiet = parse_quiet_hours("21:00-09:00")
    assert default_quiet is not None

    assert all(default_quiet.covers(m.moment.astimezone(ZoneInfo(m.shop_timezone)).time()) for m in HOSTILE_MOMENTS)
    assert quiet.moment.astimezone(UTC).date() < quiet.moment.date()
    local_end = month_end.moment.astimezone(ZoneInfo(month_end.shop_timezone))
    assert local_end.day == calendar.monthrange(local_end.year, local_end.month)[1]
    assert (local_end.hour, local_end.minute) == (23, 59)
    assert month_end.moment.astimezone(UTC).month != local_end.month  # UTC is in the next month already
    assert (leap.moment.month, leap.moment.day) == (2, 29)
    new_york = ZoneInfo(dst.shop_timezone)
    day = dst.moment.astimezone(new_york).date()
    length = clock.start_of_day(day + timedelta(days=1), new_york) - clock.start_of_day(day, new_york)
    assert length.total_seconds() == 23 * 3600  # the day the clocks skip an hour


def test_the_moments_lie_ahead_of_any_day_so_the_temporal_test_server_can_reach_them() -> None:
    for today in (date(2026, 12, 1), date(2027, 3, 13), date(2028, 2, 28), date(2031, 12, 30)):
        found = hostile_moments(today)
        assert all(m.moment.date() >= today + timedelta(days=2) for m in found)
        assert [m.name for m in found] == [m.name for m in HOSTILE_MOMENTS]
    assert moment("29-february", hostile_moments(date(2028, 2, 28))).moment.year == 2032
    assert moment("dst-start-new-york", hostile_moments(date(2026, 12, 1))).moment.date() == date(2027, 3, 14)


@pytest.mark.clock_sensitive
def test_a_clock_sensitive_test_sees_its_moment_and_zone(pinned_clock: HostileMoment) -> None:
    assert abs(clock.now() - pinned_clock.moment) < timedelta(seconds=30)
    assert clock.now().tzinfo == UTC
    assert get_settings().shop_timezone == pinned_clock.shop_timezone
    assert clock.today() == pinned_clock.moment.astimezone(ZoneInfo(pinned_clock.shop_timezone)).date()


def test_other_tests_see_the_real_clock_and_the_test_zone(pinned_clock: HostileMoment | None) -> None:
    assert pinned_clock is None
    assert get_settings().shop_timezone == "Asia/Shanghai"
    with clock.pinned(datetime(2030, 1, 1, tzinfo=UTC)):
        assert clock.today() == date(2030, 1, 1)  # 08:00 in Shanghai
    assert clock.now().year < 2030
