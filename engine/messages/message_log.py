"""The record of every message, from intent to result, and the signed links inside messages.

Sending is three steps so that nothing is sent twice and nothing is lost: `record_intent` writes the message
(queued, or skipped with the rule that stopped it) under the journey action's idempotency key before any provider
is called; `claim` marks it sending and counts the attempt; `mark_sent` / `mark_failed` record the result. A worker
killed between the provider call and `mark_sent` leaves the message `sending`; the retried activity sends it again
under the same Message-ID / idempotency key, which the receiving side (our catcher, a mailbox, a gateway that
honours idempotency keys) keeps once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime
from decimal import Decimal
from email import message_from_string
from email.message import EmailMessage
from email.policy import default
from html import escape as html_escape
from html import unescape as html_unescape
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from engine import clock
from engine.db import insert_new, session_scope
from engine.members.tags import tags_of
from engine.messages.send_rules import FrequencyCap, QuietHours, deferred_reason, parse_frequency_cap, parse_quiet_hours
from engine.messages.templates import Channel, RenderError, TemplateSpec, render
from engine.models import CaughtMail, Member, Message, table_of
from engine.settings import Settings

COUNTED = ("queued", "sending", "sent", "delivered")  # what the frequency cap counts
QuietPolicy = Literal["defer", "skip"]


class SendRules(BaseModel, arbitrary_types_allowed=True):
    quiet_hours: QuietHours | None
    frequency_cap: FrequencyCap | None
    shop_zone: ZoneInfo
    link_base: str
    link_key: bytes


def rules_from(settings: Settings) -> SendRules:
    return SendRules(
        quiet_hours=parse_quiet_hours(settings.quiet_hours), frequency_cap=parse_frequency_cap(settings.frequency_cap),
        shop_zone=settings.shop_zone, link_base=settings.link_base, link_key=settings.link_key(),
    )  # fmt: skip


class Intent(BaseModel):
    message_id: int
    status: str
    reason: str | None = None
    send_at: datetime | None = None


def record_intent(
    session: Session, *, channel: Channel, template: TemplateSpec, member_id: int, key: str, now: datetime,
    rules: SendRules, variables: dict[str, Any], quiet: QuietPolicy = "defer", journey_id: int | None = None,
    block_id: str | None = None,
) -> Intent:  # fmt: skip
    """Write the message once for `key`: queued (with when it may go, and why later when quiet hours defer it), or
    skipped / failed with the reason. `mark_sent` clears a deferral's reason."""
    if (existing := _by_key(session, key)) is not None:
        return existing
    session.execute(select(col(Member.id)).where(col(Member.id) == member_id).with_for_update())
    member = session.get(Member, member_id)
    assert member is not None
    row: dict[str, Any] = {"idempotency_key": key, "channel": channel, "template": template.key,
                           "member_id": member_id, "journey_id": journey_id, "block_id": block_id,
                           "recipient": member.email if channel == "email" else member.phone,
                           "created_at": now, "status": "queued", "send_at": now, "attempts": 0, "segments": 0,
                           "cost": Decimal(0), "opens": 0, "clicks": 0}  # fmt: skip
    row |= _stopped_by_rules(session, member, channel, now, rules, quiet)
    if row["status"] == "queued":
        try:
            rendered = render(template, {**variables, **member_variables(session, member),
                                         "unsubscribe_url": "__UNSUBSCRIBE__"})  # fmt: skip
        except RenderError as exc:
            row |= {"status": "failed", "reason": str(exc), "failed_at": now}
        else:
            row |= {"subject": rendered.subject, "body_html": rendered.html, "body_text": rendered.text}
    insert_new(session, table_of(Message), [row], "idempotency_key")
    found = _by_key(session, key)
    assert found is not None
    if found.status == "queued":
        _add_links(session, found.message_id, rules)
    return found


def _stopped_by_rules(
    session: Session, member: Member, channel: Channel, now: datetime, rules: SendRules, quiet: QuietPolicy
) -> dict[str, Any]:
    """The skip (status, reason) a rule imposes, or the later `send_at` quiet hours impose; {} when free to go."""
    if channel == "email" and not member.email:
        return {"status": "skipped", "reason": "member has no email address"}
    if channel == "sms" and not member.phone:
        return {"status": "skipped", "reason": "member has no phone number"}
    opted_out = member.email_opted_out_at if channel == "email" else member.sms_opted_out_at
    if opted_out is not None:
        return {"status": "skipped", "reason": f"member opted out of {channel} on {opted_out.date()}"}
    if (cap := rules.frequency_cap) is not None:
        sent = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(col(Message.member_id) == member.id, col(Message.channel) == channel)
            .where(
                col(Message.status).in_(COUNTED),
                col(Message.created_at) >= clock.days_ago_start(cap.days, now, rules.shop_zone),
            )
        )
        if not cap.allows(sent or 0):
            return {"status": "skipped",
                    "reason": f"frequency cap: {sent} {channel} messages in the last {cap.days} days"}  # fmt: skip
    if (hours := rules.quiet_hours) is not None:
        zone = _zone(member, rules.shop_zone)
        allowed = hours.next_allowed(now, zone)
        if allowed != now:
            if quiet == "skip":
                return {
                    "status": "skipped",
                    "reason": f"quiet hours {hours.start:%H:%M}-{hours.end:%H:%M} ({zone.key})",
                }
            return {"send_at": allowed, "reason": deferred_reason(allowed, zone)}  # cleared when sent
    return {}


