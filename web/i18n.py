"""The web app's two languages: which one a request reads (negotiated per request, never global), its gettext
catalogue (web/translations/<locale>/LC_MESSAGES/messages.po, compiled in memory), and the jinja filters that write
numbers, money, percentages, dates and times in it, times in the shop's zone.

Templates are written in English (the source language); `_("…")`, `{% trans %}` and `ngettext` look the words up in
the request's catalogue. The callables read the request from the template's context, so two concurrent requests in
two languages never share a language."""

from __future__ import annotations

import gettext as gettext_module
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode, urlsplit

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.connection import ASGIConnection
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup

from engine.clock import shop_zone
from engine.settings import get_settings
from web.words import WORDS

LOCALES = ("zh_CN", "en")
"""Babel's names of the languages the web app speaks; each has a catalogue under web/translations/."""
TAGS = {"zh_CN": "zh-CN", "en": "en"}
"""Each locale's BCP 47 tag: the `lang` of the page, the `locale` cookie's value, `/locale?to=`."""
ENDONYMS = {"zh_CN": "中文", "en": "English"}
"""Each language named in itself, as the switcher shows it (a reader finds their own language whatever the page's)."""
COOKIE = "locale"
"""The cookie the in-page switcher sets (its value a tag of TAGS, e.g. zh-CN)."""
SESSION_KEY = "locale"
"""The session key the switcher sets when the app has sessions: the choice made during this login."""
TRANSLATIONS = Path(__file__).parent / "translations"
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")  # a BCP 47 language tag's shape (RFC 5646), _ allowed


def parse_locale(text: str | None) -> str | None:
    """The supported locale (one of LOCALES) a language tag names, matched by language: 'zh-CN', 'zh_cn', 'zh',
    'zh-Hans', 'zh-TW' → 'zh_CN'; 'en', 'en-GB' → 'en'. None for None, '*', an unknown or malformed tag, or a language
    memberflow does not speak (a Traditional Chinese reader gets Simplified Chinese rather than English)."""
    if not text or not _TAG.fullmatch(text.strip()):
        return None
    try:
        language = Locale.parse(text.strip().replace("-", "_")).language
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    return next((locale for locale in LOCALES if Locale.parse(locale).language == language), None)


