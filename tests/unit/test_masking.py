"""Secrets never appear in errors, logs or pages: URLs keep their scheme and host but lose their password and
secret-named query values; the process's own secrets (SMTP/SMS passwords, tokens, signing keys) become ***."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from pydantic import SecretStr

from engine.errors import SettingsError
from engine.logs import mask_secrets_in_logs, masked
from engine.settings import Settings, load_settings, mask_url

SECRETS = {
    "SMTP_PASSWORD": "smtp-pw-4471",
    "SMS_PASSWORD": "sms-gateway-pw-9920",
    "WEBHOOK_SECRET": "webhook-signing-5512",
    "LINK_SECRET": "link-signing-8833",
    "API_TOKEN": "operator-token-6644",
}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://shop:s3cret@db.internal:5432/memberflow", "postgresql://shop:***@db.internal:5432/memberflow"),
        ("postgresql://shop@db.internal/memberflow", "postgresql://shop@db.internal/memberflow"),
        ("https://AC01:twilio-token@api.twilio.com/2010-04-01/x", "https://AC01:***@api.twilio.com/2010-04-01/x"),
        ("https://hooks.example.com/in?id=7&access_token=abc&apiKey=k1", "https://hooks.example.com/in?id=7&access_token=***&apiKey=***"),
        ("sqlite:///var/memberflow.db", "sqlite:///var/memberflow.db"),
        ("mysql://a:b@h:99999/x", "mysql://a:***@h:99999/x"),
    ],
)  # fmt: skip
def test_a_url_keeps_scheme_and_host_but_not_its_secrets(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://shop:db-pw-3310@db.internal/memberflow")
    return load_settings()


def test_every_secret_setting_is_masked_in_a_message(settings: Settings) -> None:
    text = " ".join([*SECRETS.values(), "db-pw-3310", "postgresql://shop:db-pw-3310@db.internal/memberflow"])

    assert settings.mask(text) == "*** *** *** *** *** *** postgresql://shop:***@db.internal/memberflow"
    assert "db-pw-3310" not in repr(settings)  # DATABASE_URL is left out of the settings' repr


def test_a_secret_kept_under_var_dir_is_masked_once_made(settings: Settings) -> None:
    settings.webhook_secret = SecretStr("")  # so one is made and kept under VAR_DIR
    kept = settings.webhook_key().decode()

    assert settings.mask(f"signed with {kept}") == "signed with ***"


def test_an_invalid_database_url_is_named_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://shop:s3cret-pw@db/memberflow")
    monkeypatch.setenv("SMS_URL", "ftp://gw:gw-pw-1234@sms.example/send")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert sorted(raised.value.problems) == [
        "DATABASE_URL 'mysql://shop:***@db/memberflow' is neither a sqlite:/// nor a postgresql:// URL.",
        "SMS_URL 'ftp://gw:***@sms.example/send' is not an http(s) URL.",
    ]


def test_log_records_are_masked_whoever_logs_them(settings: Settings) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("some.library")
    logger.addHandler(handler)
    previous = logging.getLogRecordFactory()
    try:
        mask_secrets_in_logs(settings)
        logger.warning("login as %s with %s failed", "shop", SECRETS["SMTP_PASSWORD"])
        logger.warning("GET %s %d", "https://hooks.example.com/in?token=abc", 500)
        try:
            raise ConnectionError(f"gateway said: bad key {SECRETS['SMS_PASSWORD']}")
        except ConnectionError:
            logger.exception("delivery failed for %s", "postgresql://shop:db-pw-3310@db.internal/memberflow")
    finally:
        logging.setLogRecordFactory(previous)
        logger.removeHandler(handler)

    logged = out.getvalue()
    assert "some.library login as shop with *** failed" in logged
    assert "some.library GET https://hooks.example.com/in?token=*** 500" in logged
    assert "delivery failed for postgresql://shop:***@db.internal/memberflow" in logged
    assert "ConnectionError: gateway said: bad key ***" in logged
    assert not any(secret in logged for secret in [*SECRETS.values(), "db-pw-3310", "abc"])


def test_an_access_log_line_keeps_the_path_but_not_a_member_search(settings: Settings) -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/members?q=李四&limit=50&offset=0", "1.1", 200), None,
    )  # fmt: skip

    line = masked(record, settings.mask).getMessage()

    assert line == '127.0.0.1:5000 - "GET /api/members?q=***&limit=50&offset=0 HTTP/1.1" 200'