def _zone(member: Member, shop_zone: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(member.timezone) if member.timezone else shop_zone
    except (KeyError, ValueError):
        return shop_zone


def member_variables(session: Session, member: Member) -> dict[str, Any]:
    """What templates see as `member`: plain values only."""
    assert member.id is not None
    return {"member": {
        "id": member.external_id, "name": member.name or "", "email": member.email or "", "phone": member.phone or "",
        "city": member.city or "", "gender": member.gender or "",
        "birthday": member.birthday.isoformat() if member.birthday else "", "tags": sorted(tags_of(session, member.id)),
    }}  # fmt: skip


def _by_key(session: Session, key: str) -> Intent | None:
    row = session.execute(
        select(col(Message.id), col(Message.status), col(Message.reason), col(Message.send_at)).where(
            col(Message.idempotency_key) == key
        )
    ).first()
    if row is None:
        return None
    return Intent(message_id=row[0], status=row[1], reason=row[2], send_at=row[3])


# --- links: unsubscribe, opens, clicks ------------------------------------------------------------------------

HREF = re.compile(r'href="(https?://[^"]+)"')


def _add_links(session: Session, message_id: int, rules: SendRules) -> None:
    """Put the signed unsubscribe link in, make links in the HTML tracked, add the open pixel."""
    message = session.get(Message, message_id)
    assert message is not None
    unsubscribe = unsubscribe_url(rules, message_id)
    if message.body_text:
        message.body_text = message.body_text.replace("__UNSUBSCRIBE__", unsubscribe)
    if message.body_html:
        html = message.body_html.replace("__UNSUBSCRIBE__", unsubscribe)
        html = HREF.sub(lambda m: _tracked(rules, message_id, m.group(1), unsubscribe), html)
        opened = f"{rules.link_base}/o/{sign(rules.link_key, 'open', message_id)}.gif"
        pixel = f'<img src="{opened}" width="1" height="1" alt="">'
        message.body_html = html.replace("</body>", pixel + "</body>") if "</body>" in html else html + pixel
    session.add(message)
    session.flush()


def _tracked(rules: SendRules, message_id: int, href: str, unsubscribe: str) -> str:
    """A link of the HTML body made a signed click-through (the href is HTML-escaped text: compare it unescaped)."""
    target = html_unescape(href)
    if target == unsubscribe:
        return f'href="{href}"'
    return f'href="{html_escape(click_url(rules, message_id, target))}"'


def sign(key: bytes, purpose: str, message_id: int, extra: str = "") -> str:
    digest = hmac.new(key, f"{purpose}:{message_id}:{extra}".encode(), hashlib.sha256).digest()[:15]
    return f"{message_id}.{base64.urlsafe_b64encode(digest).decode()}"


def verify(key: bytes, purpose: str, token: str, extra: str = "") -> int | None:
    """The message id a token was signed for, or None when forged, altered or not a token at all (an id of other
    than 1 to 18 ASCII digits, which no message has: '١٢٣' passes str.isdigit, a thousand digits int() refuses)."""
    head, _, _ = token.partition(".")
    if not (head.isascii() and head.isdigit() and len(head) <= 18):
        return None
    expected = sign(key, purpose, int(head), extra).encode()
    return int(head) if hmac.compare_digest(expected, token.encode("utf-8", "surrogatepass")) else None


def unsubscribe_url(rules: SendRules, message_id: int) -> str:
    return f"{rules.link_base}/u/{sign(rules.link_key, 'unsubscribe', message_id)}"


def click_url(rules: SendRules, message_id: int, target: str) -> str:
    return f"{rules.link_base}/c/{sign(rules.link_key, 'click', message_id, target)}?u={quote(target, safe='')}"


def unsubscribe(session: Session, message_id: int, now: datetime) -> tuple[str, str] | None:
    """Opt the message's member out of its channel; (member id, channel), or None for an unknown message."""
    message = session.get(Message, message_id)
    if message is None:
        return None
    member = session.get(Member, message.member_id)
    assert member is not None
    if message.channel == "email" and member.email_opted_out_at is None:
        member.email_opted_out_at = now
    if message.channel == "sms" and member.sms_opted_out_at is None:
        member.sms_opted_out_at = now
    session.add(member)
    return member.external_id, message.channel


def count_click(session: Session, message_id: int, now: datetime) -> None:
    """A click counts, and marks the message opened if the pixel never loaded (images blocked)."""
    table = table_of(Message)
    session.execute(
        update(table)
        .where(table.c.id == message_id)
        .values(clicks=table.c.clicks + 1, first_clicked_at=func.coalesce(table.c.first_clicked_at, now),
                first_opened_at=func.coalesce(table.c.first_opened_at, now))
    )  # fmt: skip


def count_open(session: Session, message_id: int, now: datetime) -> None:
    """Each load of the pixel (opens), and when the first was."""
    table = table_of(Message)
    session.execute(
        update(table)
        .where(table.c.id == message_id)
        .values(opens=table.c.opens + 1, first_opened_at=func.coalesce(table.c.first_opened_at, now))
    )


class OutboxRow(BaseModel):
    id: int
    channel: str
    template: str
    member: str
    recipient: str | None
    subject: str | None
    status: str
    reason: str | None
    created_at: datetime
    sent_at: datetime | None
    opens: int
    clicks: int


def outbox(session: Session, limit: int = 50) -> list[OutboxRow]:
    """The newest messages first."""
    rows = session.execute(
        select(Message, col(Member.external_id))
        .join(Member, col(Member.id) == col(Message.member_id))
        .order_by(col(Message.id).desc())
        .limit(limit)
    )
    return [
        OutboxRow(id=m.id, channel=m.channel, template=m.template, member=member, recipient=m.recipient,
                  subject=m.subject or (m.body_text or "")[:70], status=m.status, reason=m.reason,
                  created_at=m.created_at, sent_at=m.sent_at, opens=m.opens, clicks=m.clicks)
        for m, member in rows
    ]  # fmt: skip


class CaughtRow(BaseModel):
    id: int
    recipients: str
    subject: str
    received_at: datetime
    text: str


def keep_caught_mail(mail: CaughtMail) -> None:
    """Store a message the embedded SMTP catcher received (connectors/mail_catcher.py), once per Message-ID, as a
    mailbox keeps one copy."""
    with session_scope() as session:
        insert_new(session, table_of(CaughtMail), [mail.model_dump(exclude={"id"})], "message_id")


def caught_mail(session: Session, limit: int = 50) -> list[CaughtRow]:
    """What the embedded SMTP catcher received, newest first, with the plain-text body to read."""
    rows = session.scalars(select(CaughtMail).order_by(col(CaughtMail.id).desc()).limit(limit))
    found = []
    for row in rows:
        parsed = message_from_string(row.raw, policy=default)
        body = parsed.get_body(("plain",)) if isinstance(parsed, EmailMessage) else None
        text = body.get_content() if body is not None else ""
        assert row.id is not None
        found.append(CaughtRow(id=row.id, recipients=row.recipients, subject=row.subject,
                               received_at=row.received_at, text=text))  # fmt: skip
    return found


# --- delivery -------------------------------------------------------------------------------------------------


def claim(session: Session, key: str, now: datetime) -> Message | None:
    """The message to send for `key` (marked sending, attempt counted), or None when it is done or must not go:
    a member who opted out while the message waited for the end of quiet hours is skipped here."""
    message = session.scalar(select(Message).where(col(Message.idempotency_key) == key))
    if message is None or message.status not in ("queued", "sending"):
        return None
    member = session.get(Member, message.member_id)
    assert member is not None
    opted_out = member.email_opted_out_at if message.channel == "email" else member.sms_opted_out_at
    if opted_out is not None:
        message.status, message.reason = "skipped", f"member opted out of {message.channel} before it was sent"
        session.add(message)
        return None
    message.status, message.attempts = "sending", message.attempts + 1
    session.add(message)
    session.flush()
    return message


def mark_sent(session: Session, message_id: int, provider_id: str, now: datetime, cost: Decimal = Decimal(0)) -> None:
    table = table_of(Message)
    session.execute(
        update(table)
        .where(table.c.id == message_id, table.c.status == "sending")
        .values(status="sent", provider_id=provider_id, sent_at=now, cost=cost, reason=None)
    )


def mark_failed(session: Session, message_id: int, reason: str, now: datetime) -> None:
    table = table_of(Message)
    session.execute(
        update(table)
        .where(table.c.id == message_id, table.c.status.in_(("queued", "sending")))
        .values(status="failed", reason=reason[:300], failed_at=now)
    )
