"""Getting invitations to respondents: e-mail, letters per provider batch, SMS export, reminder.

A plain code exists only when it is made, so every delivery makes a fresh code with
renew_code() (the previous one stops) unless it is handed codes that were just issued.
Nothing a respondent receives says what the survey is about: that shows only once it is open.
Contact details are needed until the one reminder has gone out, and are then cleared.

An e-mail that cannot be sent (a bad address, a mail server that is down) is tried again by
`manage.py send_invitations`, but only for UNSENT_EMAIL_DAYS days after the invitation was made.
After that `manage.py close_expired` clears its address and the invitation stays unsent: we do
not keep an address we cannot use. Failures are logged with the invitation id and the kind of
error only, never the address or the error text (mail servers put the address in it).

Every CSV the app writes goes through safe_csv_cell(), so a cell cannot start a spreadsheet
formula.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from feedback.choices import Channel, Respondent
from feedback.invitations import IssuedInvitation, renew_code
from feedback.models import Invitation, Provider, SurveyDraft

logger = logging.getLogger(__name__)

# Days an e-mail invitation may stay unsent (failing) before its address is cleared for good.
UNSENT_EMAIL_DAYS = 7
# A spreadsheet reads a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What an importer may drop or trim before it looks at the first character: whitespace and
# control characters. " =1", "\x00=1" or "\n@x" could become a formula there, so a cell whose
# first visible character starts a formula is guarded too, and so is any cell that starts
# with a control character (NUL among them).
_LEADING_SKIPPED = re.compile(r"\A[\s\x00-\x1f\x7f]+")
_CONTROL_CHARACTERS = frozenset(chr(n) for n in [*range(32), 127])
# A checked Dutch mobile number as stored by feedback.cases.normalise_mobile: safe as it is.
_GATEWAY_PHONE = re.compile(r"\+316\d{8}")


# --- CSV ------------------------------------------------------------------------------------


def safe_csv_cell(value: object) -> str:
    """The value as CSV text that a spreadsheet shows as text, never runs as a formula.

    A cell that starts with =, +, -, @, a tab, a carriage return, NUL or another control
    character gets a leading single quote; so does one where =, +, - or @ follows leading
    whitespace or control characters. This is the one formula guard of every CSV and XLSX export.
    """
    text = "" if value is None else str(value)
    if needs_formula_guard(text):
        return "'" + text
    return text


def needs_formula_guard(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula (see safe_csv_cell)."""
    if text.startswith(_FORMULA_STARTS) or text[:1] in _CONTROL_CHARACTERS:
        return True
    return _LEADING_SKIPPED.sub("", text).startswith(_FORMULA_STARTS)


def csv_cell_text(cell: str) -> str:
    """A cell read back from a CSV we wrote: the quote safe_csv_cell() added is taken off."""
    if cell.startswith("'") and needs_formula_guard(cell[1:]):
        return cell[1:]
    return cell


def safe_csv_row(values: Iterable[object]) -> list[str]:
    """safe_csv_cell() for every cell of a row."""
    return [safe_csv_cell(value) for value in values]


def safe_phone_cell(phone: str) -> str:
    """A phone number for the SMS gateway: +316xxxxxxxx as it is, anything else neutralised."""
    if _GATEWAY_PHONE.fullmatch(phone):
        return phone
    return safe_csv_cell(phone)


@dataclass(frozen=True)
class Letter:
    """One printed letter: the fresh code, where it leads, and whether it is the reminder."""

    issued: IssuedInvitation
    url: str
    short_url: str
    qr_svg: SafeString
    reminder: bool

    @property
    def youth(self) -> bool:
        """Young people read 'je', parents 'u'."""
        return self.issued.invitation.respondent == Respondent.YOUTH


@dataclass
class ReminderReport:
    """What one run of the reminders did, and what waits for a provider's batch page."""

    emailed: int = 0
    failed: int = 0
    letters_waiting: int = 0
    sms_waiting: int = 0


# --- addresses ----------------------------------------------------------------------------


def site_root(request: HttpRequest | None = None) -> str:
    """The public address the links point to, without a trailing slash."""
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or (
        request.build_absolute_uri("/") if request else ""
    )
    return base.rstrip("/")


