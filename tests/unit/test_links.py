"""Signed message links: a token verifies only for its own message, purpose and target, and anything that is not a
token at all (non-ASCII digits, thousands of digits, other bytes) is simply not valid."""

from __future__ import annotations

import pytest

from engine.messages.message_log import sign, verify

KEY = b"test-link-secret"


def test_a_token_verifies_for_its_message_purpose_and_target_only() -> None:
    token = sign(KEY, "click", 42, "https://example.com/a")

    assert verify(KEY, "click", token, "https://example.com/a") == 42
    assert verify(KEY, "click", token, "https://example.com/b") is None
    assert verify(KEY, "open", token, "https://example.com/a") is None
    assert verify(b"another-key", "click", token, "https://example.com/a") is None


@pytest.mark.parametrize(
    "token",
    ["١٢٣.abc", "123.abc", "9" * 5000 + ".abc", "9" * 19 + ".abc", "", ".", "12.", "12.ü", "-1.abc", "１２.abc"],
)
def test_anything_but_a_signed_token_is_not_valid(token: str) -> None:
    assert verify(KEY, "unsubscribe", token) is None


def test_a_signed_token_with_a_non_ascii_tail_is_not_valid() -> None:
    token = sign(KEY, "unsubscribe", 7)

    assert verify(KEY, "unsubscribe", token) == 7
    assert verify(KEY, "unsubscribe", token[:-1] + "é") is None
