"""Delivery: letters per provider batch, e-mail, an SMS export, and the one reminder.

Personas:
- `provider_user`: works for `provider` (the conftest's "Zorgaanbieder Test"); prints its letters.
- `outsider`: signed in, works for no provider; gets 403 on every batch page.
"""

from __future__ import annotations

import csv
import datetime
import io
import logging
import re
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from feedback import delivery
from feedback.choices import AgeBand, Channel, Respondent
from feedback.invitations import IssuedInvitation, find_open_invitation, issue_invitations
from feedback.models import Invitation, Provider, SurveyDraft

NOW = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=datetime.UTC)
BASE = "https://jeugdstem.example"
CODE_IN_LINK = re.compile(r"/m/([A-Z2-7]{20,})/")
GROUPED_CODE = re.compile(r"\b[A-Z2-7]{5}(?:-[A-Z2-7]{1,5}){4,}\b")
FORBIDDEN = ("jeugdhulp", "hulp", "zorg", "cjg")


@pytest.fixture
def provider_user(provider):
    """Works for the provider: may print its letters and export its texts."""
    user = get_user_model().objects.create_user(username="medewerker", email="m@example.org")
    provider.members.add(user)
    return user


@pytest.fixture
def outsider(db):
    """Signed in, but works for no provider."""
    return get_user_model().objects.create_user(username="buitenstaander", email="b@example.org")


def _letters(html: str) -> list[str]:
    return re.findall(r'<article class="invitation-letter">.*?</article>', html, flags=re.S)


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _assert_neutral(text: str, provider: Provider) -> None:
    lowered = text.lower()
    for word in (*FORBIDDEN, provider.name.lower()):
        assert word not in lowered, f"{word!r} in {text!r}"


# --- letters --------------------------------------------------------------------------------


def test_printed_letters_have_one_page_each_a_qr_code_and_a_code_that_works(
    client, settings, make_case, provider_user
):
    settings.WAGTAILADMIN_BASE_URL = BASE
    case = make_case(age_band=AgeBand.AGE_12_15, channel=Channel.LETTER)
    issued = issue_invitations(case)
    client.force_login(provider_user)

    response = client.post(
        reverse("feedback:invitations_print"),
        {"invitation": [item.invitation.pk for item in issued]},
    )

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    letters = _letters(html)
    assert len(letters) == 2
    for letter in letters:
        assert "<svg" in letter and "<path" in letter
        assert "jeugdstem.example/m/" in letter
        codes = GROUPED_CODE.findall(letter)
        assert len(codes) == 1
        assert find_open_invitation(codes[0]).case == case
    for item in issued:
        assert find_open_invitation(item.code) is None, "the code made before printing stopped"
        item.invitation.refresh_from_db()
        assert item.invitation.sent_at is not None


def test_printing_again_makes_new_codes_and_the_earlier_letters_stop(
    client, make_case, provider_user
):
    case = make_case(age_band=AgeBand.AGE_4_11)
    (issued,) = issue_invitations(case)
    client.force_login(provider_user)
    url = reverse("feedback:invitations_print")

    first = GROUPED_CODE.findall(
        client.post(url, {"invitation": issued.invitation.pk}).content.decode()
    )
    again = client.post(url, {"invitation": issued.invitation.pk}).content.decode()
    second = GROUPED_CODE.findall(again)

    assert "opnieuw" in again, "the page warns that reloading makes new codes"
    assert first != second
    assert find_open_invitation(first[0]) is None
    assert find_open_invitation(second[0]) == issued.invitation


def test_youth_letters_say_je_and_parent_letters_say_u(make_case):
    case = make_case(age_band=AgeBand.AGE_12_15)
    by_respondent = {item.invitation.respondent: item for item in issue_invitations(case, now=NOW)}
    youth = delivery.make_letter(by_respondent[Respondent.YOUTH], BASE, reminder=False)
    parent = delivery.make_letter(by_respondent[Respondent.PARENT], BASE, reminder=False)
    youth_html = render_to_string("feedback/invitations/letter.html", {"letter": youth})
    parent_html = render_to_string("feedback/invitations/letter.html", {"letter": parent})

    assert "Jouw mening telt" in youth_html and "Wil je" in youth_html
    assert "Uw mening telt" in parent_html and "Wilt u" in parent_html
    assert "Gemeente Alkmaar" in youth_html and "Gemeente Alkmaar" in parent_html
    assert "jeugdstem.example/m/" in youth_html
    assert by_respondent[Respondent.YOUTH].display_code in youth_html


