"""Where `memberflow up` serves, recorded under VAR_DIR (`up.json`) so other commands on the same VAR_DIR find it.

`up` writes the record once its processes run and removes it when it stops; a record left by an `up` that was
killed names a process that no longer runs and is ignored. Settings read it (`Settings.temporal_target`) only
where the environment does not say where Temporal is.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

RECORD = "up.json"


@dataclass(frozen=True)
class Serving:
    """A running `memberflow up`: its process, the Temporal frontend (host:port) and the web app's base URL."""

    pid: int
    temporal_address: str
    web_url: str
    process_start: str | None = None  # the kernel's start time of `pid`, so a reused pid is not taken for it


def record_serving(var_dir: Path, temporal_address: str, web_url: str) -> Path:
    """Write this process's record (readable by its user only), replacing any older one; returns its path."""
    path = var_dir / RECORD
    draft = path.with_name(f".{RECORD}.{os.getpid()}")
    serving = Serving(os.getpid(), temporal_address, web_url, _process_start(os.getpid()))
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(asdict(serving), file)
    os.replace(draft, path)  # appears whole or not at all
    return path


def forget_serving(var_dir: Path) -> None:
    """Remove the record if it is this process's own (a later `up` may have replaced it)."""
    found = _read(var_dir / RECORD)
    if found is not None and found.pid == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            (var_dir / RECORD).unlink()


def serving(var_dir: Path) -> Serving | None:
    """The `up` serving this VAR_DIR, or None when there is no record or its process no longer runs."""
    found = _read(var_dir / RECORD)
    if found is None or not _alive(found.pid):
        return None
    if found.process_start is not None and _process_start(found.pid) not in (None, found.process_start):
        return None  # the pid now belongs to another process
    return found


def _read(path: Path) -> Serving | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Serving(
            pid=int(data["pid"]), temporal_address=str(data["temporal_address"]), web_url=str(data["web_url"]),
            process_start=data.get("process_start"),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, half-written by hand, or from another version: as if absent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it runs
        return True
    return not _zombie(pid)


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (Linux), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _zombie(pid: int) -> bool:
    fields = _proc_stat(pid)
    return fields is not None and fields[0] == "Z"


def _process_start(pid: int) -> str | None:
    fields = _proc_stat(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None  # field 22 of stat: starttime
