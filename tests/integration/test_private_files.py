"""Files under VAR_DIR are the user's only: the folder 0700; the SQLite database with its -wal and -shm, the kept
secrets, and Temporal's database and log 0600, whatever the umask (these hold members' personal data and keys)."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.temporal import start_dev_server
from engine.db import engine_for, upgrade
from engine.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """A umask that would make every new file world-readable: privacy must not depend on the user's umask."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_kept_secrets_and_their_folder_are_private(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", link_secret="", webhook_secret="")  # made and kept under VAR_DIR

    settings.link_key()
    settings.webhook_key()

    assert mode(tmp_path / "var") == 0o700
    assert [(p.name, mode(p)) for p in sorted((tmp_path / "var").iterdir())] == [
        ("link-secret", 0o600), ("webhook-secret", 0o600)
    ]  # fmt: skip


def test_the_sqlite_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    database = tmp_path / "data" / "memberflow.db"
    url = f"sqlite:///{database}"

    upgrade(url)
    with engine_for(url).connect() as connection:  # the -wal and -shm exist while a connection is open
        connection.exec_driver_sql("SELECT count(*) FROM members")
        files = {path.name: mode(path) for path in database.parent.iterdir()}

    assert mode(database.parent) == 0o700
    assert files == {"memberflow.db": 0o600, "memberflow.db-wal": 0o600, "memberflow.db-shm": 0o600}


def test_a_database_made_world_readable_by_an_earlier_version_is_narrowed(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)

    engine_for(f"sqlite:///{database}")

    assert mode(database) == 0o600


def test_temporals_database_and_log_are_private(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", temporal_dev_port=free_port(), temporal_ui_port=free_port())

    server = start_dev_server(settings)
    try:
        files = {path.name: mode(path) for path in (tmp_path / "var").iterdir()}
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert mode(tmp_path / "var") == 0o700
    assert files["temporal.db"] == files["temporal.log"] == 0o600
    assert all(found == 0o600 for name, found in files.items() if name.startswith("temporal.db"))