def invitation_url(code: str, base_url: str) -> str:
    """The link in the e-mail, the SMS and the QR code: /m/<code>/ opens the survey."""
    return base_url + reverse("survey:open", args=[code])


def short_url(base_url: str) -> str:
    """Where to type the code by hand, without the https:// nobody types."""
    address = base_url + reverse("survey:start")
    return address.split("://", 1)[-1]


def qr_svg(url: str) -> SafeString:
    """An inline SVG QR code for a letter (vector, so it prints sharp)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    # Safe: the markup comes from the qrcode library, not from user input.
    return mark_safe(image.to_string(encoding="unicode"))


def _language():
    # Respondents get the municipality's language, whatever language the sender browses in.
    return translation.override(settings.LANGUAGE_CODE)


# --- who is due -----------------------------------------------------------------------------


def _open() -> Q:
    return Q(used=False, case__no_invite=False)


def _reminder_due(now: datetime.datetime) -> Q:
    sent_before = now - datetime.timedelta(days=settings.SURVEY_REMINDER_AFTER_DAYS)
    # Someone who started keeps the code they are using: no reminder, no new code.
    return Q(
        sent_at__lte=sent_before,
        reminded_at__isnull=True,
        expires_at__gt=now,
        draft__isnull=True,
    )


def reminders_due(now: datetime.datetime) -> QuerySet[Invitation]:
    """Sent, not answered, not started, not expired, no reminder yet, and sent long enough ago."""
    return Invitation.objects.filter(_open() & _reminder_due(now))


def unsent(channel: str) -> QuerySet[Invitation]:
    """Invitations of this channel that have not gone out yet."""
    return Invitation.objects.filter(_open(), channel=channel, sent_at__isnull=True)


def letters_waiting(providers, now: datetime.datetime) -> QuerySet[Invitation]:
    """First letters and reminder letters these providers still have to print."""
    return (
        Invitation.objects.filter(_open(), channel=Channel.LETTER, case__provider__in=providers)
        .filter(Q(sent_at__isnull=True) | _reminder_due(now))
        .select_related("case", "case__provider")
        .order_by("case__provider__name", "case__reference", "respondent")
    )


def printable_letters(providers, now: datetime.datetime) -> QuerySet[Invitation]:
    """Letters that may be (re)printed: never one whose code a respondent is using."""
    return (
        Invitation.objects.filter(_open(), channel=Channel.LETTER, case__provider__in=providers)
        .filter(draft__isnull=True)
        .filter(Q(sent_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("case")
        .order_by("case__reference", "respondent")
    )


def sms_waiting(providers, now: datetime.datetime) -> QuerySet[Invitation]:
    """First texts and reminder texts for these providers that can go into an SMS export."""
    return (
        Invitation.objects.filter(_open(), channel=Channel.SMS, case__provider__in=providers)
        .exclude(contact="")
        .filter(Q(sent_at__isnull=True) | _reminder_due(now))
        .select_related("case")
        .order_by("case__reference", "respondent")
    )


# --- texts ----------------------------------------------------------------------------------


def _message_context(issued: IssuedInvitation, base_url: str, reminder: bool) -> dict:
    return {
        "youth": issued.invitation.respondent == Respondent.YOUTH,
        "reminder": reminder,
        "url": invitation_url(issued.code, base_url),
        "short_url": short_url(base_url),
        "code": issued.display_code,
        "expires_at": issued.invitation.expires_at,
    }


def build_email(
    issued: IssuedInvitation, base_url: str, reminder: bool = False
) -> mail.EmailMultiAlternatives:
    """The invitation (or reminder) as a plain-text mail with a simple HTML version."""
    context = _message_context(issued, base_url, reminder)
    with _language():
        subject = render_to_string("feedback/email/invitation_subject.txt", context)
        text = render_to_string("feedback/email/invitation.txt", context)
        html = render_to_string("feedback/email/invitation.html", context)
    message = mail.EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[issued.invitation.contact]
    )
    message.attach_alternative(html, "text/html")
    return message


def sms_text(issued: IssuedInvitation, base_url: str, reminder: bool = False) -> str:
    """The text message for an SMS gateway, on one line."""
    with _language():
        text = render_to_string(
            "feedback/invitations/sms.txt", _message_context(issued, base_url, reminder)
        )
    return " ".join(text.split())


def make_letter(issued: IssuedInvitation, base_url: str, reminder: bool) -> Letter:
    """What the print page needs for one letter."""
    url = invitation_url(issued.code, base_url)
    return Letter(issued, url, short_url(base_url), qr_svg(url), reminder)


# --- sending --------------------------------------------------------------------------------


def _send_one(
    issued: IssuedInvitation,
    base_url: str,
    now: datetime.datetime,
    connection,
    reminder: bool = False,
    renew: bool = False,
) -> str:
    """Send one mail and record it: "sent", "skipped" or "failed" (then nothing changed)."""
    try:
        with transaction.atomic():
            invitation = Invitation.objects.select_for_update().get(pk=issued.invitation.pk)
            if invitation.used or not invitation.contact or invitation.channel != Channel.EMAIL:
                return "skipped"
            # Checked again under the lock: the respondent may have started in the meantime.
            if reminder and (invitation.reminded_at or _has_draft(invitation)):
                return "skipped"
            if renew and not reminder and invitation.sent_at:
                return "skipped"
            if renew:
                issued = renew_code(invitation, now=now)
            else:
                issued = IssuedInvitation(invitation, issued.code)
            message = build_email(issued, base_url, reminder=reminder)
            message.connection = connection
            message.send()
            if reminder:
                invitation.reminded_at = now
                invitation.contact = ""  # the one reminder went out: the address is not kept
                invitation.save(update_fields=["reminded_at", "contact"])
            else:
                invitation.sent_at = now
                invitation.save(update_fields=["sent_at"])
    except Exception as error:  # a bad address or a mail server hiccup must not stop the rest
        # Never the address nor the error text (it often holds the address), and no traceback
        # (it shows the text too): the kind of error and the invitation id only.
        logger.error(
            "Could not send survey invitation %s: %s",
            issued.invitation.pk,
            type(error).__name__,
        )
        return "failed"
    return "sent"


def _has_draft(invitation: Invitation) -> bool:
    return SurveyDraft.objects.filter(invitation=invitation).exists()


def send_invitation_emails(
    issued: list[IssuedInvitation],
    base_url: str | None = None,
    now: datetime.datetime | None = None,
) -> int:
    """Mail each e-mail invitation its link, mark it sent; return how many went out."""
    now = now or timezone.now()
    base_url = base_url or site_root()
    sent = 0
    with mail.get_connection() as connection:
        for item in issued:
            if item.invitation.channel == Channel.EMAIL and item.invitation.contact:
                sent += _send_one(item, base_url, now, connection) == "sent"
    return sent


def deliver_new(issued: list[IssuedInvitation], base_url: str | None = None) -> None:
    """Send just-issued e-mail invitations once the case is saved; letters and texts wait.

    Letters and SMS go out from the provider's batch page. Sending waits for the commit, so a
    registration that is rolled back never mails a code that does not exist; what fails to
    send is picked up by `manage.py send_invitations`.
    """
    emails = [item for item in issued if item.invitation.channel == Channel.EMAIL]
    if emails:
        transaction.on_commit(lambda: send_invitation_emails(emails, base_url=base_url))


def give_up_before(now: datetime.datetime) -> datetime.datetime:
    """E-mail invitations made before this moment and still unsent are not tried again."""
    return now - datetime.timedelta(days=UNSENT_EMAIL_DAYS)


def send_unsent_emails(now: datetime.datetime, base_url: str | None = None) -> int:
    """Renew the codes of e-mail invitations that never went out, and send them.

    Only those made in the last UNSENT_EMAIL_DAYS days: older ones are given up, and
    `close_expired` clears their address.
    """
    base_url = base_url or site_root()
    sent = 0
    waiting = unsent(Channel.EMAIL).exclude(contact="").filter(created_at__gt=give_up_before(now))
    with mail.get_connection() as connection:
        for invitation in waiting:
            placeholder = IssuedInvitation(invitation, "")
            sent += _send_one(placeholder, base_url, now, connection, renew=True) == "sent"
    return sent


def send_reminders(now: datetime.datetime, base_url: str | None = None) -> ReminderReport:
    """Mail the one reminder with a new code; count the letters and texts that wait for a batch."""
    base_url = base_url or site_root()
    report = ReminderReport()
    due = reminders_due(now)
    with mail.get_connection() as connection:
        for invitation in due.filter(channel=Channel.EMAIL).exclude(contact=""):
            outcome = _send_one(
                IssuedInvitation(invitation, ""),
                base_url,
                now,
                connection,
                reminder=True,
                renew=True,
            )
            report.emailed += outcome == "sent"
            report.failed += outcome == "failed"
    report.letters_waiting = due.filter(channel=Channel.LETTER).count()
    report.sms_waiting = due.filter(channel=Channel.SMS).exclude(contact="").count()
    return report


# --- provider batches -----------------------------------------------------------------------


def _take_for_batch(invitation: Invitation, now: datetime.datetime) -> tuple[bool, list[str]]:
    """Decide first letter or reminder, and record that it goes out now."""
    if invitation.sent_at is None:
        invitation.sent_at = now
        return False, ["sent_at"]
    due_from = now - datetime.timedelta(days=settings.SURVEY_REMINDER_AFTER_DAYS)
    if invitation.reminded_at is None and invitation.sent_at <= due_from:
        invitation.reminded_at = now
        return True, ["reminded_at"]
    # Printed again (a lost letter, a reloaded page): the same kind of letter, from today.
    if invitation.reminded_at is not None:
        invitation.reminded_at = now
        return True, ["reminded_at"]
    invitation.sent_at = now
    return False, ["sent_at"]


def make_letters(
    invitations: QuerySet[Invitation], base_url: str, now: datetime.datetime
) -> list[Letter]:
    """Give each letter a fresh code and mark it sent (or reminded); the old codes stop."""
    letters: list[Letter] = []
    with transaction.atomic():
        locked = (
            invitations.select_for_update(of=("self",))
            .filter(channel=Channel.LETTER, used=False, draft__isnull=True)
            .select_related("case")
        )
        for invitation in locked:
            reminder, fields = _take_for_batch(invitation, now)
            invitation.contact = ""  # a letter needs no contact detail here
            invitation.save(update_fields=[*fields, "contact"])
            issued = renew_code(invitation, now=now)
            letters.append(make_letter(issued, base_url, reminder))
    return letters


def export_sms(invitations: QuerySet[Invitation], base_url: str, now: datetime.datetime) -> str:
    """A CSV (phone;message) for the SMS gateway, with fresh codes; reminded numbers are cleared."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")  # quotes a bare \r too
    writer.writerow(safe_csv_row(["phone", "message"]))
    with transaction.atomic():
        locked = (
            invitations.select_for_update(of=("self",))
            .filter(channel=Channel.SMS, used=False)
            .exclude(contact="")
            .select_related("case")
        )
        for invitation in locked:
            phone = "".join(invitation.contact.split())
            reminder, fields = _take_for_batch(invitation, now)
            if reminder:
                invitation.contact = ""  # the one reminder is on its way: the number is not kept
                fields.append("contact")
            invitation.save(update_fields=fields)
            issued = renew_code(invitation, now=now)
            message = sms_text(issued, base_url, reminder=reminder)
            writer.writerow([safe_phone_cell(phone), safe_csv_cell(message)])
    return out.getvalue()


def provider_batches(providers: QuerySet[Provider], now: datetime.datetime) -> list[dict]:
    """Per provider: the letters to print and how many texts are ready, for the batch page."""
    letters = list(letters_waiting(providers, now))
    texts = list(sms_waiting(providers, now))
    batches = []
    for provider in providers.order_by("name"):
        own = [inv for inv in letters if inv.case.provider_id == provider.pk]
        own_texts = [inv for inv in texts if inv.case.provider_id == provider.pk]
        batches.append(
            {
                "provider": provider,
                "new_letters": [inv for inv in own if inv.sent_at is None],
                "reminder_letters": [inv for inv in own if inv.sent_at is not None],
                "new_texts": sum(inv.sent_at is None for inv in own_texts),
                "reminder_texts": sum(inv.sent_at is not None for inv in own_texts),
            }
        )
    return batches
