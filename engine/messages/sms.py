"""How long an SMS is in segments, and what it costs. GSM 03.38 text goes 160 characters in one segment and 153
per segment when split; anything else (Chinese, emoji) is UCS-2: 70 in one, 67 per segment when split, counted
in UTF-16 code units (an emoji is two). Characters of the GSM extension table (€ [ ] { } …) take two places."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Literal

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


def encoding(text: str) -> Literal["GSM-7", "UCS-2"]:
    return "GSM-7" if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text) else "UCS-2"


def segments(text: str) -> int:
    """The number of SMS segments `text` is sent as (0 for an empty text)."""
    if encoding(text) == "GSM-7":
        units, single, part = sum(2 if c in GSM_EXTENDED else 1 for c in text), 160, 153
    else:
        units, single, part = len(text.encode("utf-16-le")) // 2, 70, 67
    if units == 0:
        return 0
    return 1 if units <= single else math.ceil(units / part)


def cost(text: str, per_segment: Decimal) -> Decimal:
    return per_segment * segments(text)
