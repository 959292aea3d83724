"""Every retry policy of memberflow's workflows, each bounded and with its reason, and the errors never retried.

An activity that fails with one of PERMANENT (by exception type name, as Temporal records it) fails at once: bad
data or a bug gives the same answer on every attempt, so retrying would only delay the recorded reason. What
remains is trouble outside memberflow (the database or a provider unreachable, a lock timeout), retried with
backoff for as long as such trouble plausibly lasts, then given up with the last error as the reason.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from engine.journey.runtime import PROVIDER_ATTEMPTS

# engine.errors' refusals are among them, all but Unavailable (what is unreachable now may answer later).
PERMANENT = (
    "AssertionError", "AttributeError", "Conflict", "DataError", "DivisionByZero", "Invalid", "InvalidOperation",
    "KeyError", "LookupError", "NotFound", "NotImplementedError", "OverflowError", "RecursionError", "Rejected",
    "RenderError", "TypeError", "UnicodeDecodeError", "UnicodeEncodeError", "ValidationError", "ValueError",
    "ZeroDivisionError",
)  # fmt: skip

# The journey's own reads and writes (enter, choose a branch, record steps, actions): up to a day of database
# trouble is ridden out (attempts back off to every 5 minutes), then the run ends with the reason recorded.
JOURNEY_DATABASE = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2, maximum_interval=timedelta(minutes=5),
    maximum_attempts=300, non_retryable_error_types=list(PERMANENT),
)  # fmt: skip

# A provider (SMTP, SMS gateway, webhook) down for a while: about an hour of tries, then the message is failed.
PROVIDER = RetryPolicy(
    initial_interval=timedelta(seconds=10), backoff_coefficient=2, maximum_interval=timedelta(minutes=10),
    maximum_attempts=PROVIDER_ATTEMPTS, non_retryable_error_types=list(PERMANENT),
)  # fmt: skip

# Daily and on-demand batch work (RFM, tag rules, points expiry, audience sweeps): a few tries over about half an
# hour; the next scheduled run starts afresh anyway.
BATCH = RetryPolicy(
    initial_interval=timedelta(seconds=30), backoff_coefficient=2, maximum_interval=timedelta(minutes=10),
    maximum_attempts=5, non_retryable_error_types=list(PERMANENT),
)  # fmt: skip

# The health check answers a person waiting for it: two quick tries.
PROBE = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_attempts=2, non_retryable_error_types=list(PERMANENT)
)
