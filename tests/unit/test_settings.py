"""Settings: defaults for the embedded setup, and one clear sentence per invalid setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import SettingsError
from engine.settings import Settings, load_settings


def test_defaults_are_the_embedded_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "TEMPORAL_ADDRESS", "API_TOKEN", "SHOP_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'memberflow.db'}"
    assert settings.embedded_temporal
    assert settings.temporal_target == "127.0.0.1:7233"
    assert settings.shop_timezone == "Asia/Shanghai"
    assert settings.api_token.get_secret_value() == ""  # tokens are made with `memberflow token create`


def test_postgres_urls_use_the_psycopg_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://shop@db.internal/memberflow")

    assert load_settings().sqlalchemy_url == "postgresql+psycopg://shop@db.internal/memberflow"


def test_each_invalid_setting_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("SHOP_CURRENCY", "yuan")
    monkeypatch.setenv("WEB_PORT", "eighty")
    monkeypatch.setenv("DATABASE_URL", "mysql://shop@db/memberflow")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.internal")
    monkeypatch.setenv("SMTP_SECURITY", "ssl")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert sorted(raised.value.problems) == [
        "DATABASE_URL 'mysql://shop@db/memberflow' is neither a sqlite:/// nor a postgresql:// URL.",
        "SHOP_CURRENCY 'yuan' is not a three-letter ISO 4217 currency code such as CNY.",
        "SHOP_TIMEZONE 'Mars/Olympus' is not an IANA time zone name such as Asia/Shanghai.",
        "SMTP_SECURITY is 'ssl', but input should be 'none', 'starttls' or 'tls'.",
        "TEMPORAL_ADDRESS 'temporal.internal' is not host:port, e.g. temporal.internal:7233.",
        "WEB_PORT is 'eighty', but input should be a valid integer, unable to parse string as an integer.",
    ]
