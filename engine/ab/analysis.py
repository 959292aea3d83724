"""An A/B analysis from counts: every non-control arm against the control, with the guard rails an analyst needs.

`analyze(request)` is pure: counts in, the pinned result shape out (`AnalysisResult.pinned()`), plus warnings in
words for whatever could not be computed or should not be trusted (zero users, no conversions in the control,
zero variance, too few users, a sample-ratio mismatch).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.ab import stats

Metric = Literal["conversion", "revenue"]
Decision = Literal["win", "lose", "inconclusive"]
MIN_USERS = 150


class ArmCounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    users: int = Field(ge=0)
    conversions: int | None = Field(None, ge=0, description="conversion: members who converted")
    # Bounded so that sum² and the variance stay finite floats (1e18² = 1e36, far below 1.8e308): a shop's revenue
    # is below 1e12 (engine.limits), so the bounds refuse only numbers no shop has.
    sum: float | None = Field(None, ge=-1e18, le=1e18, description="revenue: the arm's total revenue")
    sum_squares: float | None = Field(
        None, ge=0, le=1e36, description="revenue: the sum of each member's revenue squared"
    )


class AnalysisRequest(BaseModel):
    """The `memberflow ab analyze` file."""

    model_config = ConfigDict(extra="forbid")

    metric: Metric
    control: str | None = Field(None, description="The control arm's name; the first arm when left out")
    alpha: float = Field(0.05, gt=0, lt=1)
    sequential: bool = False
    weights: dict[str, float] | None = Field(None, description="Configured weight per arm; equal when left out")
    arms: list[ArmCounts] = Field(min_length=2)
    min_users: int = Field(MIN_USERS, ge=0, description="Warn below this many users in an arm")

    @model_validator(mode="after")
    def consistent(self) -> AnalysisRequest:
        names = [arm.name for arm in self.arms]
        problems = []
        if repeated := sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"arm name(s) {', '.join(repeated)} appear more than once")
        if self.control is not None and self.control not in names:
            problems.append(f"control '{self.control}' is not one of the arms ({', '.join(names)})")
        if self.weights is not None:
            if set(self.weights) != set(names):
                problems.append(f"weights name arms {sorted(self.weights)}, the arms are {sorted(names)}")
            if any(w <= 0 for w in self.weights.values()):
                problems.append("every weight must be a positive number")
        for arm in self.arms:
            problems += _arm_problems(self.metric, arm)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def control_name(self) -> str:
        return self.control or self.arms[0].name


def _arm_problems(metric: Metric, arm: ArmCounts) -> list[str]:
    if metric == "conversion":
        if arm.conversions is None:
            return [f"arm {arm.name}: a conversion arm needs conversions"]
        if arm.conversions > arm.users:
            return [f"arm {arm.name}: {arm.conversions} conversions but only {arm.users} users"]
        return []
    if arm.sum is None or arm.sum_squares is None:
        return [f"arm {arm.name}: a revenue arm needs sum and sum_squares"]
    if arm.users and arm.sum_squares < arm.sum**2 / arm.users - 1e-9 * max(1.0, arm.sum_squares):
        return [f"arm {arm.name}: sum_squares {arm.sum_squares} is below sum²/users; the sums do not fit together"]
    return []


class ArmSummary(BaseModel):
    name: str
    users: int
    mean: float
    variance: float


class Comparison(BaseModel):
    arm: str
    relative_lift: float | None
    relative_ci: tuple[float, float] | None
    p_value: float | None
    absolute_diff: float | None
    absolute_ci: tuple[float, float] | None
    absolute_p_value: float | None
    chance_to_win: float | None
    risk: tuple[float, float] | None
    decision: Decision
    holm_p_value: float | None = Field(None, description="With more than two arms: the decision uses this")


class AnalysisResult(BaseModel):
    metric: Metric
    control: str
    alpha: float
    sequential: bool
    srm_p_value: float
    srm_mismatch: bool
    arms: list[ArmSummary]
    comparisons: list[Comparison]
    warnings: list[str]

    def pinned(self) -> dict[str, object]:
        """Exactly the JSON `memberflow ab analyze --json` prints."""
        return {
            "metric": self.metric,
            "control": self.control,
            "srm_p_value": self.srm_p_value,
            "srm_mismatch": self.srm_mismatch,
            "arms": [arm.model_dump() for arm in self.arms],
            "comparisons": [
                {k: v for k, v in c.model_dump(mode="json").items() if k != "holm_p_value"} for c in self.comparisons
            ],
        }

    @property
    def method(self) -> str:
        interval = "an asymptotic confidence sequence (safe to look daily)" if self.sequential else "Welch's t-test"
        return (
            f"{self.metric} per member; relative lift by the delta method, two-sided p-values and "
            f"{1 - self.alpha:.0%} intervals from {interval}; chance to win under a flat prior; "
            f"sample-ratio check by chi-square (flag below p = {stats.SRM_THRESHOLD})"
            + ("; Holm-adjusted p-values decide between several arms" if len(self.comparisons) > 1 else "")
        )


def analyze(request: AnalysisRequest) -> AnalysisResult:
    arms = {arm.name: _summary(request.metric, arm) for arm in request.arms}
    control = request.control_name
    weights = request.weights or {arm.name: 1.0 for arm in request.arms}
    srm_p = stats.srm_p_value([a.users for a in arms.values()], [weights[name] for name in arms])
    warnings = []
    if srm_p < stats.SRM_THRESHOLD:
        warnings.append(
            f"SAMPLE-RATIO MISMATCH: users per arm {[a.users for a in arms.values()]} do not fit the weights "
            f"{[weights[name] for name in arms]} (p = {srm_p:.2g}); assignment or tracking is broken, "
            "do not trust these results"
        )
    warnings += [
        f"arm {name} has {arm.users} users, fewer than {request.min_users}: too few to judge"
        for name, arm in arms.items()
        if arm.users < request.min_users
    ]
    comparisons = []
    for name, arm in arms.items():
        if name != control:
            comparison, why = _compare(name, arms[control], arm, request.alpha, request.sequential)
            comparisons.append(comparison)
            warnings += [f"{name} vs {control}: {reason}" for reason in why]
    comparisons = _decide(comparisons, request.alpha)
    return AnalysisResult(
        metric=request.metric,
        control=control,
        alpha=request.alpha,
        sequential=request.sequential,
        srm_p_value=srm_p,
        srm_mismatch=srm_p < stats.SRM_THRESHOLD,
        arms=[ArmSummary(name=n, users=a.users, mean=a.mean, variance=a.variance) for n, a in arms.items()],
        comparisons=comparisons,
        warnings=warnings,
    )


def _summary(metric: Metric, arm: ArmCounts) -> stats.Arm:
    if metric == "conversion":
        assert arm.conversions is not None
        return stats.conversion_arm(arm.users, arm.conversions)
    assert arm.sum is not None and arm.sum_squares is not None
    return stats.revenue_arm(arm.users, arm.sum, arm.sum_squares)


def _compare(name: str, a: stats.Arm, b: stats.Arm, alpha: float, sequential: bool) -> tuple[Comparison, list[str]]:
    """The comparison, and in words whatever part of it cannot be computed."""
    nothing = Comparison(
        arm=name, relative_lift=None, relative_ci=None, p_value=None, absolute_diff=None, absolute_ci=None,
        absolute_p_value=None, chance_to_win=None, risk=None, decision="inconclusive",
    )  # fmt: skip
    if a.users == 0 or b.users == 0:
        return nothing, ["an arm has no users yet; nothing to compare"]
    why = []
    relative = a.mean != 0
    if not relative:
        why.append("the control's mean is 0 (no conversions or revenue), so the relative lift is undefined")
    lift = (b.mean - a.mean) / a.mean if relative else None
    diff = b.mean - a.mean
    if a.variance <= 0 or b.variance <= 0 or a.users < 2 or b.users < 2:
        why.append("an arm's outcomes do not vary (zero variance or one user), so no interval or p-value")
        return nothing.model_copy(update={"relative_lift": lift, "absolute_diff": diff}), why

    def test(value: float, variance: float) -> stats.Estimate:
        if sequential:
            return stats.sequential_test(value, variance, a.users + b.users, alpha)
        return stats.t_test(value, variance, stats.welch_dof(a, b), alpha)

    absolute = test(diff, stats.absolute_variance(a, b))
    comparison = nothing.model_copy(
        update={"absolute_diff": diff, "absolute_ci": absolute.interval, "absolute_p_value": absolute.p_value}
    )
    if lift is None:
        return comparison, why
    rel = test(lift, stats.relative_variance(a, b))
    return comparison.model_copy(
        update={
            "relative_lift": lift,
            "relative_ci": rel.interval,
            "p_value": rel.p_value,
            "chance_to_win": stats.chance_to_beat_control(lift, rel.standard_error),
            "risk": stats.risk(lift, rel.standard_error),
        }
    ), why


def _decide(comparisons: list[Comparison], alpha: float) -> list[Comparison]:
    """win / lose when the (Holm-adjusted, with several arms) p-value is below α, by the sign of the effect; the
    relative test decides, or the absolute one when the relative lift is undefined."""
    deciding = [c.p_value if c.p_value is not None else c.absolute_p_value for c in comparisons]
    known = [i for i, p in enumerate(deciding) if p is not None]
    adjusted = dict(zip(known, stats.holm([deciding[i] or 0.0 for i in known]), strict=True))
    decided = []
    for i, comparison in enumerate(comparisons):
        p = adjusted.get(i) if len(comparisons) > 1 else deciding[i]
        effect = comparison.relative_lift if comparison.p_value is not None else comparison.absolute_diff
        decision: Decision = "inconclusive"
        if p is not None and p < alpha and effect is not None and effect != 0:
            decision = "win" if effect > 0 else "lose"
        holm_p = adjusted.get(i) if len(comparisons) > 1 else None
        decided.append(comparison.model_copy(update={"decision": decision, "holm_p_value": holm_p}))
    return decided
