"""Pure time arithmetic for waits, date triggers and day windows: next 10:00 on a weekday, birthdays (29 February
too), "within N days after entering" in calendar days.

Zones are passed by name and built here: workflows import this module through Temporal's sandbox, whose own
copy of zoneinfo yields objects datetime does not accept.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator

from engine import clock

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def time_of_day_text(value: object) -> object:
    """Times of day are written as text ("10:00"): unquoted 10:00 in YAML reads as the number 600."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'write the time of day in quotes, e.g. "10:00" (got the number {value})')
    return value


TimeOfDay = Annotated[time, BeforeValidator(time_of_day_text)]


def next_time_of_day(now: datetime, zone_name: str, at: time, weekdays: list[str] | None = None) -> datetime:
    """The first moment strictly after `now` that is `at` o'clock in `zone`, on one of `weekdays` if given."""
    zone = ZoneInfo(zone_name)
    local = now.astimezone(zone)
    allowed = {WEEKDAYS.index(day) for day in weekdays} if weekdays else set(range(7))
    for days_ahead in range(8):
        day = local.date() + timedelta(days=days_ahead)
        candidate = datetime.combine(day, at, zone)
        if candidate > now and day.weekday() in allowed:
            return candidate
    raise ValueError("no allowed weekday")  # unreachable with at least one weekday


def local_date(now: datetime, zone_name: str) -> date:
    return clock.local_date(now, ZoneInfo(zone_name))


def within_days_after(start: datetime, moment: datetime, days: int, zone_name: str) -> bool:
    """Whether `moment` is at or after `start` and no later than the end of the `days`th calendar day after
    `start`'s local date in the zone (engine.clock's one definition of day counts): a journey's goal `within_days`,
    an A/B split's conversion window."""
    return start <= moment < clock.end_of_day_after(start, days, ZoneInfo(zone_name))


def birthday_in(year: int, birthday: date) -> date:
    """The member's birthday in `year`; 29 February falls on 28 February in common years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def birthday_occasion(birthday: date, today: date, offset_days: int) -> date | None:
    """The birthday whose trigger day (birthday + offset_days) is `today`, or None.

    e.g. offset -7 fires seven days before; the occasion's year names the entry, so a member enters once a year.
    """
    for year in (today.year - 1, today.year, today.year + 1):
        occasion = birthday_in(year, birthday)
        if occasion + timedelta(days=offset_days) == today:
            return occasion
    return None
