"""The one clock of non-workflow code: the current moment (aware, UTC) and calendar days in the shop's zone.

Workflow code keeps Temporal's clock (`workflow.now()`); everything else asks `now()` here, so a test can pin the
moment (`pinned(...)`) and the product and its tests agree on what "today" is.

Day counts in memberflow are calendar days in the shop's time zone, one definition for every rule:
- days between two moments (`calendar_days`): their local dates' difference, whatever the hours, so an order at
  23:50 on 1 November is 30 days before any moment of 1 December, local time;
- "in the last N days" (`days_ago_start`): from the start of the local day N - 1 days ago, so N = 1 is today so far;
- "within N days after X" (`end_of_day_after`): until the end of the Nth local day after X's day.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from engine.settings import get_settings

_offset: timedelta | None = None  # pinned: the real monotonic clock plus this offset


def now() -> datetime:
    """The current moment, timezone-aware in UTC (the pinned one, running on, while a test pins it)."""
    if _offset is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(_time.monotonic(), UTC) + _offset


def shop_zone() -> ZoneInfo:
    return get_settings().shop_zone


def today(zone: ZoneInfo | None = None) -> date:
    """Today's date in `zone` (default: the shop's time zone, SHOP_TIMEZONE)."""
    return local_date(now(), zone or shop_zone())


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar date of an aware `moment` in `zone`."""
    return moment.astimezone(zone).date()


def calendar_days(earlier: datetime, later: datetime, zone: ZoneInfo) -> int:
    """Calendar days from `earlier`'s local date to `later`'s in `zone`: 0 on the same local day, 1 the day after,
    whatever the hours (negative when `later` is on an earlier day)."""
    return (local_date(later, zone) - local_date(earlier, zone)).days


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of `day` in `zone`, as an aware moment in UTC.

    Where a zone skips midnight (a DST change at 00:00), this is the moment of the jump: the day's first moment.
    """
    return datetime.combine(day, time(), zone).astimezone(UTC)


def days_ago_start(days: int, at: datetime, zone: ZoneInfo) -> datetime:
    """The start of the calendar day `days - 1` days before `at`'s local date: "in the last N days" means on or after
    this moment (N = 1: today only, N = 30: today and the 29 days before)."""
    return start_of_day(local_date(at, zone) - timedelta(days=days - 1), zone)


def end_of_day_after(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The end of the calendar day `days` days after `moment`'s local date (the next midnight, aware, UTC):
    "within N days after X" means before this moment (N = 0: X's own day; N = 7: through the 7th day after)."""
    return start_of_day(local_date(moment, zone) + timedelta(days=days + 1), zone)


def last_day_before(end: datetime, zone: ZoneInfo) -> date:
    """The last local day in `zone` that an exclusive end (a coupon's or points' expiry, a boost's end) still
    covers: what a member is told, "valid through 7 December"."""
    return local_date(end - timedelta(microseconds=1), zone)


@contextmanager
def pinned(moment: datetime) -> Iterator[None]:
    """Let `now()` be `moment` on entry, then run on at the real pace, until the block ends (tests only)."""
    global _offset
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; pin an aware moment")
    previous = _offset
    _offset = moment.astimezone(UTC) - datetime.fromtimestamp(_time.monotonic(), UTC)
    try:
        yield
    finally:
        _offset = previous
