"""/api/coupons: coupon templates, issuing by hand, and the redemption report (核销)."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine import clock
from engine.errors import Invalid
from engine.intake.records import problems_of
from engine.rewards.coupons import CouponSpec, TemplateReport, coupon_report, issue_by_hand, save_template, templates
from web.auth import require_api_token
from web.dependencies import SessionDep, SettingsDep
from web.errors import problems
from web.params import TemplateKey


class TemplateBody(CouponSpec):
    """A template as PUT sends it: the path names the key; a key in the body too must be the same one."""

    key: str | None = Field(None, description="Optional: the key in the path")  # type: ignore[assignment]

    def for_key(self, key: str) -> CouponSpec:
        """The template under the path's `key`; Invalid naming both keys when the body names another one."""
        if self.key is not None and self.key != key:
            raise Invalid([f"the path names template '{key}' but the body names '{self.key}'; they must agree"])
        try:
            return CouponSpec.model_validate({**dict(self), "key": key})
        except ValidationError as exc:
            raise Invalid(problems_of(exc)) from None


class IssueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: str = Field(min_length=1, max_length=64)
    occasion: str = Field(min_length=1, max_length=100, description="One coupon per template, member and occasion")


class IssuedCoupon(BaseModel):
    member_id: str
    template: str
    code: str
    expires_at: str | None


class CouponController(Controller):
    path = "/api/coupons"
    guards = [require_api_token]  # noqa: RUF012
    tags = ["coupons"]  # noqa: RUF012

    @get("/templates", sync_to_thread=True, summary="Every coupon template", responses=problems())
    def index(self, session: SessionDep) -> list[CouponSpec]:
        return templates(session)

    @put(
        "/templates/{key:str}", sync_to_thread=True, summary="Create or replace a template; 400 names every problem",
        responses=problems(400, 413),
    )  # fmt: skip
    def save(self, session: SessionDep, key: TemplateKey, data: JSONBody[TemplateBody]) -> CouponSpec:
        spec = data.for_key(key)
        save_template(session, spec, clock.now())
        return spec

    @post(
        "/templates/{key:str}/issue", sync_to_thread=True, summary="Issue a coupon by hand, once per occasion",
        responses=problems(400, 404, 409, 413),
    )  # fmt: skip
    def issue(
        self, session: SessionDep, settings: SettingsDep, key: TemplateKey, data: JSONBody[IssueRequest]
    ) -> IssuedCoupon:
        issued = issue_by_hand(
            session, template_key=key, member_key=data.member_id, occasion=data.occasion, source="api",
            now=clock.now(), zone=settings.shop_zone,
        )  # fmt: skip
        assert issued.code is not None
        expires = issued.expires_at.isoformat() if issued.expires_at else None
        return IssuedCoupon(member_id=data.member_id, template=key, code=issued.code, expires_at=expires)

    @get(
        "/report",
        sync_to_thread=True,
        summary="Per template: issued, redeemed, 核销率, attributed revenue, cost",
        responses=problems(),
    )
    def report(self, session: SessionDep) -> list[TemplateReport]:
        return coupon_report(session)
