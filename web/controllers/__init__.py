"""One controller per resource."""

from web.controllers.account import AccountController
from web.controllers.admin import AdminPages
from web.controllers.coupons import CouponController
from web.controllers.events import EventController
from web.controllers.experiments import ExperimentPages
from web.controllers.health import HealthController
from web.controllers.journeys import JourneyController
from web.controllers.links import LinkController
from web.controllers.locale import LocaleController
from web.controllers.members import MemberController
from web.controllers.messages import MessageController
from web.controllers.orders import OrderController
from web.controllers.pages import PageController
from web.controllers.rfm import RfmController
from web.controllers.tags import MemberTagController, TagRuleController

__all__ = [
    "AccountController",
    "AdminPages",
    "CouponController",
    "EventController",
    "ExperimentPages",
    "HealthController",
    "JourneyController",
    "LinkController",
    "LocaleController",
    "MemberController",
    "MemberTagController",
    "MessageController",
    "OrderController",
    "PageController",
    "RfmController",
    "TagRuleController",
]
