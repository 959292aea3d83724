"""Tests of one block or condition each (tests/nodes/test_<slug>.py), many of them journeys on Temporal's
time-skipping test server: the lanes of tests/workflows/conftest.py (the server, the worker with every workflow and
activity, settings per test), used from there rather than copied. Helpers (Lane, publish_live, load_members,
tags_of) are imported from there by the tests that need them."""

from __future__ import annotations

from tests.workflows.conftest import executor, rules, task_queue, time_skipping, worker

__all__ = ["executor", "rules", "task_queue", "time_skipping", "worker"]  # the fixtures node tests use
