"""Alembic environment: runs migrations on the engine memberflow itself uses."""

from alembic import context
from sqlmodel import SQLModel

import engine.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from engine.db import engine_for

url = context.config.get_main_option("sqlalchemy.url")
assert url, "alembic_config() sets sqlalchemy.url"

with engine_for(url).connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
