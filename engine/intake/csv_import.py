"""CSV import of members and orders: read the file as shops export it (UTF-8 or GB18030), refuse a broken file
whole, validate each row, save in batches, report every rejected row by the line it starts on."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from engine import clock
from engine.db import session_scope
from engine.errors import Invalid
from engine.intake import saving
from engine.intake.records import MemberRecord, OrderRecord, problems_of
from engine.settings import get_settings

Kind = Literal["members", "orders"]
COLUMNS: dict[Kind, tuple[str, ...]] = {
    "members": (
        "member_id",
        "name",
        "email",
        "phone",
        "birthday",
        "gender",
        "city",
        "timezone",
        "registered_at",
        "tags",
        "email_consent",
        "sms_consent",
    ),
    "orders": ("order_id", "member_id", "placed_at", "amount", "category", "channel", "coupon_code"),
}
REQUIRED: dict[Kind, tuple[str, ...]] = {
    "members": ("member_id",),
    "orders": ("order_id", "member_id", "placed_at", "amount"),
}
BATCH_SIZE = 5000
_UTF8_BOM = codecs.BOM_UTF8
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str


@dataclass
class ImportReport:
    file: str
    kind: Kind
    encoding: str = "UTF-8"
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged + self.rejected

    def problem_lines(self) -> Iterator[str]:
        for problem in self.problems:
            yield f"{self.file}:{problem.line}: {problem.reason}"


def count_rows(path: Path) -> int:
    """Data rows, counted as newlines after the header (a quick total for the progress bar)."""
    with path.open("rb") as handle:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(newlines - 1, 0)


def import_csv(
    path: Path,
    kind: Kind,
    *,
    encoding: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import one CSV file in UTF-8 (with or without BOM) or GB18030 (GBK), detected unless `encoding` names it.

    The whole file is read once before anything is written: an undecodable line, broken quoting or a bad header
    raises Invalid naming the line and writes nothing. Then valid rows are saved batch by batch; a bad row is
    reported with the physical line it starts on and writes nothing.
    """
    source = CsvSource(path, kind, encoding)
    for _ in source.rows():  # file-level problems surface here, before any row is saved
        pass
    report = ImportReport(file=str(path), kind=kind, encoding=source.encoding_name)
    guard = saving.RepeatGuard("member_id" if kind == "members" else "order_id")
    settings = get_settings()
    context = {"zone": settings.shop_zone, "region": settings.shop_region}
    model: type[BaseModel] = MemberRecord if kind == "members" else OrderRecord
    key_field = "member_id" if kind == "members" else "order_id"

    batch: list[tuple[int, MemberRecord | OrderRecord]] = []
    for line, row in source.rows():
        if isinstance(row, str):
            report.rejected += 1
            report.problems.append(RowProblem(line, row))
            continue
        try:
            record = model.model_validate(row, context=context)
        except ValidationError as exc:
            report.rejected += 1
            report.problems.append(RowProblem(line, "; ".join(problems_of(exc))))
            continue
        assert isinstance(record, MemberRecord | OrderRecord)
        repeat = guard.check(getattr(record, key_field), record.content_hash(), line)
        if repeat is not None:
            _count(report, line, repeat)
            continue
        batch.append((line, record))
        if len(batch) >= batch_size:
            _save(batch, kind, report, path)
            if on_progress:
                on_progress(line)
            batch = []
    if batch:
        _save(batch, kind, report, path)
    if on_progress:
        on_progress(report.rows)
    report.problems.sort(key=lambda problem: problem.line)
    return report


