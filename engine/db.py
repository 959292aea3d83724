"""The one database engine and session factory, schema upgrades through Alembic, and the insert that tolerates
concurrent writers (`insert_new`)."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, event, exc, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import ExceptionContext, make_url
from sqlmodel import Session, create_engine

from engine.settings import get_settings, private_dir, private_file

MIGRATIONS = Path(__file__).parent / "migrations"

# SQLite keeps NUMERIC as floating point; the column's scale (2) rounds amounts back to exact cents on read.
warnings.filterwarnings(
    "ignore", message=r"Dialect sqlite\+pysqlite does \*not\* support Decimal", category=exc.SAWarning
)


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One pooled engine per URL; SQLite files get WAL, foreign keys and a busy timeout.

    No member data in error texts (they end up in logs and Temporal's histories): the statement's parameters are
    left out (`hide_parameters`), and so is PostgreSQL's DETAIL ("Failing row contains (…)", "Key (…)=(…)").
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, json_serializer=_json,
                               hide_parameters=True)  # fmt: skip
        event.listen(engine, "handle_error", _without_row_data)
        return engine
    if parsed.database and parsed.database != ":memory:":
        _private_database_file(Path(parsed.database))
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=_json,
                           hide_parameters=True)  # fmt: skip
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


# PostgreSQL quotes the offending value in some primary messages: invalid input syntax for type integer: "张三"
_QUOTED_VALUE = re.compile(r'(: )"(?:[^"]|"")*"$')


def without_row_data(message: str) -> str:
    """A PostgreSQL error's text without its DETAIL and HINT lines (they quote the row) and with a quoted input
    value at its end replaced by "***"."""
    kept = "\n".join(line for line in message.splitlines() if not line.startswith(("DETAIL:", "HINT:")))
    return _QUOTED_VALUE.sub(r'\1"***"', kept)


def _without_row_data(context: ExceptionContext) -> None:
    """The database error about to be raised, its text without row data (without_row_data); its class, SQLSTATE
    and `diag` stay for code that needs them."""
    original, wrapped = context.original_exception, context.sqlalchemy_exception
    message = str(original)
    kept = without_row_data(message)
    if kept == message:
        return
    original.args = (kept,)
    if wrapped is not None and wrapped.args:
        wrapped.args = (f"({type(original).__module__}.{type(original).__name__}) {kept}", *wrapped.args[1:])


def _private_database_file(database: Path) -> None:
    """The SQLite file and its -wal / -shm only for this user (0600), its folder too (0700) when it is VAR_DIR or we
    make it: members' personal data live there. SQLite gives the -wal and -shm files it makes the file's mode."""
    if not database.parent.exists() or database.parent.resolve() == get_settings().var_dir.resolve():
        private_dir(database.parent)
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        if path == database or path.exists():
            private_file(path)


def _json(value: Any) -> str:
    # Chinese tag and category names stay readable in the raw rows.
    return json.dumps(value, ensure_ascii=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def id_batches(ids: list[int], size: int = 500) -> list[list[int]]:
    """Ids in lists short enough for one `IN (…)` (SQLite allows a limited number of parameters)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def insert_new(
    session: Session, table: Table, rows: list[dict[str, Any]], key: str, conflict_on: list[str] | None = None
) -> set[Any]:
    """Insert the rows whose unique `key` (or `conflict_on` columns) is not taken yet, concurrent writers included;
    return the `key` values of the rows inserted."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing(index_elements=conflict_on or [key]).returning(table.c[key])
    return set(session.execute(statement, rows).scalars())


def get_engine() -> Engine:
    return engine_for(get_settings().sqlalchemy_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits when the block ends normally and rolls back otherwise."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def database_answers() -> bool:
    """True when the database answers a trivial query now (for the health check); False on any error."""
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest)."""
    command.upgrade(alembic_config(url or get_settings().sqlalchemy_url), revision)
