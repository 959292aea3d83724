"""Errors that carry a sentence a marketer or an operator can act on.

The domain says what went wrong by the type it raises; it never chooses an HTTP status or an exit code. The web
layer maps the types in one place (web/errors.py: JSON for /api, an HTML page or an htmx fragment for pages) and
the CLI prints their sentences (cli/main.py).
"""

from __future__ import annotations


class SettingsError(Exception):
    """One or more settings are invalid; each problem is one sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


class Refusal(Exception):
    """What memberflow refuses to do, and why: `problems` lists every reason found, each one sentence naming the
    field, line, cell or thing at fault (e.g. "journey winback has no block 'offer'")."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


class Invalid(Refusal):
    """Input that cannot be accepted as it is: a value out of its range, a malformed file or line, a path and a body
    that disagree. Every problem is listed, not only the first."""


class Rejected(Invalid):
    """Input well-formed in itself but refused for what it says against what is stored: a journey or message
    template with problems, a condition naming what the shop lacks, an order for a member who does not exist."""


class NotFound(Refusal):
    """The thing named (a member, journey, block, template, tag rule, link) does not exist."""


class Conflict(Refusal):
    """The request contradicts what is stored: an idempotency key used for other content, a journey's state
    (archived, not live), a balance too short, a name already taken."""


class Unavailable(Refusal):
    """Something memberflow needs is not reachable now (Temporal); the same request may succeed later."""


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