def test_the_batch_page_lists_new_letters_and_due_reminders_but_not_those_who_started(
    client, make_case, provider_user
):
    now = timezone.now()
    new = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))[0].invitation
    due = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))[0].invitation
    started = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))[0].invitation
    Invitation.objects.filter(pk__in=[due.pk, started.pk]).update(
        sent_at=now - datetime.timedelta(days=11)
    )
    SurveyDraft.objects.create(invitation=started, answers={"usefulness": "8"})
    client.force_login(provider_user)

    html = client.get(reverse("feedback:invitations_batch")).content.decode()

    assert f'value="{new.pk}"' in html
    assert f'value="{due.pk}"' in html
    assert f'value="{started.pk}"' not in html

    printed = client.post(reverse("feedback:invitations_print"), {"invitation": [due.pk]})
    (letter,) = _letters(printed.content.decode())
    assert "De code uit de eerste brief werkt niet meer" in letter
    due.refresh_from_db()
    assert due.reminded_at is not None


def test_batch_pages_are_only_for_the_providers_own_staff(client, make_case, outsider):
    (issued,) = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))
    batch = reverse("feedback:invitations_batch")
    print_url = reverse("feedback:invitations_print")
    sms_url = reverse("feedback:invitations_sms")

    assert client.get(batch).status_code == 302  # to the login page

    client.force_login(outsider)
    assert client.get(batch).status_code == 403
    assert client.post(print_url, {"invitation": issued.invitation.pk}).status_code == 403
    assert client.post(sms_url).status_code == 403

    other = Provider.objects.create(name="Andere aanbieder")
    other.members.add(outsider)
    assert client.get(batch).status_code == 200
    assert client.post(print_url, {"invitation": issued.invitation.pk}).status_code == 403
    assert find_open_invitation(issued.code) is not None, "nothing was renewed"


# --- words ----------------------------------------------------------------------------------


def test_no_letter_mail_or_text_mentions_the_help_or_the_provider(make_case, provider):
    texts: list[str] = []
    case = make_case(age_band=AgeBand.AGE_12_15, channel=Channel.EMAIL)
    contacts = {Respondent.YOUTH: "jij@example.org", Respondent.PARENT: "ouder@example.org"}
    for item in issue_invitations(case, contacts, now=NOW):
        for reminder in (False, True):
            letter = delivery.make_letter(item, BASE, reminder)
            texts.append(render_to_string("feedback/invitations/letter.html", {"letter": letter}))
            message = delivery.build_email(item, BASE, reminder)
            _assert_neutral(message.subject, provider)
            texts += [message.body, message.alternatives[0][0]]
            texts.append(delivery.sms_text(item, BASE, reminder))
    assert len(texts) == 16
    for text in texts:
        _assert_neutral(_text(text), provider)
        assert "Gemeente Alkmaar" in text, "signed by the municipality"


def test_the_print_page_does_not_name_the_provider(client, make_case, provider, provider_user):
    (issued,) = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))
    client.force_login(provider_user)
    html = client.post(
        reverse("feedback:invitations_print"), {"invitation": issued.invitation.pk}
    ).content.decode()
    assert provider.name not in html
    for letter in _letters(html):
        _assert_neutral(_text(letter), provider)


# --- e-mail ---------------------------------------------------------------------------------


def test_emailing_marks_the_invitation_sent_and_its_link_opens_the_survey(make_case, mailoutbox):
    case = make_case(age_band=AgeBand.AGE_16_17, channel=Channel.EMAIL)
    issued = issue_invitations(case, {Respondent.YOUTH: "jij@example.org"}, now=NOW)

    sent = delivery.send_invitation_emails(issued, base_url=BASE, now=NOW)

    assert sent == 1
    (message,) = mailoutbox
    assert message.to == ["jij@example.org"]
    assert message.subject == "Jouw mening telt"
    assert message.alternatives[0][1] == "text/html"
    (code,) = set(CODE_IN_LINK.findall(message.body))
    assert f"{BASE}/m/{code}/" in message.body
    invitation = find_open_invitation(code, now=NOW)
    assert invitation == issued[0].invitation
    assert invitation.sent_at == NOW
    assert invitation.contact == "jij@example.org", "kept until the one reminder"


def test_letter_and_sms_invitations_are_not_emailed(make_case, mailoutbox):
    letter = issue_invitations(make_case(age_band=AgeBand.AGE_0_3), now=NOW)
    text = issue_invitations(
        make_case(age_band=AgeBand.AGE_0_3, channel=Channel.SMS),
        {Respondent.PARENT: "+31612345678"},
        now=NOW,
    )
    assert delivery.send_invitation_emails(letter + text, base_url=BASE, now=NOW) == 0
    assert mailoutbox == []


