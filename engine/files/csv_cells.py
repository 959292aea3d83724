"""Cells of the CSV files memberflow writes, safe to open in a spreadsheet (OWASP "CSV injection").

Excel, LibreOffice and Google Sheets read a cell that starts with =, +, - or @ (or a tab or carriage return
before one) as a formula, so a member named `=HYPERLINK(...)` in an export could run or leak something when an
analyst opens it. Such a cell is written with a single quote in front, which spreadsheets show as text, as OWASP
recommends. A plain number (-12.50, +8613800138000) is left as it is: it cannot be a formula, and stays a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: object) -> str:
    """`value` as the text of one CSV cell: "" for None, str() otherwise, a single quote in front when a
    spreadsheet would read it as a formula (see the module's docstring)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def safe_row(values: Iterable[object]) -> list[str]:
    """Each value made a safe cell (for csv.writer.writerow)."""
    return [safe_cell(value) for value in values]
