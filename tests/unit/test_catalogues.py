"""The catalogues hold every string the web app shows, and only those: extracted with Babel as `pybabel extract` does
(babel.cfg), each must be in both catalogues; zh_CN must translate every one (not empty, not fuzzy, the same
placeholders). The English catalogue lists every string too but may leave it empty: English is the templates' own
language, so an empty msgstr means "as written" (fill one in to reword the English without touching a template).
No template shows text outside gettext, and every stored value a page shows has words to translate."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import get_args

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from engine.ab.analysis import Decision
from engine.messages.templates import Channel
from engine.rfm.segments import NO_PURCHASE, SEGMENT8_NAMES, SEGMENT11_NAMES
from web.i18n import LOCALES, TRANSLATIONS
from web.words import WORDS

ROOT = Path(__file__).parents[2]
WEB = ROOT / "web"
MessageId = str | tuple[str, ...]


def extracted() -> dict[MessageId, list[str]]:
    """Every gettext string under web/ (templates and Python), with where it is used, as `pybabel extract` finds it."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config, str(ROOT / "babel.cfg"))
    found: dict[MessageId, list[str]] = {}
    for filename, line, message, _, _ in extract_from_dir(WEB, method_map, options_map):
        found.setdefault(message, []).append(f"web/{filename}:{line}")
    return found


def catalogue(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale, abort_invalid=True)


def test_babel_finds_the_pages_strings() -> None:
    found = extracted()

    assert "Overview" in found and "Caught by the local SMTP catcher" in found  # templates
    assert "started %(run)s; reload in a moment" in found  # a controller's own answer
    assert "High value" in found  # web/words.py
    assert ("%(total)s member", "%(total)s members") in found  # a plural from {% trans count=… %}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_is_in_the_catalogue_and_nothing_else(locale: str) -> None:
    found = extracted()
    listed = {message.id for message in catalogue(locale) if message.id}

    missing = [f"{message!r} ({', '.join(found[message])})" for message in found if message not in listed]
    stale = [repr(message) for message in listed if message not in found]
    assert not missing, f"not in {locale}'s catalogue (run pybabel extract, then pybabel update): {missing}"
    assert not stale, f"in {locale}'s catalogue but no longer used (run pybabel extract, then pybabel update): {stale}"


def test_every_string_is_translated_into_chinese() -> None:
    chinese = catalogue("zh_CN")

    untranslated = [message.id for message in chinese if message.id and not _translated(message.string)]
    fuzzy = [message.id for message in chinese if message.id and message.fuzzy]
    wrong = {message.id: [str(error) for error in errors] for message, errors in chinese.check()}
    assert not untranslated, f"not translated into Chinese: {untranslated}"
    assert not fuzzy, f"marked fuzzy (check the translation, then remove the flag): {fuzzy}"
    assert not wrong, f"placeholders that do not match the English: {wrong}"


def test_the_english_catalogue_only_rewords() -> None:
    english = catalogue("en")

    assert [message.id for message in english if message.id and message.fuzzy] == []
    assert list(english.check()) == []


def _translated(string: str | tuple[str, ...] | None) -> bool:
    strings = string if isinstance(string, tuple) else (string,)
    return all(text and text.strip() for text in strings)


# --- no text outside gettext --------------------------------------------------------------------------------------

# {# comments #}, whole {% trans %} blocks, {{ expressions }} and {% statements %}: what is left is shown as written.
_JINJA = re.compile(r"{#.*?#}|{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}|{{.*?}}|{%.*?%}", re.DOTALL)
_SHOWN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "value", "label"}
_NOT_WORDS = {"memberflow", "OpenAPI", "p"}  # the product's and a standard's name, the statistics' symbol


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.shown += [value for name, value in attrs if name in _SHOWN_ATTRIBUTES and value]

    def handle_data(self, data: str) -> None:
        self.shown.append(data)


def words_outside_gettext(template: str) -> list[str]:
    """The words a template shows as written (letters of any script), gettext calls and Jinja code left out."""
    parser = _VisibleText()
    parser.feed(_JINJA.sub(" ", template))
    words = re.findall(r"\S+", " ".join(parser.shown))
    return [
        word for word in words
        if word.strip("·:()") not in _NOT_WORDS and any(unicodedata.category(c).startswith("L") for c in word)
    ]  # fmt: skip


@pytest.mark.parametrize("template", sorted(path.name for path in (WEB / "templates").glob("**/*.html")))
def test_no_template_shows_words_outside_gettext(template: str) -> None:
    assert words_outside_gettext((WEB / "templates" / template).read_text(encoding="utf-8")) == []


def test_the_check_sees_words_written_straight_into_a_template() -> None:
    template = (
        """<h1>{{ _("Members") }}</h1><p title="Hint">Total: {{ n }}</p>{% trans %}Seen{% endtrans %}<b>会员</b>"""
    )

    assert words_outside_gettext(template) == ["Hint", "Total:", "会员"]


# --- stored values shown in words ---------------------------------------------------------------------------------

MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "skipped")  # engine.models.Message.status


def test_every_value_a_page_shows_has_words() -> None:
    values = [*SEGMENT8_NAMES, *SEGMENT11_NAMES, NO_PURCHASE, *MESSAGE_STATUSES, *get_args(Channel),
              *get_args(Decision)]  # fmt: skip

    assert [value for value in values if value not in WORDS] == []
