"""The rules every send obeys, as pure functions: quiet hours in the member's zone, the frequency cap.

Free of engine imports, so the settings check QUIET_HOURS and FREQUENCY_CAP with these parsers (no cycle); the
frequency cap's window is counted in engine.messages.message_log with engine.clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
CAP = re.compile(r"^([1-9]\d*)/([1-9]\d*)$")


@dataclass(frozen=True)
class QuietHours:
    """From `start` to `end` local time no message goes out; may span midnight (21:00-09:00)."""

    start: time
    end: time

    def covers(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def next_allowed(self, at: datetime, zone: ZoneInfo) -> datetime:
        """`at` itself when allowed, else the end of the quiet hours in the member's zone (as UTC-aware)."""
        local = at.astimezone(zone)
        if not self.covers(local.time()):
            return at
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, zone)


def deferred_reason(until: datetime, zone: ZoneInfo) -> str:
    """What the outbox says of a message held by quiet hours: when it goes, in the member's zone, the zone named
    (e.g. "deferred by quiet hours until 09:00 on 2024-05-02 (member's zone, Asia/Shanghai)")."""
    local = until.astimezone(zone)
    return f"deferred by quiet hours until {local:%H:%M} on {local:%Y-%m-%d} (member's zone, {zone.key})"


@dataclass(frozen=True)
class FrequencyCap:
    """At most `messages` per member per `days` per channel; days are calendar days in the shop's zone, as every day
    count (engine.clock): with 3/7, three in today and the six days before."""

    messages: int
    days: int

    def allows(self, already: int) -> bool:
        return already < self.messages


def parse_quiet_hours(text: str) -> QuietHours | None:
    """ "21:00-09:00" → QuietHours; "" → None (no quiet hours); anything else raises ValueError with the reason."""
    if not text:
        return None
    found = QUIET.match(text.strip())
    if not found:
        raise ValueError(f"'{text}' is not quiet hours such as 21:00-09:00")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if (h1, m1) == (h2, m2):
        raise ValueError(f"'{text}' starts and ends at the same time")
    return QuietHours(time(h1, m1), time(h2, m2))


def parse_frequency_cap(text: str) -> FrequencyCap | None:
    """ "3/7" → at most 3 messages per 7 days; "" → None (no cap)."""
    if not text:
        return None
    found = CAP.match(text.strip())
    if not found:
        raise ValueError(f"'{text}' is not a frequency cap such as 3/7 (3 messages per 7 days)")
    return FrequencyCap(int(found.group(1)), int(found.group(2)))
