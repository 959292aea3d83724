"""A failing insert's error text (what logs and Temporal's histories keep) carries no member data: SQLAlchemy's
parameters are hidden, PostgreSQL's DETAIL ("Failing row contains (…)", "Key (…)=(…)") is dropped."""

from __future__ import annotations

import logging
import traceback

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from engine.db import session_scope, without_row_data
from engine.models import Member, Message

pytestmark = [pytest.mark.database, pytest.mark.usefixtures("db")]
PERSONAL = ["李四", "li.si@example.com", "+8613900001111", "LISI-0001"]


def failure_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def add_member() -> None:
    with session_scope() as session:
        session.add(Member(external_id="LISI-0001", name="李四", email="li.si@example.com", phone="+8613900001111"))


def test_a_duplicate_member_fails_without_naming_them() -> None:
    add_member()

    with pytest.raises(IntegrityError) as refused:
        add_member()

    text = failure_text(refused.value)
    assert "members" in text and "external_id" in text  # still says what went wrong
    assert not [value for value in PERSONAL if value in text]


def test_a_row_breaking_a_not_null_rule_is_not_quoted_in_the_error() -> None:
    add_member()
    with session_scope() as session:
        member_id = session.scalar(select(col(Member.id)))

    with pytest.raises(IntegrityError) as refused, session_scope() as session:
        session.add(Message(idempotency_key="k", channel="email", template="t", member_id=member_id,
                            recipient="li.si@example.com", subject="李四，欢迎", status=None))  # type: ignore[arg-type]  # fmt: skip

    text = failure_text(refused.value)
    assert "status" in text
    assert not [value for value in [*PERSONAL, "欢迎"] if value in text]


def test_a_logged_failing_insert_has_no_member_data(caplog: pytest.LogCaptureFixture) -> None:
    add_member()
    log = logging.getLogger("memberflow.test")

    try:
        add_member()
    except IntegrityError:
        log.exception("import failed")

    assert "import failed" in caplog.text and "IntegrityError" in caplog.text
    assert not [value for value in PERSONAL if value in caplog.text]


def test_postgresql_detail_and_quoted_values_are_dropped() -> None:
    assert (
        without_row_data(
            'null value in column "status" of relation "messages" violates not-null constraint\n'
            "DETAIL:  Failing row contains (1, k, email, t, 1, null, li.si@example.com, 李四).\n"
            "HINT:  something"
        )
        == 'null value in column "status" of relation "messages" violates not-null constraint'
    )
    assert without_row_data('invalid input syntax for type timestamp with time zone: "李四"') == (
        'invalid input syntax for type timestamp with time zone: "***"'
    )
    assert without_row_data('duplicate key value violates unique constraint "members_external_id_key"') == (
        'duplicate key value violates unique constraint "members_external_id_key"'
    )
