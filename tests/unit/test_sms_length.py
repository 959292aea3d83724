"""SMS length in segments: GSM-7 and UCS-2 limits, extension characters, Chinese text and emoji."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.messages.sms import cost, encoding, segments


@pytest.mark.parametrize(
    ("text", "expected", "parts"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # each takes two places: 160
        ("€" * 81, "GSM-7", 2),
        ("会" * 70, "UCS-2", 1),
        ("会" * 71, "UCS-2", 2),
        ("会" * 134, "UCS-2", 2),
        ("会" * 135, "UCS-2", 3),
        ("a" * 69 + "会", "UCS-2", 1),  # one Chinese character makes the whole text UCS-2
        ("🎂" * 35, "UCS-2", 1),  # an emoji is two UTF-16 units
        ("🎂" * 36, "UCS-2", 2),
    ],
)
def test_segments_follow_the_encoding_limits(text: str, expected: str, parts: int) -> None:
    assert (encoding(text), segments(text)) == (expected, parts)


def test_cost_is_per_segment() -> None:
    assert cost("会" * 71, Decimal("0.05")) == Decimal("0.10")
