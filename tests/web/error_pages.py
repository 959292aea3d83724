"""Reading an error answer meant for a person: the problems in its error box (web/templates/error_fragment.html)."""

from __future__ import annotations

import re
from html import unescape

_BOX = re.compile(r'<div class="error" role="alert" data-status="(\d+)">(.*?)</div>', re.S)


def page_problems(html: str) -> tuple[int, list[str]]:
    """(the status the box names, its problems, unescaped); AssertionError when the page has no error box."""
    found = _BOX.search(html)
    assert found is not None, f"no error box in {html[:300]!r}"
    return int(found.group(1)), [unescape(item) for item in re.findall(r"<li>(.*?)</li>", found.group(2), re.S)]
