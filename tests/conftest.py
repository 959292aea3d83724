"""Test settings and the database fixture.

The database is a real SQLite file by default, or the PostgreSQL server named by TEST_DATABASE_URL (the
second lane of `make test`). Environment variables are set before any memberflow module reads settings.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.smtp_sink"]  # the smtp_sink fixture

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
with socket.socket() as _probe:  # the port of the SMTP server tests start (tests/smtp_sink.py)
    _probe.bind(("127.0.0.1", 0))
    os.environ["SMTP_PORT"] = str(_probe.getsockname()[1])

from sqlalchemy import text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

import engine.models  # noqa: E402, F401 - every table registered in the metadata
from engine.db import get_engine, upgrade  # noqa: E402

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
