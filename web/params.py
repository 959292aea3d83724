"""URL parameters with their domains (engine.limits), so the schema documents them and Litestar refuses the rest
with a 400 naming the parameter."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from engine.limits import MAX_KEY, MAX_OFFSET, MAX_PAGE, MAX_SEARCH

ONE_LINE = r"^[^\x00-\x1f\x7f]+$"  # no NUL, line break or other control character (engine.limits.check_line)
# A tag (engine.limits.check_tag): one line, no space at either end, no U+FFFD.
ONE_TAG = r"^[^\s\x00-\x1f\x7f\ufffd](?:[^\x00-\x1f\x7f\ufffd]*[^\s\x00-\x1f\x7f\ufffd])?$"

JourneyKey = Annotated[str, Parameter(min_length=1, max_length=MAX_KEY, description="A journey's permanent id")]
BlockId = Annotated[str, Parameter(min_length=1, max_length=MAX_KEY, description="A block's id in the journey")]
TemplateKey = Annotated[str, Parameter(min_length=1, max_length=MAX_KEY, description="A coupon template's key")]
MemberId = Annotated[str, Parameter(min_length=1, max_length=MAX_KEY, description="The shop's member_id")]
TagName = Annotated[
    str, Parameter(min_length=1, max_length=MAX_KEY, pattern=ONE_TAG, description="A tag, e.g. VIP (one line)")
]
Search = Annotated[
    str | None, Parameter(max_length=MAX_SEARCH, description="Text in the id, name, email, phone or city")
]
Limit = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE} per page")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="How many to skip")]
