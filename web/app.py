"""Assembles the Litestar app: controllers, their dependencies, templates, static files, OpenAPI and error handling."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, Router
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

import nodes  # noqa: F401  (every block and condition kind joins the registry before a journey is read)
from engine.limits import MAX_BODY_BYTES
from engine.logs import mask_secrets_in_logs
from engine.settings import get_settings
from web import i18n
from web.access import PUBLIC, LoginRequired, access_guard, login_required
from web.controllers import (
    AccountController,
    AdminPages,
    CouponController,
    EventController,
    ExperimentPages,
    HealthController,
    JourneyController,
    LinkController,
    LocaleController,
    MemberController,
    MemberTagController,
    MessageController,
    OrderController,
    PageController,
    RfmController,
    TagRuleController,
)
from web.dependencies import DEPENDENCIES
from web.errors import EXCEPTION_HANDLERS
from web.openapi import describe_models_exactly
from web.payloads import OneOrManySchema
from web.requests import IntakeRequest, StrictJsonModels, check_url
from web.security import EXEMPT_FROM_CSRF, csrf_config, security_headers
from web.sessions import DatabaseStore, session_config
from web.swagger import VendoredSwagger

HERE = Path(__file__).parent


def create_app() -> Litestar:
    mask_secrets_in_logs(get_settings())  # invalid settings stop the app here, with their sentences
    app = Litestar(
        route_handlers=[
            PageController,
            AccountController,
            AdminPages,
            _public(
                HealthController,
                LinkController,
                create_static_files_router(path="/static", directories=[HERE / "static"]),
            ),
            MemberController,
            OrderController,
            EventController,
            ExperimentPages,
            JourneyController,
            RfmController,
            TagRuleController,
            MemberTagController,
            MessageController,
            CouponController,
            LocaleController,
        ],
        guards=[access_guard],  # web/access.py: who may use which route
        middleware=[session_config().middleware],
        csrf_config=csrf_config(),
        stores={"sessions": DatabaseStore("session:"), "sign_in_attempts": DatabaseStore("sign-in:")},
        before_send=[security_headers],
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=i18n.install
        ),
        openapi_config=OpenAPIConfig(
            title="memberflow",
            version="0.1.0",
            description="Members, orders and events in; journeys, segments and campaign results out.",
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API_TOKEN")}
            ),
            security=[{"bearer": []}],
            render_plugins=[VendoredSwagger()],
        ),
        plugins=[OneOrManySchema(), StrictJsonModels()],
        dependencies=DEPENDENCIES,  # session, settings, temporal: handlers name what they need
        exception_handlers={**EXCEPTION_HANDLERS, LoginRequired: login_required},  # type: ignore[dict-item]
        request_class=IntakeRequest,
        request_max_body_size=MAX_BODY_BYTES,  # 413 naming the limit (web.errors)
        before_request=check_url,
    )
    describe_models_exactly(app)
    return app


def _public(*handlers: ControllerRouterHandler) -> Router:
    """The routes anyone may call (web/access.py): the health check, the signed message links (the signature is
    their proof) and static files; no session is read for them and no CSRF token is asked (nobody is signed in)."""
    return Router(
        path="/", route_handlers=list(handlers),
        opt={PUBLIC: "health check, signed links, static files", "skip_session": True, EXEMPT_FROM_CSRF: True},
    )  # fmt: skip
