"""What handlers receive by name through Litestar's dependency injection (registered once, in web/app.py): the
request's database session, the settings and Temporal."""

from __future__ import annotations

from collections.abc import Iterator

from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlmodel import Session

from engine.db import session_scope
from engine.settings import Settings, get_settings
from web.temporal import Temporal

# What a handler's signature names to receive them, e.g. `def index(self, session: SessionDep) -> ...`.
SessionDep = NamedDependency[Session]
SettingsDep = NamedDependency[Settings]
TemporalDep = NamedDependency[Temporal]


def provide_session() -> Iterator[Session]:
    """One session per request (engine.db.session_scope): committed after the handler returns and before the answer
    is sent, rolled back when the handler raises."""
    with session_scope() as session:
        yield session


def provide_settings() -> Settings:
    return get_settings()


def provide_temporal(state: State) -> Temporal:
    return Temporal(state)


DEPENDENCIES = {
    "session": Provide(provide_session),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "temporal": Provide(provide_temporal, sync_to_thread=False),
}
