"""Tables on the terminal: every value shown whole, whatever the terminal's width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

_UNBOUNDED = 1_000_000


def print_table(console: Console, headers: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> None:
    """Print `rows` (plain strings, one per header; never read as markup) as a table when the table fits the
    console's width with no value wrapped or cut, else as records: one "header  value" line per column, a blank
    line between rows, long lines left for the terminal to wrap (psql's expanded display does the same). A value
    is never shortened with an ellipsis or folded inside a word, so it can be read and copied whole."""
    table = Table(*headers, title=title or None)
    for row in rows:
        table.add_row(*(Text(value) for value in row))
    natural = Measurement.get(console, console.options.update_width(_UNBOUNDED), table).maximum
    if natural <= console.width:
        console.print(table)
        return
    if title:
        console.print(Text(title), soft_wrap=True)
    width = max((cell_len(header) for header in headers), default=0)
    for number, row in enumerate(rows):
        if number:
            console.print()
        for header, value in zip(headers, row, strict=True):
            label = header + " " * (width - cell_len(header))
            console.print(Text.assemble((label, "bold"), "  ", value), soft_wrap=True)
