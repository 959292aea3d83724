"""The Alembic migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import engine.models  # noqa: F401  (registers the tables)
from engine.db import get_engine

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("migrated")]


def test_migrated_schema_matches_the_models() -> None:
    with get_engine().connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)

    assert differences == []


def test_the_unique_keys_that_make_imports_idempotent_exist() -> None:
    inspector = inspect(get_engine())

    def unique_columns(table: str) -> set[tuple[str, ...]]:
        constraints = [tuple(c["column_names"]) for c in inspector.get_unique_constraints(table)]
        indexes = [tuple(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]]
        return set(constraints + indexes)  # type: ignore[arg-type]

    assert ("external_id",) in unique_columns("members")
    assert ("external_id",) in unique_columns("orders")
    assert ("idempotency_key",) in unique_columns("events")
    assert ("name",) in unique_columns("tags")
