"""The one settings object, read from the environment (and an optional .env file)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.cron import cron_problem
from engine.errors import SettingsError
from engine.limits import MAX_WINDOW_DAYS
from engine.messages.send_rules import parse_frequency_cap, parse_quiet_hours
from engine.rfm.scoring import RfmScheme
from engine.serving import serving

MASK = "***"
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_SECRET_QUERY_KEY = re.compile(r"(?i)token|secret|key|pass|pwd|sig|auth|credential|session")
# Any three capital letters: ISO 4217 grows, and a shop knows its own currency.
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_HOST_PORT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


class Settings(BaseSettings):
    """Everything memberflow reads from its environment. Names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    var_dir: Path = Field(Path("var"), description="Where the embedded defaults keep their data.")
    database_url: str = Field("", repr=False, description="SQLAlchemy URL; empty means a SQLite file under VAR_DIR.")

    temporal_address: str = Field("", description="host:port of a Temporal frontend; empty starts the dev server.")
    temporal_namespace: str = "default"
    temporal_task_queue: str = "memberflow"
    temporal_dev_port: int = Field(7233, description="gRPC port of the embedded dev server.")
    temporal_ui_port: int = Field(8233, description="Web UI port of the embedded dev server.")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_from: str = "memberflow <noreply@memberflow.local>"
    smtp_catcher: bool = Field(True, description="`make up` runs a local SMTP catcher on SMTP_PORT (outbox page).")

    sms_provider: Literal["outbox", "http"] = Field("outbox", description="outbox: keep and show; http: a gateway.")
    sms_url: str = Field(
        "",
        validate_default=True,
        repr=False,
        description="http: the gateway's send URL (Twilio: …/Accounts/{sid}/Messages.json).",
    )
    sms_preset: Literal["twilio", "json"] = Field("twilio", description="twilio: form post; json: a JSON body.")
    sms_username: str = Field("", description="http: basic-auth user (Twilio: the account SID).")
    sms_password: SecretStr = Field(SecretStr(""), description="http: basic-auth password or bearer token.")
    sms_from: str = Field("memberflow", description="Sender number or name.")
    sms_cost_per_segment: Decimal = Field(Decimal("0.05"), ge=0, description="For ROI, in the shop's currency.")

    webhook_secret: SecretStr = Field(SecretStr(""), description="Signs webhook bodies; empty makes one in VAR_DIR.")

    public_url: str = Field("", description="Base of links in messages (unsubscribe, tracking); empty: the web app.")
    link_secret: SecretStr = Field(SecretStr(""), description="Signs message links; empty makes one under VAR_DIR.")
    quiet_hours: str = Field("21:00-09:00", description="No marketing messages then (member's zone); empty: none.")
    frequency_cap: str = Field("3/7", description="At most N messages per member per D days per channel; empty: none.")
    global_holdout_percent: float = Field(
        0, ge=0, le=50, description="Members (by a hash of their id) no journey ever enters, to measure the program."
    )

    shop_timezone: str = "Asia/Shanghai"
    shop_currency: str = "CNY"
    shop_region: str = Field("CN", description="Country (ISO 3166 two letters) of phone numbers given without +code.")
    default_locale: Literal["zh-CN", "en"] = Field(
        "zh-CN", description="The web app's language when neither the user nor the browser names one of its two."
    )

    api_token: SecretStr = Field(
        SecretStr(""),
        description="The operator's bearer token for /api, besides those `memberflow token create` makes.",
    )
    web_host: str = "127.0.0.1"
    web_port: int = 8000

    rfm_schedule: str = Field("0 3 * * *", description="Cron (shop's zone) of the RFM and tag-rule recompute.")
    rfm_window_days: int | None = Field(None, description="Look-back window in days; empty means all history.")
    rfm_keep_runs: int = Field(14, description="Runs whose per-member scores are kept (summaries stay for ever).")
    rfm_thresholds: str = Field(
        "", description='JSON cut points replacing quintiles, e.g. {"r": [30, 60, 90, 180]}; empty: quintiles.'
    )

    demo_members: int = Field(5000, description="How many members `make up` generates into an empty database.")

    _secrets: list[str] | None = PrivateAttr(None)

    @field_validator("shop_timezone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"'{value}' is not an IANA time zone name such as Asia/Shanghai")
        return value

    @field_validator("shop_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if not _CURRENCY.match(value):
            raise ValueError(f"'{value}' is not a three-letter ISO 4217 currency code such as CNY")
        return value

    @field_validator("shop_region")
    @classmethod
    def _phone_region(cls, value: str) -> str:
        import phonenumbers

        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"'{value}' is not a two-letter country code with phone numbers, such as CN")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(f"'{mask_url(value)}' is neither a sqlite:/// nor a postgresql:// URL")
        return value

    @field_validator("temporal_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if value and not _HOST_PORT.match(value):
            raise ValueError(f"'{value}' is not host:port, e.g. temporal.internal:7233")
        return value

    @field_validator("temporal_dev_port", "temporal_ui_port", "web_port", "smtp_port")
    @classmethod
    def _tcp_port(cls, value: int) -> int:
        if not 1 <= value <= 65535:
            raise ValueError(f"{value} is not a TCP port between 1 and 65535")
        return value

    @field_validator("demo_members")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"{value} is negative")
        return value

    @field_validator("rfm_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if reason := cron_problem(value):
            raise ValueError(f"'{value}' is not a cron: {reason}")
        return value

    @field_validator("rfm_window_days")
    @classmethod
    def _window(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= MAX_WINDOW_DAYS:
            raise ValueError(f"{value} is not between 1 and {MAX_WINDOW_DAYS:,} days")
        return value

    @field_validator("rfm_keep_runs")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(f"{value} is not a positive number of days or runs")
        return value

    @field_validator("sms_url")
    @classmethod
    def _gateway_url(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("sms_provider") == "http":
            raise ValueError("is needed when SMS_PROVIDER is http")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{mask_url(value)}' is not an http(s) URL")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value

    @field_validator("frequency_cap")
    @classmethod
    def _frequency_cap(cls, value: str) -> str:
        parse_frequency_cap(value)
        return value

    @field_validator("rfm_thresholds")
    @classmethod
    def _rfm_scheme(cls, value: str) -> str:
        if value.strip():
            try:
                RfmScheme.model_validate_json(value)
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors())
                raise ValueError(f"is not valid RFM cut points ({problems})") from None
        return value

    @property
    def rfm_scheme(self) -> RfmScheme:
        return RfmScheme.model_validate_json(self.rfm_thresholds) if self.rfm_thresholds.strip() else RfmScheme()

    @property
    def sqlalchemy_url(self) -> str:
        if not self.database_url:
            return f"sqlite:///{self.var_dir / 'memberflow.db'}"
        if self.database_url.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            return "postgresql+psycopg://" + self.database_url.removeprefix("postgresql://")
        return self.database_url

    @property
    def embedded_temporal(self) -> bool:
        return not self.temporal_address

    @property
    def temporal_target(self) -> str:
        """TEMPORAL_ADDRESS; else, unless TEMPORAL_DEV_PORT is set, where a `memberflow up` on this VAR_DIR serves
        (its record, engine/serving.py); else the embedded dev server's port."""
        if self.temporal_address:
            return self.temporal_address
        if "temporal_dev_port" not in self.model_fields_set and (found := serving(self.var_dir)) is not None:
            return found.temporal_address
        return f"127.0.0.1:{self.temporal_dev_port}"

    @property
    def shop_zone(self) -> ZoneInfo:
        return ZoneInfo(self.shop_timezone)

    @property
    def link_base(self) -> str:
        return (self.public_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    def secret_values(self) -> list[str]:
        """The secrets this process was given (passwords, tokens, signing keys, the database password), longest
        first: what `mask` hides. Read once (again after a secret is made under VAR_DIR)."""
        if self._secrets is None:
            self._secrets = self._read_secret_values()
        return self._secrets

    def _read_secret_values(self) -> list[str]:
        values = [self.smtp_password, self.sms_password, self.webhook_secret, self.link_secret, self.api_token]
        found = [value.get_secret_value() for value in values]
        with contextlib.suppress(ValueError):
            found.append(urlsplit(self.database_url).password or "")
        with contextlib.suppress(ValueError):
            found.append(urlsplit(self.sms_url).password or "")
        for name in ("link-secret", "webhook-secret", "csrf-secret"):  # made on first use under VAR_DIR (_kept_secret)
            with contextlib.suppress(OSError):
                found.append((self.var_dir / name).read_text(encoding="utf-8").strip())
        return sorted({value for value in found if len(value) >= 4}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        """`text` fit for an error, a log line or a page: each URL masked (mask_url) and each of this process's
        secret values (secret_values) replaced by ***."""
        text = mask_urls(text)
        for value in self.secret_values():
            text = text.replace(value, MASK)
        return text

    def link_key(self) -> bytes:
        """LINK_SECRET, or a random one kept in VAR_DIR/link-secret: signs unsubscribe and tracking links."""
        return (self.link_secret.get_secret_value() or self._kept_secret("link-secret")).encode()

    def webhook_key(self) -> bytes:
        """WEBHOOK_SECRET, or a random one kept in VAR_DIR/webhook-secret (give it to the receiving side)."""
        return (self.webhook_secret.get_secret_value() or self._kept_secret("webhook-secret")).encode()

    def csrf_key(self) -> str:
        """A random secret kept in VAR_DIR/csrf-secret: signs the web app's CSRF tokens (web.security), the same in
        every web process."""
        return self._kept_secret("csrf-secret")

    def private_var_dir(self) -> Path:
        """VAR_DIR, made if missing, readable by this user only (0700): it holds the database, secrets and Temporal's
        state."""
        return private_dir(self.var_dir)

    def _kept_secret(self, name: str) -> str:
        path = self.private_var_dir() / name
        if not path.exists():
            self._secrets = None  # mask the new one too
            draft = path.with_name(f".{name}.{os.getpid()}")
            private_file(draft).write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")  # 0600 before a byte
            with contextlib.suppress(FileExistsError):  # another process made it first: theirs stands
                os.link(draft, path)  # appears whole or not at all
            draft.unlink()
        return path.read_text(encoding="utf-8").strip()


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter (0700), made (with its parents) if missing; returns it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = path.stat()
    if found.st_mode & 0o077 and found.st_uid == os.getuid():
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """`path` as a file only its owner can read and write (0600), made empty if missing; returns it. A file of ours
    made by an earlier version with a wider mode is narrowed; one of another user is left as it is."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    found = path.stat()
    if found.st_mode & 0o077 and found.st_uid == os.getuid():
        path.chmod(0o600)
    return path


def mask_url(url: str) -> str:
    """`url` fit to show in a message or log: scheme, user, host, port and path kept; the password and the values
    of query parameters named like secrets (token, key, secret, password, sig, auth, …) replaced by ***.

    e.g. postgresql://shop:s3cret@db:5432/memberflow -> postgresql://shop:***@db:5432/memberflow."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # not a URL after all (a bad port, say): show no more than its scheme
        return url.split("://", 1)[0] + "://" + MASK if "://" in url else MASK
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:{MASK}@{hostport}"
    pairs = [pair.partition("=") for pair in parts.query.split("&")] if parts.query else []
    query = "&".join(f"{name}={MASK}" if value and _SECRET_QUERY_KEY.search(name) else name + equals + value
                     for name, equals, value in pairs)  # fmt: skip
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> list[str]:
    """The secret parts of `url` that mask_url hides (its password, its secret-named query values), as written."""
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
    except ValueError:
        return []
    pairs = [pair.partition("=") for pair in parts.query.split("&")] if parts.query else []
    found += [value for name, _, value in pairs if value and _SECRET_QUERY_KEY.search(name)]
    return [value for value in found if value]


def mask_urls(text: str) -> str:
    """`text` with every URL in it masked (mask_url)."""
    return _URL.sub(lambda found: mask_url(found.group(0)), text)


def is_time_zone(name: str) -> bool:
    if name not in _zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def load_settings() -> Settings:
    """Read the settings, turning every invalid one into one plain sentence."""
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError([_sentence(error) for error in exc.errors()]) from None


def _sentence(error: object) -> str:
    """One sentence for an invalid setting; a URL in it is masked and a secret setting's value never shown."""
    assert isinstance(error, dict)
    name = "_".join(str(part) for part in error["loc"]).upper()
    message = mask_urls(str(error["msg"]).removeprefix("Value error, "))
    value = error.get("input")
    if error["type"] in {"int_parsing", "literal_error", "bool_parsing"}:
        shown = MASK if name in SECRET_SETTINGS else mask_urls(str(value))
        return f"{name} is '{shown}', but {message[0].lower()}{message[1:]}."
    return f"{name} {message}."


SECRET_SETTINGS = frozenset({"SMTP_PASSWORD", "SMS_PASSWORD", "WEBHOOK_SECRET", "LINK_SECRET", "API_TOKEN"})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return load_settings()
