"""The statistics analysts compare A/B arms with: pure functions over counts, no database.

Each arm is summarised by its users n, mean m and variance v (p(1−p) for a conversion rate; the sample variance
(sum_squares − sum²/n)/(n−1) for revenue per member). A non-control arm B is compared with the control A by

- the relative lift (m_B − m_A)/m_A, its variance by the delta method v_B/(m_A²·n_B) + v_A·m_B²/(m_A⁴·n_A);
- the absolute difference m_B − m_A with variance v_A/n_A + v_B/n_B;

each with a two-sided p-value and a (1−α) interval from Student's t with Welch–Satterthwaite degrees of freedom,
or, in sequential mode, from an asymptotic confidence sequence (Waudby-Smith et al., tuning parameter 5000) that
stays valid however often it is looked at. The chance to beat control is Φ(lift/se) under a flat prior on the
relative lift, and the risk is [E[max(lift, 0)], E[max(−lift, 0)]] under that normal posterior: the expected
relative loss of keeping the control, and of choosing the arm.

Sample-ratio mismatch is a chi-square goodness of fit of users per arm against the configured weights.
These are the methods of GrowthBook's gbstats (TwoSidedTTest, SequentialTwoSidedTTest, EffectBayesianABTest with a
flat prior, check_srm); the tests check agreement to 6 decimal places.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import chi2, norm, t

SEQUENTIAL_TUNING = 5000.0
SRM_THRESHOLD = 0.001


@dataclass(frozen=True, slots=True)
class Arm:
    """One arm's summary: users, mean per user and the variance of a user's outcome."""

    users: int
    mean: float
    variance: float


def conversion_arm(users: int, conversions: int) -> Arm:
    if users == 0:
        return Arm(0, 0.0, 0.0)
    rate = conversions / users
    return Arm(users, rate, rate * (1 - rate))


def revenue_arm(users: int, total: float, sum_squares: float) -> Arm:
    if users == 0:
        return Arm(0, 0.0, 0.0)
    variance = (sum_squares - total * total / users) / (users - 1) if users > 1 else 0.0
    return Arm(users, total / users, variance)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A difference with its standard error, two-sided p-value and (1−α) interval."""

    value: float
    standard_error: float
    p_value: float
    interval: tuple[float, float]


def welch_dof(a: Arm, b: Arm) -> float:
    """Welch–Satterthwaite degrees of freedom."""
    numerator = (b.variance / b.users + a.variance / a.users) ** 2
    denominator = b.variance**2 / (b.users**2 * (b.users - 1)) + a.variance**2 / (a.users**2 * (a.users - 1))
    return numerator / denominator


def relative_variance(a: Arm, b: Arm) -> float:
    """Delta-method variance of (m_B − m_A)/m_A."""
    return b.variance / (a.mean**2 * b.users) + a.variance * b.mean**2 / (a.mean**4 * a.users)


def absolute_variance(a: Arm, b: Arm) -> float:
    return a.variance / a.users + b.variance / b.users


def t_test(value: float, variance: float, dof: float, alpha: float) -> Estimate:
    """Two-sided test of value = 0 and its (1−α) interval, Student's t with `dof` degrees of freedom."""
    se = math.sqrt(variance)
    p_value = float(2 * t.sf(abs(value / se), dof))
    width = float(t.ppf(1 - alpha / 2, dof)) * se
    return Estimate(value, se, min(p_value, 1.0), (value - width, value + width))


def sequential_test(value: float, variance: float, users: int, alpha: float) -> Estimate:
    """Asymptotic confidence sequence (Waudby-Smith et al. 2023, eq. 9 and 155, ρ from eq. 161) over all `users`
    of both arms: the interval and p-value stay valid when the results are looked at every day."""
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / SEQUENTIAL_TUNING
    spread = users * rho2 + 1
    width = math.sqrt(variance * users) * math.sqrt(
        2 * spread * math.log(math.sqrt(spread) / alpha) / (users**2 * rho2)
    )
    statistic = value**2 * users / variance
    log_e_value = rho2 * statistic / (2 * spread) - math.log(spread) / 2  # in logs: a large e-value overflows
    p_value = math.exp(-log_e_value) if log_e_value > 0 else 1.0
    return Estimate(value, math.sqrt(variance), p_value, (value - width, value + width))


def chance_to_beat_control(lift: float, se: float) -> float:
    """P(lift > 0) under the normal posterior of a flat prior: Φ(lift/se)."""
    return float(norm.cdf(lift / se))


def risk(lift: float, se: float) -> tuple[float, float]:
    """[E[max(lift, 0)], E[max(−lift, 0)]] for lift ~ N(lift, se²): what keeping the control is expected to lose,
    and what choosing the arm is expected to lose."""
    z = lift / se
    density = float(norm.pdf(z))
    return lift * float(norm.cdf(z)) + se * density, -lift * float(norm.cdf(-z)) + se * density


def srm_p_value(users: Sequence[int], weights: Sequence[float]) -> float:
    """Chi-square goodness of fit of the users per arm against the weights (1.0 when nobody was assigned)."""
    total = sum(users)
    if total == 0:
        return 1.0
    weight_sum = sum(weights)
    statistic = 0.0
    for observed, weight in zip(users, weights, strict=True):
        expected = weight / weight_sum * total
        statistic += (observed - expected) ** 2 / expected
    return float(chi2.sf(statistic, len(users) - 1))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the order given."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
