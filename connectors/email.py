"""Email out over SMTP (aiosmtplib): the MIME message with its unsubscribe headers, and what a failure means.

The Message-ID is derived from the message's idempotency key, so a message sent again after a crash is the same
message to every mailbox that keeps one copy per Message-ID (our catcher does).
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import formatdate, getaddresses

import aiosmtplib

from engine.errors import PermanentFailure, TransientFailure
from engine.settings import Settings

SMTP_TIMEOUT = 30  # seconds for each SMTP exchange


def message_id(idempotency_key: str, domain: str = "memberflow") -> str:
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


def address(value: str, role: str) -> str:
    """An address fit for a header, or ValueError: no line breaks or spaces inside (those would inject headers or
    send elsewhere), and exactly one address."""
    if any(c < " " or c == "\x7f" for c in value):
        raise ValueError(f"the {role} {value!r} has a line break or a control character")
    found = getaddresses([value])
    if len(found) != 1 or found[0][1].count("@") != 1 or " " in found[0][1].strip():
        raise ValueError(f"the {role} {value!r} is not one email address")
    return value.strip()


def build_email(
    *, sender: str, recipient: str, subject: str, html: str, text: str, idempotency_key: str, unsubscribe_url: str
) -> EmailMessage:
    """The MIME message; raises ValueError when the recipient or sender is not one clean address, or a header value
    (subject, unsubscribe URL) has a line break: failures no retry can fix. The caller makes header text single-line
    (engine.messages.templates.single_line)."""
    email = EmailMessage()
    email["From"], email["To"] = address(sender, "sender"), address(recipient, "recipient")
    email["Subject"] = subject
    email["Message-ID"] = message_id(idempotency_key)
    email["Date"] = formatdate(localtime=False)
    email["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    email.set_content(text, charset="utf-8")
    email.add_alternative(html, subtype="html", charset="utf-8")
    return email


async def send_email(settings: Settings, email: EmailMessage) -> str:
    """Hand the message to the SMTP server; returns the server's reply. Raises Permanent- or TransientFailure."""
    try:
        refused, reply = await aiosmtplib.send(
            email, hostname=settings.smtp_host, port=settings.smtp_port,
            username=settings.smtp_username or None, password=settings.smtp_password.get_secret_value() or None,
            use_tls=settings.smtp_security == "tls", start_tls=settings.smtp_security == "starttls",
            timeout=SMTP_TIMEOUT,
        )  # fmt: skip
    except aiosmtplib.SMTPRecipientsRefused as exc:
        first = exc.recipients[0]
        raise PermanentFailure(f"recipient refused: {first.code} {first.message}") from None  # address: on the row
    except aiosmtplib.SMTPResponseException as exc:  # the server's words, kept on the message: no secret in them
        failure = PermanentFailure if exc.code >= 500 else TransientFailure
        raise failure(settings.mask(f"SMTP {exc.code}: {exc.message}")) from None
    except aiosmtplib.SMTPNotSupported as exc:  # the server lacks what the message needs (e.g. SMTPUTF8): for good
        raise PermanentFailure(settings.mask(f"SMTP server cannot take it: {exc}")) from None
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise TransientFailure(settings.mask(f"{type(exc).__name__}: {exc}")) from None
    if refused:  # some recipient was refused: not sent to the member
        answer = next(iter(refused.values()))
        raise PermanentFailure(f"recipient refused: {answer.code} {answer.message}")  # address: on the row
    return reply
