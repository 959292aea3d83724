"""Errors that carry a sentence a marketer or an operator can act on."""

from __future__ import annotations


class SettingsError(Exception):
    """One or more settings are invalid; each problem is one sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


class InputError(Exception):
    """Input that cannot be accepted; `problems` lists every reason found, each one sentence."""

    def __init__(self, problems: list[str], status_code: int = 400) -> None:
        self.problems = problems
        self.status_code = status_code
        super().__init__("; ".join(problems))


class PermanentFailure(Exception):
    """A provider (SMTP server, SMS gateway, webhook) refused for good (5xx, a bad address), or the message cannot be
    sent as it is: retrying will not help. Raised by connectors/, handled by engine.messages.sending."""


class TransientFailure(Exception):
    """A provider call worth another try later (4xx, connection trouble, a timeout)."""


# pydantic's bound errors as a marketer says them: error type -> (its ctx key, the words), e.g. "days must be at
# most 36500".
BOUND_WORDS = {
    "greater_than": ("gt", "more than"), "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most"),
}  # fmt: skip