def accepted_languages(header: str) -> list[str]:
    """The tags of an Accept-Language header (RFC 9110 §12.5.4), most wanted first: by weight `q` (1 when absent),
    then in the order given; `q=0` means "not this one" and is dropped, as is a malformed weight."""
    ranked = []
    for position, item in enumerate(header.split(",")):
        tag, _, parameters = item.partition(";")
        weight = 1.0
        for parameter in parameters.split(";") if parameters else ():
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if tag.strip() and weight > 0:
            ranked.append((-weight, position, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(choices: Iterable[str | None], accept_language: str, default: str) -> str:
    """The locale to answer in: the first of `choices` (most binding first: the choice made in this session, the
    user's saved setting, the switcher's cookie) that names a supported language, else the best of Accept-Language,
    else `default` (the shop's DEFAULT_LOCALE), else the first of LOCALES."""
    for candidate in (*choices, *accepted_languages(accept_language)):
        if found := parse_locale(candidate):
            return found
    return parse_locale(default) or LOCALES[0]


def current_locale(connection: ASGIConnection[Any, Any, Any, Any] | None) -> str:
    """The locale (one of LOCALES) of this request, negotiated once and kept in its scope state: the session's
    `locale` (set by the switcher), the signed-in user's saved `locale` (users.locale), the `locale` cookie,
    Accept-Language, then DEFAULT_LOCALE. Without a request (a template rendered outside one): DEFAULT_LOCALE.
    Pages use it to pick the registry's words for a block in this language."""
    default = get_settings().default_locale
    if connection is None:
        return parse_locale(default) or LOCALES[0]
    state = connection.scope["state"]  # Litestar gives every request its own state dict
    if (known := state.get("memberflow.locale")) is None:
        session = connection.scope.get("session")
        user = connection.scope.get("user")
        choices = (
            session.get(SESSION_KEY) if isinstance(session, dict) else None,
            getattr(user, "locale", None),
            connection.cookies.get(COOKIE),
        )
        known = state["memberflow.locale"] = negotiate(choices, connection.headers.get("accept-language", ""), default)
    return cast(str, known)


@cache
def translations(locale: str) -> gettext_module.NullTranslations:
    """The catalogue of `locale` (one of LOCALES): its messages.po read and compiled to MO in memory once per process,
    so no generated file is built or shipped. Untranslated and fuzzy entries are left out: gettext answers them with
    the English source. Raises OSError when the file is missing and babel's PoFileError when it is malformed."""
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale, abort_invalid=True)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def in_language(words: Any, locale: str) -> str:
    """The text of `words` in `locale` (one of LOCALES): node metadata given in both languages (an object with
    `zh_CN` and `en` attributes, or a mapping with those keys), falling back to the English; plain text as it is."""
    if isinstance(words, str):
        return words
    if isinstance(words, Mapping):
        return str(words.get(locale) or words.get("en") or "")
    return str(getattr(words, locale, None) or getattr(words, "en", ""))


def translator(connection: ASGIConnection[Any, Any, Any, Any] | None) -> gettext_module.NullTranslations:
    """The catalogue of this request's language, for words a controller answers itself:
    `_ = translator(request).gettext`, then `_("…")` (pybabel extracts `_` calls in web/)."""
    return translations(current_locale(connection))


def safe_next(target: str | None) -> str:
    """Where the switcher may send the reader back: a path on this site ('/members?q=张'), never another site
    ('//evil.example', 'https://…', '/\\evil.example'); anything else is the home page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return "/"
    return target


# --- what templates call ------------------------------------------------------------------------------------------


def _locale(context: Context) -> str:
    request = context.get("request")
    return current_locale(request if isinstance(request, ASGIConnection) else None)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(_locale(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_locale(context)).ngettext(singular, plural, n)


@pass_context
def html_lang(context: Context) -> str:
    """The page's language tag for `<html lang>` (zh-CN or en)."""
    return TAGS[_locale(context)]


@pass_context
def languages(context: Context) -> list[dict[str, str | bool]]:
    """The switcher's entries: each language's tag, its own name, the link that switches to it, whether it is on."""
    request = context.get("request")
    here = "/"
    if isinstance(request, ASGIConnection):
        query = request.url.query
        here = request.url.path + (f"?{query}" if query else "")
    current = _locale(context)
    return [
        {"tag": TAGS[locale], "name": ENDONYMS[locale], "current": locale == current,
         "href": "/locale?" + urlencode({"to": TAGS[locale], "next": here})}
        for locale in LOCALES
    ]  # fmt: skip


@pass_context
def number(context: Context, value: int | float | Decimal | None, digits: int | None = None) -> str:
    """A count or measure in the page's language (12,345); `digits` fixes the decimals (0.0123 with 4). None: —."""
    if value is None:
        return "—"
    pattern = None if digits is None else _decimals(digits)
    return format_decimal(value, format=pattern, locale=_locale(context))


def _decimals(digits: int) -> str:
    return "#,##0." + "0" * digits if digits else "#,##0"


@pass_context
def money(context: Context, value: int | float | Decimal | str | None, currency: str | None = None) -> str:
    """An amount in the shop's currency (SHOP_CURRENCY, or `currency`) in the page's language: ¥1,234.50 in zh-CN,
    CN¥1,234.50 in English (another currency's own symbol: US$ in zh-CN). None: —."""
    if value is None:
        return "—"
    return format_currency(Decimal(value), currency or get_settings().shop_currency, locale=_locale(context))


@pass_context
def percent(context: Context, value: float | None, signed: bool = False, digits: int = 2) -> str:
    """A fraction as a percentage with `digits` decimals (0.1782 → 17.82%); `signed` writes the sign of a change
    (+78.22%, -5.00%). None (not known yet): —."""
    if value is None:
        return "—"
    body = _decimals(digits) + "%"
    return format_percent(value, format=f"+{body};-{body}" if signed else body, locale=_locale(context))


def _in_shop_zone(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(shop_zone())


@pass_context
def date_time(context: Context, value: datetime | str | None) -> str:
    """A moment (aware, or naive meaning UTC; an ISO string too) as a date and time of day in the shop's time zone
    (SHOP_TIMEZONE), written the page's way: 2024年5月1日 10:30 / May 1, 2024, 10:30 AM. None: —."""
    if value is None:
        return "—"
    locale = Locale.parse(_locale(context))
    moment = _in_shop_zone(value)
    pattern = str(locale.datetime_formats["medium"])  # how the language joins a date and a time: "{1} {0}"
    return pattern.format(format_time(moment, "short", locale=locale), format_date(moment, "medium", locale=locale))


@pass_context
def day(context: Context, value: date | datetime | str | None) -> str:
    """A calendar date written the page's way (2024年5月1日 / May 1, 2024); a moment is first taken to the shop's
    zone, so a late-evening order in Shanghai is on its Shanghai date. None: —."""
    if value is None:
        return "—"
    if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
        value = _in_shop_zone(value).date()
    elif isinstance(value, str):
        value = date.fromisoformat(value)
    return format_date(value, "medium", locale=_locale(context))


@pass_context
def word(context: Context, value: str | None) -> str:
    """A stored value's words in the page's language (web/words.py: sent → 已发送; 重要价值客户 → High value in
    English); a value without words of its own (a tag, a journey's name) as it is; None: empty."""
    if value is None:
        return ""
    english = WORDS.get(value)
    return value if english is None else translations(_locale(context)).gettext(english)


def shop_time_zone() -> str:
    """The shop's time zone name (SHOP_TIMEZONE), the zone every time on the pages is written in."""
    return get_settings().shop_timezone


def code(value: object) -> Markup:
    """`value` in code font, escaped: for a value inside a translated sentence, which keeps markup out of the
    catalogue (`_("Shop time zone %(zone)s", zone=settings.shop_timezone | code)`)."""
    return Markup("<code>{}</code>").format(value)


@pass_context
def in_page_language(context: Context, words: Any) -> str:
    """`in_language` for the page's language: `{{ block.title | in_language }}`."""
    return in_language(words, _locale(context))


FILTERS: dict[str, Callable[..., str | Markup]] = {
    "number": number, "money": money, "percent": percent, "datetime": date_time, "date": day,
    "word": word, "code": code, "in_language": in_page_language,
}  # fmt: skip


def install(engine: JinjaTemplateEngine) -> None:
    """Give the app's jinja environment gettext (`_`, `gettext`, `ngettext`, `{% trans %}`, whitespace trimmed as
    pybabel extracts it: babel.cfg), the locale filters and the switcher's globals. Passed to Litestar as the
    TemplateConfig's engine_callback."""
    environment = engine.engine
    environment.add_extension("jinja2.ext.i18n")
    environment.policies["ext.i18n.trimmed"] = True
    cast(Any, environment).install_gettext_callables(gettext=_gettext, ngettext=_ngettext, newstyle=True)
    environment.filters.update(FILTERS)
    environment.globals.update(html_lang=html_lang, languages=languages, shop_time_zone=shop_time_zone)
