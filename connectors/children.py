"""Child processes that never outlive the process that started them, however it ends (SIGKILL included).

On Linux the kernel sends a child a chosen signal when its parent dies (prctl PR_SET_PDEATHSIG); we arm it between
fork and exec, so it holds for any program, the Go `temporal` binary too. Elsewhere the children stay in the
parent's process group, which a terminal (SIGHUP, Ctrl-C) or a supervisor stops as one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl: Callable[..., int] = libc.prctl
    return prctl


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` for subprocess.Popen: the child gets `sig` the moment this process dies, or None where the
    platform has no parent-death signal.

    SIGTERM by default, so a child still stops in its orderly way (memberflow's worker and web app do so within
    seconds). Start children from the main thread: Linux ties the signal to the thread that forked them. If the
    parent died before the signal was armed, the child sends it to itself.
    """
    prctl = _prctl()  # resolved here: the child, between fork and exec, only calls it
    if prctl is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)

    return arm
