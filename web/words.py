"""The words pages show for values memberflow stores in English or as permanent names (message statuses, channels,
A/B decisions, RFM segment names, roles) or takes from a standard (HTTP reason phrases): each value's English words,
marked for pybabel and translated when shown (web/i18n.py's `word` filter). The stored values themselves never
change: journeys and the API use them."""

from __future__ import annotations


def N_(message: str) -> str:  # gettext's name for "mark for extraction, translate later"
    """Marks `message` for pybabel extract (one of its default keywords) and returns it unchanged."""
    return message


WORDS: dict[str, str] = {
    # message statuses (engine.models.Message.status) and channels
    "queued": N_("queued"),
    "sending": N_("sending"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "failed": N_("failed"),
    "skipped": N_("skipped"),
    "email": N_("email"),
    "sms": N_("SMS"),
    # an arm's verdict against the control (engine.ab.analysis.Decision)
    "win": N_("win"),
    "lose": N_("lose"),
    "inconclusive": N_("inconclusive"),
    # the 8-segment scheme's permanent names are Chinese (engine.rfm.segments.SEGMENTS8) ...
    "重要价值客户": N_("High value"),
    "重要发展客户": N_("High value to develop"),
    "重要保持客户": N_("High value to keep"),
    "重要挽留客户": N_("High value to win back"),
    "一般价值客户": N_("Regular value"),
    "一般发展客户": N_("Regular to develop"),
    "一般保持客户": N_("Regular to keep"),
    "一般挽留客户": N_("Regular to win back"),
    # ... and the 11-segment scheme's English (engine.rfm.segments.SEGMENT11_NAMES)
    "Champions": N_("Champions"),
    "Loyal": N_("Loyal"),
    "Potential Loyalist": N_("Potential Loyalist"),
    "Recent": N_("Recent"),
    "Promising": N_("Promising"),
    "Needs Attention": N_("Needs Attention"),
    "About to Sleep": N_("About to Sleep"),
    "At Risk": N_("At Risk"),
    "Can't Lose Them": N_("Can't Lose Them"),
    "Hibernating": N_("Hibernating"),
    "Lost": N_("Lost"),
    "no purchase": N_("No purchase"),
    # users' roles (engine.access.users.Role), as the header shows who is signed in
    "admin": N_("admin"),
    "marketer": N_("marketer"),
    "analyst": N_("analyst"),
    # the reason phrases of the statuses an error page or fragment names (web/errors.py; http.HTTPStatus's words)
    "Bad Request": N_("Bad Request"),
    "Unauthorized": N_("Unauthorized"),
    "Forbidden": N_("Forbidden"),
    "Not Found": N_("Not Found"),
    "Method Not Allowed": N_("Method Not Allowed"),
    "Conflict": N_("Conflict"),
    "Request Entity Too Large": N_("Request Entity Too Large"),
    "Unsupported Media Type": N_("Unsupported Media Type"),
    "Unprocessable Entity": N_("Unprocessable Entity"),
    "Too Many Requests": N_("Too Many Requests"),
    "Internal Server Error": N_("Internal Server Error"),
    "Service Unavailable": N_("Service Unavailable"),
    "Error": N_("Error"),
}
