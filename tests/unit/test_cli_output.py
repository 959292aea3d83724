"""CLI tables: a table when it fits the terminal, else records; no value is ever cut ("enter…") or folded."""

from __future__ import annotations

import io

from rich.console import Console

from cli.output import print_table

HEADERS = ["block", "entered", "sent", "status", "reason"]
ROWS = [
    [
        "(journey)",
        "1200",
        "1180",
        "queued",
        "deferred by quiet hours until 09:00 on 2024-05-02 (member's zone, Asia/Shanghai)",
    ],
    ["send-winback-email-to-lapsed-members", "300", "298", "sent", ""],
    ["会员生日礼券发放", "[bold]5[/bold]", "5", "skipped", "member opted out of email on 2024-04-01"],
]


def printed(width: int, headers: list[str], rows: list[list[str]], title: str = "") -> str:
    out = io.StringIO()
    print_table(Console(file=out, width=width, color_system=None), headers, rows, title)
    return out.getvalue()


def test_a_table_too_wide_for_the_terminal_becomes_records_with_every_value_whole() -> None:
    text = printed(60, HEADERS, ROWS, "effect")

    records = [record.splitlines() for record in text.split("\n\n")]
    assert records[0][0] == "effect"
    assert [record[-5:] for record in records] == [
        [f"{header:<7}  {value}" for header, value in zip(HEADERS, row, strict=True)] for row in ROWS
    ]  # each value whole on its own line (the terminal wraps it), "[bold]" shown as written, not read as markup
    assert "…" not in text


def test_a_table_that_fits_is_drawn_as_a_table() -> None:
    text = printed(80, ["segment", "members"], [["重要价值客户", "120"], ["一般挽留客户", "3"]], "8 segments")

    assert "┃ segment      ┃ members ┃" in text
    assert "│ 重要价值客户 │ 120     │" in text
    assert "…" not in text
