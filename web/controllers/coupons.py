"""/api/coupons: coupon templates, issuing by hand, and the redemption report (核销)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, Field, ValidationError

from engine import clock
from engine.coupons import CouponSpec, TemplateReport, coupon_report, issue_by_hand, save_template, templates
from engine.db import session_scope
from engine.errors import InputError
from engine.records import problems_of
from engine.settings import get_settings
from web.auth import require_api_token


class IssueRequest(BaseModel):
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

    @get("/templates", sync_to_thread=True, summary="Every coupon template")
    def index(self) -> list[CouponSpec]:
        with session_scope() as session:
            return templates(session)

    @put("/templates/{key:str}", sync_to_thread=True, summary="Create or replace a template; 400 names every problem")
    def save(self, key: FromPath[str], data: JSONBody[dict[str, Any]]) -> CouponSpec:
        try:
            spec = CouponSpec.model_validate(data | {"key": key})
        except ValidationError as exc:
            raise InputError(problems_of(exc)) from None
        with session_scope() as session:
            save_template(session, spec, clock.now())
        return spec

    @post("/templates/{key:str}/issue", sync_to_thread=True, summary="Issue a coupon by hand, once per occasion")
    def issue(self, key: FromPath[str], data: JSONBody[IssueRequest]) -> IssuedCoupon:
        with session_scope() as session:
            issued = issue_by_hand(
                session, template_key=key, member_key=data.member_id, occasion=data.occasion, source="api",
                now=clock.now(), zone=get_settings().shop_zone,
            )  # fmt: skip
        assert issued.code is not None
        expires = issued.expires_at.isoformat() if issued.expires_at else None
        return IssuedCoupon(member_id=data.member_id, template=key, code=issued.code, expires_at=expires)

    @get("/report", sync_to_thread=True, summary="Per template: issued, redeemed, 核销率, attributed revenue, cost")
    def report(self) -> list[TemplateReport]:
        with session_scope() as session:
            return coupon_report(session)
