"""Deterministic, sticky assignment: a hash of (journey, split block, member) mapped onto the arms' weights.

The same member lands in the same arm on replay, on retry and on re-entry, on every worker, with no state; and
across members the hash is uniform, so arms fill in proportion to their weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

Group = Literal["split", "test", "rest"]


def unit_interval(*parts: str) -> float:
    """A number in [0, 1) determined by the parts: the first 8 bytes of their SHA-256 over 2⁶⁴."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick(point: float, weights: Sequence[float]) -> int:
    """The index of the weight whose share of [0, 1) holds `point` (weights are any positive numbers)."""
    total = sum(weights)
    edge = 0.0
    for index, weight in enumerate(weights):
        edge += weight / total
        if point < edge:
            return index
    return len(weights) - 1  # rounding at the top edge


def assign(
    journey_key: str, block_id: str, member_key: str, weights: Sequence[float], test_fraction: float | None = None
) -> tuple[Group, int | None]:
    """(group, arm index). A plain split puts everyone in an arm. With a test fraction, that share of members
    goes to the arms ("test") and the rest wait for the winner ("rest", no arm yet)."""
    point = unit_interval(journey_key, block_id, member_key)
    if test_fraction is None:
        return "split", pick(point, weights)
    if point >= test_fraction:
        return "rest", None
    return "test", pick(point / test_fraction, weights)


def in_global_holdout(member_key: str, percent: float) -> bool:
    """Whether the member is in the shop-wide holdout that no journey ever enters (`percent` of all members)."""
    return percent > 0 and unit_interval("global-holdout", member_key) < percent / 100
