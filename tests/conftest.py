"""Test settings, the database fixture and the pinned clock.

The database is a real SQLite file by default, or the PostgreSQL server named by TEST_DATABASE_URL (the
second lane of `make test`). Environment variables are set before any memberflow module reads settings.

A test that depends on dates is marked `@pytest.mark.clock_sensitive`: it then runs once per hostile moment
(`HOSTILE_MOMENTS`) with engine.clock pinned there and the shop's zone set to match, instead of at whatever hour
the suite happens to run. Workflow tests move the time-skipping server's clock to the same moment
(tests/workflows/conftest.py).
"""

from __future__ import annotations

import calendar
import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pytest_plugins = ["tests.smtp_sink", "tests.login"]  # the smtp_sink and logged_in_client fixtures

_VAR = Path(tempfile.mkdtemp(prefix="memberflow-test-"))
os.environ["VAR_DIR"] = str(_VAR)
os.environ["DATABASE_URL"] = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_VAR / 'test.db'}"
os.environ["API_TOKEN"] = "test-token"
os.environ["SHOP_TIMEZONE"] = "Asia/Shanghai"
os.environ.pop("TEMPORAL_ADDRESS", None)
os.environ["QUIET_HOURS"] = ""  # tests that need quiet hours or a cap set them
os.environ["FREQUENCY_CAP"] = ""
os.environ["LINK_SECRET"] = "test-link-secret"
os.environ["PUBLIC_URL"] = "https://links.example.com"
os.environ["DEFAULT_LOCALE"] = "en"  # pages answer in English unless a test asks for Chinese (tests/web/test_i18n.py)
with socket.socket() as _probe:  # the port of the SMTP server tests start (tests/smtp_sink.py)
    _probe.bind(("127.0.0.1", 0))
    os.environ["SMTP_PORT"] = str(_probe.getsockname()[1])

from sqlalchemy import text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import engine.models  # noqa: E402, F401 - every table registered in the metadata
import nodes  # noqa: E402, F401 - every block and condition kind joins the registry
from engine import clock  # noqa: E402
from engine.db import get_engine, upgrade  # noqa: E402
from engine.settings import get_settings  # noqa: E402

TABLES = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]  # children before parents


@pytest.fixture(scope="session")
def migrated() -> None:
    upgrade()


@pytest.fixture
def db(migrated: None) -> Iterator[None]:
    """An empty, migrated database."""
    with get_engine().begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608
    yield


@pytest.fixture
def var_dir() -> Path:
    return _VAR


# --- the pinned clock -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostileMoment:
    """A moment at which date arithmetic tends to break, and the shop's zone to test it in."""

    name: str
    moment: datetime  # aware
    shop_timezone: str


def hostile_moments(after: date) -> list[HostileMoment]:
    """The next occurrence, at least two days after `after`, of each moment the date rules must survive.

    They lie ahead of the real date so the time-skipping Temporal server (which only moves forward) can reach them;
    from late 2026 they are 06:00 on 2 December 2026 in Shanghai, 23:59 on 31 December 2026 in New York (UTC is
    already in 2027), 29 February 2028 and 14 March 2027 (DST starts in New York).
    """
    shanghai, new_york = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
    soonest = after + timedelta(days=2)
    month_end = soonest.replace(day=calendar.monthrange(soonest.year, soonest.month)[1])
    leap_year = next(
        y for y in range(soonest.year, soonest.year + 9) if calendar.isleap(y) and date(y, 2, 29) >= soonest
    )
    dst_day = next(d for y in (soonest.year, soonest.year + 1) if (d := _dst_start(y, new_york)) >= soonest)
    return [
        # inside the default quiet hours (21:00-09:00), and UTC still on the day before
        HostileMoment("0600-shanghai-quiet-hours", datetime.combine(soonest, time(6), shanghai), "Asia/Shanghai"),
        # the last minute of a month in the shop's zone while UTC is already in the next month
        HostileMoment(
            "2359-month-end-new-york", datetime.combine(month_end, time(23, 59), new_york), "America/New_York"
        ),
        # 29 February, half an hour after midnight in Shanghai (UTC still on the 28th)
        HostileMoment("29-february", datetime(leap_year, 2, 29, 0, 30, tzinfo=shanghai), "Asia/Shanghai"),
        # the day New York skips 02:00-03:00: half an hour after the jump, a day 23 hours long
        HostileMoment("dst-start-new-york", datetime.combine(dst_day, time(3, 30), new_york), "America/New_York"),
    ]


def _dst_start(year: int, zone: ZoneInfo) -> date:
    """The day in March the zone's UTC offset grows (the second Sunday in the US)."""
    day = date(year, 3, 1)
    while (
        datetime.combine(day + timedelta(days=1), time(), zone).utcoffset()
        == datetime.combine(day, time(), zone).utcoffset()
    ):
        day += timedelta(days=1)
    return day


HOSTILE_MOMENTS = hostile_moments(clock.now().date())  # the real date only picks moments ahead; tests see those


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A `clock_sensitive` test runs once per hostile moment."""
    if metafunc.definition.get_closest_marker("clock_sensitive"):
        metafunc.parametrize(
            "pinned_clock", HOSTILE_MOMENTS, ids=[m.name for m in HOSTILE_MOMENTS], indirect=True, scope="function"
        )


@pytest.fixture(autouse=True)
def pinned_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileMoment | None]:
    """For a `clock_sensitive` test: engine.clock pinned at the hostile moment (then running on at the real pace)
    and SHOP_TIMEZONE set to its zone; None for every other test, which must not depend on the date."""
    hostile: HostileMoment | None = getattr(request, "param", None)
    if hostile is None:
        yield None
        return
    monkeypatch.setenv("SHOP_TIMEZONE", hostile.shop_timezone)
    get_settings.cache_clear()
    try:
        with clock.pinned(hostile.moment):
            yield hostile
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
