"""Where `memberflow up` serves: its record under VAR_DIR points other commands at its Temporal, unless the
environment says otherwise; a record whose process is gone is ignored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.serving import RECORD, forget_serving, record_serving, serving
from engine.settings import Settings


def unused_pid() -> int:
    """A process id no process has now (as a killed `up` leaves behind), found without starting a process."""
    for pid in range(4_000_000, 1, -1):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise AssertionError("every process id is in use")


@pytest.fixture
def var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_DEV_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    return tmp_path


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_other_commands_on_the_same_var_dir_use_where_up_serves(var: Path) -> None:
    path = record_serving(var, "127.0.0.1:17233", "http://127.0.0.1:18000")

    assert settings().temporal_target == "127.0.0.1:17233"
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["pid"] == os.getpid()
    forget_serving(var)
    assert not path.exists()
    assert settings().temporal_target == "127.0.0.1:7233"


@pytest.mark.parametrize(
    ("name", "value", "target"),
    [
        ("TEMPORAL_ADDRESS", "temporal.internal:7233", "temporal.internal:7233"),
        ("TEMPORAL_DEV_PORT", "27233", "127.0.0.1:27233"),
    ],
)
def test_the_environment_wins_over_the_record(
    var: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, target: str
) -> None:
    record_serving(var, "127.0.0.1:17233", "http://127.0.0.1:18000")
    monkeypatch.setenv(name, value)

    assert settings().temporal_target == target


def test_a_record_left_by_a_killed_up_is_ignored(var: Path) -> None:
    (var / RECORD).write_text(json.dumps({"pid": unused_pid(), "temporal_address": "127.0.0.1:17233", "web_url": "x"}))

    assert serving(var) is None
    assert settings().temporal_target == "127.0.0.1:7233"


def test_a_reused_pid_is_not_taken_for_up(var: Path) -> None:
    record = {"pid": os.getpid(), "temporal_address": "127.0.0.1:17233", "web_url": "x", "process_start": "1"}
    (var / RECORD).write_text(json.dumps(record))

    assert serving(var) is None  # this process runs, but it started at another time than the recorded one


def test_an_unreadable_record_is_as_if_absent(var: Path) -> None:
    (var / RECORD).write_text("{not json")

    assert serving(var) is None
    forget_serving(var)  # not ours to remove either
    assert (var / RECORD).exists()
