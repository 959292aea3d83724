"""Logs without secrets: every log record of a process is masked (Settings.mask) before any handler sees it."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from engine.settings import Settings

_PLAIN = (int, float, bool, type(None))


_masking: list[Callable[[str], str]] = []  # the mask of the settings given last


def mask_secrets_in_logs(settings: Settings) -> None:
    """From now on, each log record's message, arguments and traceback have URLs' passwords and the secret values
    of `settings` replaced by *** (Settings.mask), whichever library logs them. Called again (settings read anew),
    the records are masked with the newer settings' secrets; the factory is installed once."""
    _masking[:] = [settings.mask]
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_secrets", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return masked(previous(*args, **kwargs), _masking[0])

    masked_record.masks_secrets = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)


def masked(record: logging.LogRecord, mask: Callable[[str], str]) -> logging.LogRecord:
    """`record` with its message, arguments and traceback text masked. Arguments keep their shape (formatters such
    as uvicorn's read them); a non-plain one becomes its masked text only when that text held a secret. An access
    log line keeps its path but not the values of its query (a member search names a person)."""
    if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
        client, method, path, version, status = record.args
        record.args = (client, method, without_query_values(str(path)), version, status)
    if isinstance(record.msg, str):
        record.msg = mask(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_masked_value(value, mask) for value in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {key: _masked_value(value, mask) for key, value in record.args.items()}
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = mask("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    return record


def _masked_value(value: object, mask: Callable[[str], str]) -> object:
    if isinstance(value, _PLAIN):
        return value
    text = str(value)
    hidden = mask(text)
    return value if hidden == text else hidden


def without_query_values(path: str) -> str:
    """e.g. /api/members?q=张三&limit=50 -> /api/members?q=***&limit=50 (numbers stay: they are paging)."""
    base, question, query = path.partition("?")
    if not question:
        return path
    pairs = [pair.partition("=") for pair in query.split("&")]
    return base + "?" + "&".join(name + equals + (value if value.isdigit() else "***" if value else "")
                                 for name, equals, value in pairs)  # fmt: skip