def test_deliver_new_mails_once_the_case_is_saved(
    make_case, mailoutbox, django_capture_on_commit_callbacks
):
    case = make_case(age_band=AgeBand.AGE_12_15, channel=Channel.EMAIL)
    contacts = {Respondent.YOUTH: "jij@example.org", Respondent.PARENT: "ouder@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        delivery.deliver_new(issue_invitations(case, contacts))
        assert mailoutbox == [], "nothing is sent before the commit"
    assert sorted(m.to[0] for m in mailoutbox) == ["jij@example.org", "ouder@example.org"]
    assert not Invitation.objects.filter(sent_at__isnull=True).exists()


def test_a_mail_that_fails_leaves_the_invitation_unsent(make_case, mailoutbox, monkeypatch):
    case = make_case(age_band=AgeBand.AGE_18_22, channel=Channel.EMAIL)
    (issued,) = issue_invitations(case, {Respondent.YOUTH: "jij@example.org"}, now=NOW)

    def refuse(self, fail_silently=False):
        raise OSError("mail server down")

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", refuse)
    assert delivery.send_invitation_emails([issued], base_url=BASE, now=NOW) == 0
    issued.invitation.refresh_from_db()
    assert issued.invitation.sent_at is None
    assert find_open_invitation(issued.code, now=NOW) is not None


def test_a_failed_mail_is_logged_without_the_address_or_the_error_text(
    make_case, mailoutbox, monkeypatch, caplog
):
    case = make_case(age_band=AgeBand.AGE_18_22, channel=Channel.EMAIL)
    (issued,) = issue_invitations(case, {Respondent.YOUTH: "geheim.adres@example.org"}, now=NOW)

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused(
            {"geheim.adres@example.org": (550, b"5.1.1 <geheim.adres@example.org> unknown")}
        )

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", refuse)
    with caplog.at_level(logging.DEBUG):
        assert delivery.send_invitation_emails([issued], base_url=BASE, now=NOW) == 0

    (record,) = [r for r in caplog.records if r.name == "feedback.delivery"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is None and record.exc_text is None, "no traceback: it has the text"
    message = record.getMessage()
    assert str(issued.invitation.pk) in message
    assert "SMTPRecipientsRefused" in message
    assert "geheim" not in caplog.text and "unknown" not in caplog.text
    assert "@" not in caplog.text


def test_send_invitations_picks_up_unsent_mail_with_a_new_code(make_case, mailoutbox):
    case = make_case(age_band=AgeBand.AGE_18_22, channel=Channel.EMAIL)
    (stuck,) = issue_invitations(case, {Respondent.YOUTH: "jij@example.org"})

    out = io.StringIO()
    call_command("send_invitations", stdout=out)
    call_command("send_invitations", stdout=io.StringIO())

    assert "sent: 1" in out.getvalue()
    assert len(mailoutbox) == 1, "a second run sends nothing again"
    (code,) = set(CODE_IN_LINK.findall(mailoutbox[0].body))
    assert find_open_invitation(code) == stuck.invitation
    assert find_open_invitation(stuck.code) is None


# --- reminders ------------------------------------------------------------------------------


def _sent(invitation: Invitation, days_ago: int, **fields) -> Invitation:
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=NOW - datetime.timedelta(days=days_ago), **fields
    )
    invitation.refresh_from_db()
    return invitation


def _email_invitation(make_case, address: str, days_ago: int, **fields) -> IssuedInvitation:
    case = make_case(age_band=AgeBand.AGE_18_22, channel=Channel.EMAIL)
    sent_on = NOW - datetime.timedelta(days=days_ago)
    (issued,) = issue_invitations(case, {Respondent.YOUTH: address}, now=sent_on)
    _sent(issued.invitation, days_ago, **fields)
    return issued


def test_reminders_go_only_to_those_who_did_not_answer_or_start(settings, make_case, mailoutbox):
    settings.SURVEY_REMINDER_AFTER_DAYS = 10
    due = _email_invitation(make_case, "due@example.org", 11)
    _email_invitation(make_case, "recent@example.org", 5)
    _email_invitation(make_case, "answered@example.org", 11, used=True)
    _email_invitation(make_case, "reminded@example.org", 20, reminded_at=NOW)
    _email_invitation(make_case, "expired@example.org", 40)
    started = _email_invitation(make_case, "started@example.org", 11)
    SurveyDraft.objects.create(invitation=started.invitation, answers={"usefulness": "6"})

    report = delivery.send_reminders(NOW, base_url=BASE)

    assert report.emailed == 1 and report.failed == 0
    (message,) = mailoutbox
    assert message.to == ["due@example.org"]
    assert message.subject.startswith("Herinnering")
    (code,) = set(CODE_IN_LINK.findall(message.body))
    assert find_open_invitation(code, now=NOW) == due.invitation
    assert find_open_invitation(due.code, now=NOW) is None, "the old code was replaced"
    assert find_open_invitation(started.code, now=NOW) is not None, "who started keeps the code"
    due.invitation.refresh_from_db()
    assert due.invitation.reminded_at == NOW
    assert due.invitation.contact == "", "contact details go once the reminder is sent"
    assert Invitation.objects.get(contact="started@example.org").reminded_at is None

    assert delivery.send_reminders(NOW, base_url=BASE).emailed == 0, "only one reminder"


def test_letter_and_sms_reminders_wait_for_the_batch_page(settings, make_case, mailoutbox):
    settings.SURVEY_REMINDER_AFTER_DAYS = 10
    (letter,) = issue_invitations(make_case(age_band=AgeBand.AGE_0_3), now=NOW)
    (text,) = issue_invitations(
        make_case(age_band=AgeBand.AGE_0_3, channel=Channel.SMS),
        {Respondent.PARENT: "+31612345678"},
        now=NOW - datetime.timedelta(days=12),
    )
    _sent(letter.invitation, 12)
    _sent(text.invitation, 12)

    report = delivery.send_reminders(NOW, base_url=BASE)

    assert (report.emailed, report.letters_waiting, report.sms_waiting) == (0, 1, 1)
    assert mailoutbox == []


def test_send_reminders_command_reports_what_it_did(make_case, mailoutbox):
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "Reminders e-mailed: 0" in out.getvalue()


# --- SMS ------------------------------------------------------------------------------------


def test_the_sms_export_renews_codes_and_forgets_numbers_after_the_reminder(
    client, settings, make_case, provider, provider_user
):
    settings.SURVEY_REMINDER_AFTER_DAYS = 10
    now = timezone.now()
    (new,) = issue_invitations(
        make_case(age_band=AgeBand.AGE_0_3, channel=Channel.SMS), {Respondent.PARENT: "0611111111"}
    )
    (due,) = issue_invitations(
        make_case(age_band=AgeBand.AGE_18_22, channel=Channel.SMS),
        {Respondent.YOUTH: "+31 6 2222 2222"},
    )
    Invitation.objects.filter(pk=due.invitation.pk).update(
        sent_at=now - datetime.timedelta(days=11)
    )
    client.force_login(provider_user)

    response = client.post(reverse("feedback:invitations_sms"), {"provider": provider.pk})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[0] == ["phone", "message"]
    by_phone = dict(rows[1:])
    assert set(by_phone) == {"0611111111", "+31622222222"}
    for message in by_phone.values():
        _assert_neutral(message, provider)
        (code,) = CODE_IN_LINK.findall(message)
        assert find_open_invitation(code) is not None
    assert "Herinnering" in by_phone["+31622222222"]
    assert find_open_invitation(new.code) is None and find_open_invitation(due.code) is None

    new.invitation.refresh_from_db()
    due.invitation.refresh_from_db()
    assert new.invitation.sent_at is not None and new.invitation.contact == "0611111111"
    assert due.invitation.reminded_at is not None and due.invitation.contact == ""

    again = client.post(reverse("feedback:invitations_sms"), {"provider": provider.pk})
    assert again.status_code == 302, "nothing is exported twice"


# --- CSV cells ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("https://evil.example")', '\'=HYPERLINK("https://evil.example")'),
        ("+31612345678", "'+31612345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Zorgpartner Noord", "Zorgpartner Noord"),
        ("0612345678", "0612345678"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_safe_csv_cell_neutralises_what_a_spreadsheet_would_run(value, cell):
    assert delivery.safe_csv_cell(value) == cell


@pytest.mark.parametrize(
    ("phone", "cell"),
    [
        ("+31612345678", "+31612345678"),
        ("+316123456789", "'+316123456789"),
        ("+31612345678\n", "'+31612345678\n"),
        ("+1-555-0100", "'+1-555-0100"),
        ("=1+2", "'=1+2"),
        ("0612345678", "0612345678"),
    ],
)
def test_only_checked_dutch_mobiles_may_start_with_a_plus(phone, cell):
    assert delivery.safe_phone_cell(phone) == cell


def test_the_sms_export_neutralises_cells_but_keeps_dutch_mobiles_usable(make_case):
    numbers = ["+31612345678", '=HYPERLINK("x")', "+4915112345678", "@cmd"]
    for number in numbers:
        issue_invitations(
            make_case(age_band=AgeBand.AGE_0_3, channel=Channel.SMS),
            {Respondent.PARENT: number},
            now=NOW,
        )

    content = delivery.export_sms(Invitation.objects.all(), BASE, NOW)

    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[0] == ["phone", "message"]
    phones = sorted(phone for phone, _ in rows[1:])
    assert phones == sorted(["+31612345678", '\'=HYPERLINK("x")', "'+4915112345678", "'@cmd"])
    for _, message in rows[1:]:
        assert message and message[0] not in "=+-@\t\r"
