"""CSV import of members and orders: validate each row, save in batches, report every rejected line."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from engine import clock, ingest
from engine.db import session_scope
from engine.errors import InputError
from engine.records import MemberRecord, OrderRecord, problems_of
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


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str


@dataclass
class ImportReport:
    file: str
    kind: Kind
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
    path: Path, kind: Kind, *, on_progress: Callable[[int], None] | None = None, batch_size: int = BATCH_SIZE
) -> ImportReport:
    """Import one CSV file. Valid rows are saved batch by batch; bad rows are reported and write nothing."""
    report = ImportReport(file=str(path), kind=kind)
    guard = ingest.RepeatGuard("member_id" if kind == "members" else "order_id")
    context = {"zone": get_settings().shop_zone}
    model: type[BaseModel] = MemberRecord if kind == "members" else OrderRecord
    key_field = "member_id" if kind == "members" else "order_id"

    batch: list[tuple[int, MemberRecord | OrderRecord]] = []
    for line, row in _rows(path, kind):
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


def _rows(path: Path, kind: Kind) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line number, row without its empty cells, or why the line is unreadable); a bad header rejects the file."""
    if not path.is_file():
        raise InputError([f"{path}: no such file"])
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            raise InputError([f"{path}: the file is empty; expected a header line"]) from None
        except UnicodeDecodeError:
            raise InputError([f"{path}: the file is not UTF-8 text"]) from None
        _check_header(path, kind, header)
        try:
            for cells in reader:
                if not cells or all(not cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    yield reader.line_num, f"{len(cells)} cells where the header has {len(header)}"
                    continue
                yield reader.line_num, {name: cell for name, cell in zip(header, cells, strict=True) if cell.strip()}
        except UnicodeDecodeError:
            raise InputError([f"{path}: line {reader.line_num + 1} is not UTF-8 text"]) from None
        except csv.Error as exc:
            raise InputError([f"{path}:{reader.line_num}: {exc}"]) from None


def _check_header(path: Path, kind: Kind, header: list[str]) -> None:
    problems = []
    if unknown := [name for name in header if name not in COLUMNS[kind]]:
        problems.append(f"{path}: unknown column(s) {', '.join(unknown)}; {kind} files have {', '.join(COLUMNS[kind])}")
    if missing := [name for name in REQUIRED[kind] if name not in header]:
        problems.append(f"{path}: required column(s) {', '.join(missing)} missing from the header")
    if repeated := sorted({name for name in header if header.count(name) > 1}):
        problems.append(f"{path}: column(s) {', '.join(repeated)} appear more than once in the header")
    if problems:
        raise InputError(problems)


def _save(batch: list[tuple[int, MemberRecord | OrderRecord]], kind: Kind, report: ImportReport, path: Path) -> None:
    now: datetime = clock.now()
    records = [record for _, record in batch]
    with session_scope() as session:
        if kind == "members":
            members = [r for r in records if isinstance(r, MemberRecord)]
            outcomes = ingest.save_members(session, members, source="import", added_by=path.name, now=now)
        else:
            orders = [r for r in records if isinstance(r, OrderRecord)]
            outcomes = ingest.save_orders(session, orders, now=now)
    for (line, _), outcome in zip(batch, outcomes, strict=True):
        _count(report, line, outcome)


def _count(report: ImportReport, line: int, outcome: ingest.Outcome) -> None:
    if outcome.status == "rejected":
        report.rejected += 1
        report.problems.append(RowProblem(line, outcome.reason or "rejected"))
    else:
        setattr(report, outcome.status, getattr(report, outcome.status) + 1)