class CsvSource:
    """A shop's CSV file: its encoding (checked over the whole file), its header, then its rows with the physical
    line each starts on. Every file-level problem raises Invalid with a sentence naming the file and line."""

    def __init__(self, path: Path, kind: Kind, encoding: str | None = None) -> None:
        if not path.is_file():
            raise Invalid([f"{path}: no such file"])
        self.path, self.kind = path, kind
        self.codec, self.encoding_name, self.bom = _encoding_of(path, encoding)

    def rows(self) -> Iterator[tuple[int, dict[str, str] | str]]:
        """(line the row starts on, the row without its empty cells, or why the row is rejected)."""
        feed = _LineFeed(self.path, self.codec, self.bom)
        reader = csv.reader(feed, strict=True)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise Invalid([f"{self.path}: the file is empty; expected a header line"]) from None
        except csv.Error as exc:
            raise Invalid([_quote_problem(self.path, 1, feed.pending, str(exc))]) from None
        _check_header(self.path, self.kind, header)
        end = reader.line_num
        while True:
            start, feed.pending = end + 1, []
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise Invalid([_quote_problem(self.path, start, feed.pending, str(exc))]) from None
            end = reader.line_num
            if end > start:  # no member or order cell holds a line break: a quote is open and swallows rows
                raise Invalid([_open_quote(self.path, self.kind, start, end, feed.pending)])
            if not cells or all(not cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                yield start, f"{len(cells)} cells where the header has {len(header)}"
                continue
            yield start, {name: cell for name, cell in zip(header, cells, strict=True) if cell.strip()}


class _LineFeed:
    """The file's physical lines, decoded, each with its line end (\\n, \\r\\n or a lone \\r, as csv counts
    them); keeps the lines of the record being read, to find where a bad quote opened."""

    def __init__(self, path: Path, codec: str, bom: bytes) -> None:
        self._lines = _physical_lines(path, bom)
        self._codec = codec
        self.pending: list[str] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = next(self._lines).decode(self._codec)  # the whole file was checked to decode
        self.pending.append(line)
        return line


def _physical_lines(path: Path, bom: bytes = b"") -> Iterator[bytes]:
    """The raw lines of a file with their ends; a lone carriage return ends a line too (old Mac spreadsheets), as
    csv counts lines. Splitting bytes is safe: neither UTF-8 nor GB18030 uses \\r or \\n inside a character."""
    with path.open("rb") as handle:
        for number, chunk in enumerate(handle):
            if number == 0 and bom:
                chunk = chunk.removeprefix(bom)
            if b"\r" in chunk and not (chunk.endswith(b"\r\n") and chunk.count(b"\r") == 1):
                yield from _LINE.findall(chunk)
            else:
                yield chunk


def text_encoding(path: Path, asked: str | None = None) -> str:
    """The codec to open a shop's text file with (UTF-8 with or without BOM, or GB18030), checked over the whole
    file as `import_csv` does; Invalid naming the line when it decodes in neither."""
    if not path.is_file():
        raise Invalid([f"{path}: no such file"])
    codec, _, bom = _encoding_of(path, asked)
    return "utf-8-sig" if codec == "utf-8" and bom else codec


def read_shop_text(path: Path) -> str:
    """The whole text of a file a marketer wrote (a YAML journey, rules, coupon templates): UTF-8 with or without
    BOM, or GB18030 (the default of Chinese Windows), detected as `text_encoding` does. Raises Invalid naming the
    file (and the line when it decodes in neither) instead of a UnicodeDecodeError."""
    try:
        return path.read_text(encoding=text_encoding(path))
    except OSError as exc:
        raise Invalid([f"{path}: cannot read it: {exc.strerror}"]) from None


def _encoding_of(path: Path, asked: str | None) -> tuple[str, str, bytes]:
    """(codec, name to show, byte-order mark to drop) for a file, checked line by line over the whole file.

    Asked for an encoding, the file must decode in it (GBK and GB2312 are read as GB18030, which contains both).
    Otherwise UTF-8 (a BOM is dropped) is tried, then GB18030, the default of Excel's CSV in China. A file whose
    first undecodable line comes after non-ASCII UTF-8 lines mixes encodings: it is refused rather than read as
    GB18030, which would garble the UTF-8 lines. Raises Invalid naming the line."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Invalid([f'{path}: the file is UTF-16 (a spreadsheet\'s "Unicode text"); save it as CSV (UTF-8)'])
    bom = _UTF8_BOM if head.startswith(_UTF8_BOM) else b""
    if asked is not None:
        codec, name = _codec(path, asked)
        if (bad := _first_bad_line(path, codec, bom)) is not None:
            raise Invalid([f"{path}:{bad[0]}: this line is not {name} text ({bad[1]}); nothing was imported"])
        return codec, name, bom
    bad = _first_bad_line(path, "utf-8", bom)
    if bad is None:
        return "utf-8", "UTF-8", bom
    line, reason, utf8_before = bad
    if utf8_before or bom:
        raise Invalid([
            f"{path}:{line}: this line is not UTF-8 text ({reason}) while the lines before it are: the file mixes "
            "encodings; save it again as one (CSV UTF-8, or GB18030) and import it again: nothing was imported"
        ])  # fmt: skip
    if (bad := _first_bad_line(path, "gb18030", bom)) is not None:
        raise Invalid([
            f"{path}:{bad[0]}: this line is neither UTF-8 nor GB18030 (GBK) text ({bad[1]}); save the file as "
            "CSV UTF-8, or name its encoding with --encoding: nothing was imported"
        ])  # fmt: skip
    return "gb18030", "GB18030", b""


def _codec(path: Path, asked: str) -> tuple[str, str]:
    try:
        found = codecs.lookup(asked).name
    except LookupError:
        raise Invalid([f"{path}: '{asked}' is not an encoding Python knows, such as utf-8 or gb18030"]) from None
    if found in {"gbk", "gb2312", "gb18030"}:
        return "gb18030", "GB18030"
    if found in {"utf-8", "utf-8-sig"}:
        return "utf-8", "UTF-8"
    return found, found.upper()


def _first_bad_line(path: Path, codec: str, bom: bytes) -> tuple[int, str, bool] | None:
    """(physical line, what could not be read, whether earlier lines held non-ASCII text) of the first line that
    does not decode in `codec`, or None when the whole file does."""
    line, non_ascii = 1, False
    for raw in _physical_lines(path, bom):
        try:
            raw.decode(codec)
        except UnicodeDecodeError as exc:
            shown = raw[exc.start : exc.start + 4].hex(" ")
            return line, f"bytes {shown} at column {len(raw[: exc.start].decode(codec, 'replace')) + 1}", non_ascii
        non_ascii = non_ascii or not raw.isascii()
        line += 1
    return None


def _quote_problem(path: Path, start: int, lines: list[str], found: str) -> str:
    opened = start + _quote_opening(lines)
    return (
        f"{path}:{opened}: a quote opens a cell on line {opened} and is not closed where the cell ends "
        f"({found}, line {start + max(len(lines) - 1, 0)}); close it or remove it: nothing was imported"
    )


def _open_quote(path: Path, kind: Kind, start: int, end: int, lines: list[str]) -> str:
    opened = start + _quote_opening(lines)
    return (
        f"{path}:{opened}: a quoted cell opens on line {opened} and runs over the line end to line {end}; cells of "
        f"a {kind} file are single lines, so a closing quote is probably missing: nothing was imported"
    )


def _quote_opening(lines: list[str]) -> int:
    """Which of a record's lines (0-based) holds the quote that went wrong: the last quote opened and never closed
    properly, else the first quoted cell that ran over a line end."""
    state, opened, spanning = "start", 0, None
    for index, line in enumerate(lines):
        for char in line:
            if state == "quoted":
                if char == '"':
                    state = "quote"
                elif char in "\r\n" and spanning is None:
                    spanning = opened
            elif state == "quote":
                if char == '"':
                    state = "quoted"
                elif char in ",\r\n":
                    state = "start"
                else:
                    return opened
            elif char == '"' and state == "start":
                state, opened = "quoted", index
            elif char in ",\r\n":
                state = "start"
            else:
                state = "cell"
    if state == "quoted":
        return opened
    return spanning if spanning is not None else 0


def _check_header(path: Path, kind: Kind, header: list[str]) -> None:
    problems = []
    if unknown := [name for name in header if name not in COLUMNS[kind]]:
        problems.append(f"{path}: unknown column(s) {', '.join(unknown)}; {kind} files have {', '.join(COLUMNS[kind])}")
    if missing := [name for name in REQUIRED[kind] if name not in header]:
        problems.append(f"{path}: required column(s) {', '.join(missing)} missing from the header")
    if repeated := sorted({name for name in header if header.count(name) > 1}):
        problems.append(f"{path}: column(s) {', '.join(repeated)} appear more than once in the header")
    if problems:
        raise Invalid(problems)


def _save(batch: list[tuple[int, MemberRecord | OrderRecord]], kind: Kind, report: ImportReport, path: Path) -> None:
    now: datetime = clock.now()
    records = [record for _, record in batch]
    with session_scope() as session:
        if kind == "members":
            members = [r for r in records if isinstance(r, MemberRecord)]
            outcomes = saving.save_members(session, members, source="import", added_by=path.name, now=now)
        else:
            orders = [r for r in records if isinstance(r, OrderRecord)]
            outcomes = saving.save_orders(session, orders, now=now)
    for (line, _), outcome in zip(batch, outcomes, strict=True):
        _count(report, line, outcome)


def _count(report: ImportReport, line: int, outcome: saving.Outcome) -> None:
    if outcome.status == "rejected":
        report.rejected += 1
        report.problems.append(RowProblem(line, outcome.reason or "rejected"))
    else:
        setattr(report, outcome.status, getattr(report, outcome.status) + 1)
