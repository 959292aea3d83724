"""Assembles the Litestar app: controllers, their dependencies, templates, static files, OpenAPI and error handling."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

import nodes  # noqa: F401  (every block and condition kind joins the registry before a journey is read)
from engine.limits import MAX_BODY_BYTES
from engine.logs import mask_secrets_in_logs
from engine.settings import get_settings
from web import i18n
from web.controllers import (
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

HERE = Path(__file__).parent


def create_app() -> Litestar:
    mask_secrets_in_logs(get_settings())  # invalid settings stop the app here, with their sentences
    app = Litestar(
        route_handlers=[
            PageController,
            HealthController,
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
            LinkController,
            LocaleController,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
        ],
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
        ),
        plugins=[OneOrManySchema(), StrictJsonModels()],
        dependencies=DEPENDENCIES,  # session, settings, temporal: handlers name what they need
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_class=IntakeRequest,
        request_max_body_size=MAX_BODY_BYTES,  # 413 naming the limit (web.errors)
        before_request=check_url,
    )
    describe_models_exactly(app)
    return app
