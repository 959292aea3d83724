"""Time arithmetic behind waits and birthday triggers."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from engine.journey.timing import birthday_in, birthday_occasion, local_date, next_time_of_day

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_next_ten_oclock_is_today_when_it_is_still_morning_in_the_members_zone() -> None:
    now = datetime(2026, 3, 2, 0, 30, tzinfo=ZoneInfo("UTC"))  # 08:30 in Shanghai

    assert next_time_of_day(now, "Asia/Shanghai", time(10)) == datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)


def test_the_next_ten_oclock_is_tomorrow_once_it_has_passed_and_never_now() -> None:
    exactly_ten = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)

    assert next_time_of_day(exactly_ten, "Asia/Shanghai", time(10)) == datetime(2026, 3, 3, 10, tzinfo=SHANGHAI)


def test_only_on_given_weekdays_skips_to_the_next_allowed_day() -> None:
    friday_noon = datetime(2026, 3, 6, 12, tzinfo=SHANGHAI)

    target = next_time_of_day(friday_noon, "Asia/Shanghai", time(9, 30), ["mon", "wed"])

    assert target == datetime(2026, 3, 9, 9, 30, tzinfo=SHANGHAI)  # the following Monday


def test_the_members_own_zone_decides_the_day() -> None:
    now = datetime(2026, 3, 2, 20, tzinfo=ZoneInfo("UTC"))  # 04:00 on the 3rd in Shanghai, 12:00 the 2nd in LA

    assert local_date(now, "Asia/Shanghai") == date(2026, 3, 3)
    assert next_time_of_day(now, "America/Los_Angeles", time(10)).date() == date(2026, 3, 3)


def test_29_february_is_celebrated_on_28_february_in_common_years() -> None:
    leapling = date(2000, 2, 29)

    assert birthday_in(2027, leapling) == date(2027, 2, 28)
    assert birthday_in(2028, leapling) == date(2028, 2, 29)
    assert birthday_occasion(leapling, date(2027, 2, 28), 0) == date(2027, 2, 28)
    assert birthday_occasion(leapling, date(2028, 2, 28), 0) is None  # in a leap year it is the 29th


@pytest.mark.parametrize(
    ("birthday", "today", "offset", "occasion"),
    [
        (date(1990, 5, 20), date(2026, 5, 20), 0, date(2026, 5, 20)),
        (date(1990, 5, 20), date(2026, 5, 13), -7, date(2026, 5, 20)),
        (date(1990, 5, 20), date(2026, 5, 21), -7, None),
        (date(1990, 1, 3), date(2026, 12, 27), -7, date(2027, 1, 3)),  # a week before, across the new year
        (date(1990, 12, 30), date(2027, 1, 2), 3, date(2026, 12, 30)),  # three days after, across the new year
    ],
)
def test_the_occasion_is_the_birthday_whose_trigger_day_is_today(
    birthday: date, today: date, offset: int, occasion: date | None
) -> None:
    assert birthday_occasion(birthday, today, offset) == occasion
