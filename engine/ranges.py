"""The domain ranges of what marketers write: journeys and their conditions, tag rules, coupon templates, points
rules and grants. Each field's bounds are checked when it is read (API, CLI, YAML), so a value whose arithmetic
would overflow later (a wait of 10^9 days, a coupon worth 10^30, a grant beyond a 32-bit column) is refused with
the field named, instead of failing in a workflow or activity that would retry it in vain.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

MAX_DAYS = 36_500  # 100 years: the longest wait, window, day count, validity or gap anything may name
MAX_HOURS = MAX_DAYS * 24
MAX_MINUTES = MAX_HOURS * 60
MAX_MONEY = Decimal("999999999999.99")  # in the shop's currency: what the money columns hold (14 digits, 2 decimals)
MAX_POINTS = 1_000_000_000  # one ledger entry (grant, redemption, adjustment); the column is a 32-bit integer
MAX_COUNT = 10_000_000  # orders in a window, members per arm: counts of things
MAX_MULTIPLIER = Decimal(100)  # points multipliers (segment, boost, last order)
MAX_WEIGHT = 1_000_000.0  # an A/B arm's weight (weights are normalised)
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2199, 12, 31)  # fixed dates of coupons and points rules
