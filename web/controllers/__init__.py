"""One controller per resource."""

from web.controllers.events import EventController
from web.controllers.health import HealthController
from web.controllers.journeys import JourneyController
from web.controllers.members import MemberController
from web.controllers.orders import OrderController
from web.controllers.pages import PageController

__all__ = [
    "EventController",
    "HealthController",
    "JourneyController",
    "MemberController",
    "OrderController",
    "PageController",
]
