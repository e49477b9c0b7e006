"""Registering closed cases: the form, the list and the all-or-nothing CSV upload.

Personas:
- `worker`: staff of `care_provider` (a member); registers and sees that provider's cases.
- `outsider`: signed in, but works for no provider; every cases page answers 403.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from feedback import cases as case_rules
from feedback.cases import COLUMNS, REFERENCE_ALPHABET, check_csv
from feedback.choices import Respondent
from feedback.models import Case, Invitation, Provider

CASE_URLS = [
    "feedback:case_list",
    "feedback:case_add",
    "feedback:case_upload",
    "feedback:case_template",
]


def month(months_ago: int) -> str:
    """YYYY-MM for a month relative to this one (negative: in the future)."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - months_ago
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.fixture
def care_provider(db) -> Provider:
    """The provider the worker works for."""
    return Provider.objects.create(name="Zorgpartner Noord")


@pytest.fixture
def other_provider(db) -> Provider:
    """A provider the worker does not work for."""
    return Provider.objects.create(name="Andere Aanbieder")


@pytest.fixture
def worker(care_provider):
    """A member of care_provider."""
    user = get_user_model().objects.create_user(username="medewerker", email="m@example.org")
    care_provider.members.add(user)
    return user


@pytest.fixture
def outsider(db):
    """Signed in, without a provider role."""
    return get_user_model().objects.create_user(username="buiten", email="b@example.org")


@pytest.fixture
def worker_client(client, worker):
    """A client signed in as the worker."""
    client.force_login(worker)
    return client


def form_data(provider: Provider, **overrides) -> dict:
    """A valid case form: a 12-15-year-old, invited by letter."""
    data = {
        "reference": "",
        "provider": provider.pk,
        "help_type": "ambulant",
        "referrer": "gp",
        "start_month": month(8),
        "end_month": month(1),
        "end_reason": "as_planned",
        "district": "oudorp",
        "age_band": "12-15",
        "channel": "letter",
        "youth_contact": "",
        "parent_contact": "",
        "no_invite_reason": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not False}


def csv_row(provider: Provider, **overrides) -> dict:
    """A valid CSV row as a dict of column -> text."""
    row = {
        "reference": "",
        "provider": provider.name,
        "help_type": "ambulant",
        "referrer": "gp",
        "start_month": month(8),
        "end_month": month(1),
        "end_reason": "as_planned",
        "district": "centrum",
        "age_band": "12-15",
        "channel": "letter",
        "youth_agreed_parent_invite": "nee",
        "no_invite": "nee",
        "no_invite_reason": "",
    }
    row.update(overrides)
    return row


def csv_text(rows: list[dict], delimiter: str = ";", columns=COLUMNS) -> str:
    """A CSV file with a header and these rows."""
    lines = [delimiter.join(columns)]
    lines += [delimiter.join(row.get(name, "") for name in columns) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def csv_file(text: str, bom: bool = True) -> SimpleUploadedFile:
    """An uploaded file with this text."""
    data = text.encode("utf-8-sig" if bom else "utf-8")
    return SimpleUploadedFile("casussen.csv", data, content_type="text/csv")


def upload(client, text: str, bom: bool = True):
    """Post a CSV to the upload page."""
    return client.post(reverse("feedback:case_upload"), {"file": csv_file(text, bom)})


def report(response) -> list[tuple[int, str, str]]:
    """The per-row report on a failed upload page."""
    return [(e.row, e.column, e.message) for e in response.context["result"].errors]


# --- Who may come in --------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASE_URLS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", CASE_URLS)
def test_users_without_a_provider_role_get_403(client, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name)).status_code in (403, 405)


def test_case_pages_open_for_a_provider_worker(worker_client):
    for name in CASE_URLS:
        assert worker_client.get(reverse(name)).status_code == 200


# --- The form -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_band", "agreed", "expected"),
    [
        ("0-3", False, {Respondent.PARENT}),
        ("4-11", True, {Respondent.PARENT}),
        ("12-15", False, {Respondent.YOUTH, Respondent.PARENT}),
        ("16-17", False, {Respondent.YOUTH}),
        ("16-17", True, {Respondent.YOUTH, Respondent.PARENT}),
        ("18-22", False, {Respondent.YOUTH}),
        ("18-22", True, {Respondent.YOUTH, Respondent.PARENT}),
    ],
)
def test_form_creates_the_case_and_the_invitations_the_age_rules_ask_for(
    worker_client, worker, care_provider, age_band, agreed, expected
):
    data = form_data(care_provider, age_band=age_band, youth_agreed_parent_invite=agreed or False)
    response = worker_client.post(reverse("feedback:case_add"), data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:case_saved", args=[case.pk])
    assert case.provider == care_provider
    assert case.created_by == worker
    assert case.start_month == datetime.date.fromisoformat(month(8) + "-01")
    assert case.end_month == datetime.date.fromisoformat(month(1) + "-01")
    assert set(case.invitations.values_list("respondent", flat=True)) == expected
    assert set(case.invitations.values_list("channel", flat=True)) == {"letter"}
    # Only a 16+ youth can agree; below that the box means nothing and is not stored.
    assert case.youth_agreed_parent_invite == (agreed and age_band in ("16-17", "18-22"))


def test_saved_page_says_how_many_invitations_were_made(worker_client, care_provider, monkeypatch):
    monkeypatch.setattr("feedback.views_cases.invitations_batch_url", lambda: None)
    response = worker_client.post(
        reverse("feedback:case_add"), form_data(care_provider), follow=True
    )
    content = response.content.decode()
    assert "Er zijn 2 uitnodigingen gemaakt." in content
    assert "De brieven kun je printen op de pagina Uitnodigingen." in content


def test_saved_page_links_to_the_letters_when_that_page_exists(
    worker_client, care_provider, monkeypatch
):
    monkeypatch.setattr("feedback.views_cases.invitations_batch_url", lambda: "/brieven/")
    response = worker_client.post(
        reverse("feedback:case_add"), form_data(care_provider), follow=True
    )
    assert '<a href="/brieven/">Uitnodigingen</a>' in response.content.decode()


def test_no_invite_creates_no_invitations(worker_client, care_provider):
    data = form_data(care_provider, no_invite="on", no_invite_reason="safety")
    response = worker_client.post(reverse("feedback:case_add"), data, follow=True)
    case = Case.objects.get()
    assert case.no_invite and case.no_invite_reason == "safety"
    assert not Invitation.objects.exists()
    assert "Er is geen uitnodiging gemaakt" in response.content.decode()


def test_no_invite_without_a_reason_is_refused(worker_client, care_provider):
    data = form_data(care_provider, no_invite="on")
    response = worker_client.post(reverse("feedback:case_add"), data)
    assert response.status_code == 200
    assert "no_invite_reason" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_no_invite_reason_without_the_box_ticked_is_refused(worker_client, care_provider):
    data = form_data(care_provider, no_invite_reason="deceased")
    response = worker_client.post(reverse("feedback:case_add"), data)
    assert "no_invite" in response.context["form"].errors
    assert not Case.objects.exists()


def test_empty_reference_gets_a_random_one(worker_client, care_provider):
    worker_client.post(reverse("feedback:case_add"), form_data(care_provider))
    worker_client.post(reverse("feedback:case_add"), form_data(care_provider))
    references = list(Case.objects.values_list("reference", flat=True))
    assert len(set(references)) == 2
    for reference in references:
        assert re.fullmatch(rf"C-[{REFERENCE_ALPHABET}]{{10}}", reference)


@pytest.mark.parametrize(
    "reference", ["ZP-2026-0001", "abcd", "A1-b2-C3", "x" * 32, "1234567890", "12345678"]
)
def test_a_chosen_reference_that_follows_the_rules_is_kept(worker_client, care_provider, reference):
    data = form_data(care_provider, reference=reference)
    worker_client.post(reverse("feedback:case_add"), data)
    assert Case.objects.get().reference == reference


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("abc", "4 tot 32 tekens"),
        ("x" * 33, "4 tot 32 tekens"),
        ("ZP_0001", "4 tot 32 tekens"),
        ("123456789", "BSN"),
        ("C-123-456-789", "BSN"),
        ("jan@example.nl", "@"),
        ("Jan Jansen", "spaties"),
    ],
)
def test_a_reference_that_breaks_the_rules_is_refused(
    worker_client, care_provider, reference, message
):
    data = form_data(care_provider, reference=reference)
    response = worker_client.post(reverse("feedback:case_add"), data)
    errors = response.context["form"].errors["reference"]
    assert any(message in error for error in errors)
    assert not Case.objects.exists()


def test_a_reference_that_is_already_used_is_refused(worker_client, care_provider):
    worker_client.post(reverse("feedback:case_add"), form_data(care_provider, reference="ZP-01"))
    response = worker_client.post(
        reverse("feedback:case_add"), form_data(care_provider, reference="ZP-01")
    )
    assert response.context["form"].errors["reference"] == ["Dit casusnummer bestaat al."]
    assert Case.objects.count() == 1


def test_end_month_before_start_month_is_refused(worker_client, care_provider):
    data = form_data(care_provider, start_month=month(2), end_month=month(3))
    response = worker_client.post(reverse("feedback:case_add"), data)
    assert response.context["form"].errors["end_month"] == ["De eindmaand ligt voor de startmaand."]


def test_end_month_in_the_future_is_refused_but_this_month_is_fine(worker_client, care_provider):
    response = worker_client.post(
        reverse("feedback:case_add"), form_data(care_provider, end_month=month(-1))
    )
    assert response.context["form"].errors["end_month"] == ["Deze maand ligt in de toekomst."]
    worker_client.post(reverse("feedback:case_add"), form_data(care_provider, end_month=month(0)))
    assert Case.objects.count() == 1


TOO_OLD = (
    "Deze casus is te lang geleden gestopt. We bewaren gegevens 24 maanden. "
    "Voer alleen casussen in die in {month} of later zijn gestopt."
)


def test_an_end_month_past_the_retention_period_is_refused(settings, worker_client, care_provider):
    settings.SURVEY_RETENTION_MONTHS = 24
    data = form_data(care_provider, start_month=month(30), end_month=month(25))
    response = worker_client.post(reverse("feedback:case_add"), data)
    assert response.context["form"].errors["end_month"] == [TOO_OLD.format(month=month(24))]
    assert not Case.objects.exists()

    data = form_data(care_provider, start_month=month(30), end_month=month(24))
    assert worker_client.post(reverse("feedback:case_add"), data).status_code == 302
    assert Case.objects.count() == 1, "the oldest month that is kept is fine"


def test_the_end_month_picker_starts_at_the_oldest_month_that_is_kept(
    settings, worker_client, care_provider
):
    settings.SURVEY_RETENTION_MONTHS = 12
    content = worker_client.get(reverse("feedback:case_add")).content.decode()
    assert re.search(rf'name="end_month"[^>]*min="{month(12)}"', content) or re.search(
        rf'min="{month(12)}"[^>]*name="end_month"', content
    )


def test_a_month_that_is_not_year_month_is_refused(worker_client, care_provider):
    data = form_data(care_provider, start_month="03-2025")
    response = worker_client.post(reverse("feedback:case_add"), data)
    assert "jaar-maand" in response.context["form"].errors["start_month"][0]


def test_email_channel_asks_for_the_address_of_everyone_who_is_invited(
    worker_client, care_provider
):
    data = form_data(care_provider, channel="email", youth_contact="jongere@example.nl")
    response = worker_client.post(reverse("feedback:case_add"), data)
    errors = response.context["form"].errors
    assert errors["parent_contact"] == ["Vul het e-mailadres van de ouder in."]
    assert "youth_contact" not in errors
    assert not Case.objects.exists()

    data["parent_contact"] = "ouder@example.nl"
    worker_client.post(reverse("feedback:case_add"), data)
    contacts = dict(Invitation.objects.values_list("respondent", "contact"))
    assert contacts == {"youth": "jongere@example.nl", "parent": "ouder@example.nl"}
    assert set(Invitation.objects.values_list("channel", flat=True)) == {"email"}


def test_email_invitations_go_out_when_the_case_is_saved(
    worker_client, care_provider, django_capture_on_commit_callbacks, mailoutbox
):
    import re

    from feedback.invitations import find_open_invitation

    data = form_data(care_provider, channel="email", age_band="4-11")
    data["parent_contact"] = "ouder@example.nl"
    with django_capture_on_commit_callbacks(execute=True):
        worker_client.post(reverse("feedback:case_add"), data)
    assert [message.to for message in mailoutbox] == [["ouder@example.nl"]]
    code = re.search(r"/m/([A-Z2-7]+)/", mailoutbox[0].body).group(1)
    assert find_open_invitation(code) == Invitation.objects.get()
    assert Invitation.objects.get().sent_at is not None


def test_a_wrong_email_address_is_refused(worker_client, care_provider):
    data = form_data(
        care_provider, channel="email", age_band="4-11", parent_contact="ouder-at-example"
    )
    response = worker_client.post(reverse("feedback:case_add"), data)
    assert "e-mailadres" in response.context["form"].errors["parent_contact"][0]


def test_sms_numbers_must_be_dutch_mobiles_and_are_stored_the_same_way(
    worker_client, care_provider
):
    data = form_data(
        care_provider, channel="sms", youth_contact="020 123 4567", parent_contact="+316123"
    )
    response = worker_client.post(reverse("feedback:case_add"), data)
    errors = response.context["form"].errors
    assert "06" in errors["youth_contact"][0]
    assert "06" in errors["parent_contact"][0]

    data.update(youth_contact="06 1234 5678", parent_contact="+31 6-87654321")
    saved = worker_client.post(reverse("feedback:case_add"), data, follow=True)
    contacts = dict(Invitation.objects.values_list("respondent", "contact"))
    assert contacts == {"youth": "+31612345678", "parent": "+31687654321"}
    assert "De sms-berichten zet je klaar op de pagina" in saved.content.decode()


def test_contacts_of_people_who_are_not_invited_are_not_kept(worker_client, care_provider):
    data = form_data(
        care_provider,
        channel="email",
        age_band="16-17",
        youth_contact="jongere@example.nl",
        parent_contact="ouder@example.nl",
    )
    worker_client.post(reverse("feedback:case_add"), data)
    assert list(Invitation.objects.values_list("respondent", "contact")) == [
        ("youth", "jongere@example.nl")
    ]


def test_letter_channel_keeps_no_contact_details(worker_client, care_provider):
    data = form_data(care_provider, parent_contact="ouder@example.nl")
    worker_client.post(reverse("feedback:case_add"), data)
    assert set(Invitation.objects.values_list("contact", flat=True)) == {""}


def test_a_provider_worker_cannot_register_for_another_provider(
    worker_client, care_provider, other_provider
):
    response = worker_client.post(reverse("feedback:case_add"), form_data(other_provider))
    assert response.context["form"].errors["provider"] == [
        "Voor deze aanbieder mag je geen casussen invoeren."
    ]
    assert not Case.objects.exists()
    choices = [str(choice) for _, choice in response.context["form"].fields["provider"].choices]
    assert "Andere Aanbieder" not in choices


def test_form_fields_have_labels_and_errors_are_tied_to_their_input(worker_client, care_provider):
    data = form_data(care_provider, reference="123456789", no_invite="on")
    content = worker_client.post(reverse("feedback:case_add"), data).content.decode()
    assert '<label for="id_reference">' in content
    assert 'aria-describedby="id_reference_helptext id_reference_error"' in content
    assert 'id="id_reference_error"' in content
    assert 'aria-invalid="true"' in content
    assert 'type="month"' in content
    assert 'role="alert"' in content


# --- The list -------------------------------------------------------------------------------


def _case(provider: Provider, reference: str, **fields) -> Case:
    defaults = {
        "help_type": "ambulant",
        "referrer": "gp",
        "start_month": datetime.date(2025, 1, 1),
        "end_month": datetime.date(2025, 6, 1),
        "end_reason": "as_planned",
        "district": "centrum",
        "age_band": "12-15",
        "channel": "letter",
    }
    return Case.objects.create(reference=reference, provider=provider, **{**defaults, **fields})


def test_case_list_shows_own_cases_and_never_who_answered(
    worker_client, care_provider, other_provider
):
    from feedback.invitations import issue_invitations

    own = _case(care_provider, "EIGEN-0001")
    issue_invitations(own)
    own.invitations.filter(respondent="parent").update(used=True)
    _case(other_provider, "VREEMD-0001")
    response = worker_client.get(reverse("feedback:case_list"))
    content = response.content.decode()
    assert "EIGEN-0001" in content
    assert "VREEMD-0001" not in content
    row = response.context["page"].object_list[0]
    assert row.invitation_count == 2
    assert not hasattr(row, "answered_count") and "Beantwoord" not in content


def test_case_list_is_paginated_newest_first(worker_client, care_provider):
    for number in range(30):
        _case(care_provider, f"LIJST-{number:04d}")
    first = worker_client.get(reverse("feedback:case_list"))
    assert first.context["page"].object_list[0].reference == "LIJST-0029"
    assert len(first.context["page"].object_list) == 25
    second = worker_client.get(reverse("feedback:case_list"), {"pagina": 2})
    assert [c.reference for c in second.context["page"].object_list][-1] == "LIJST-0000"


# --- The CSV template -----------------------------------------------------------------------


def test_template_downloads_as_an_excel_ready_csv(worker_client, care_provider):
    response = worker_client.get(reverse("feedback:case_template"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    header, example, *rest = body.decode("utf-8-sig").splitlines()
    assert rest == []
    assert header == ";".join(COLUMNS)
    values = dict(zip(COLUMNS, example.split(";"), strict=True))
    assert values["provider"] == "Zorgpartner Noord"
    assert values["channel"] == "letter"
    assert values["no_invite"] == "nee"
    assert re.fullmatch(r"\d{4}-\d{2}", values["end_month"])


def test_template_cells_cannot_start_a_spreadsheet_formula(worker_client, care_provider):
    care_provider.name = '=HYPERLINK("https://evil.example","Klik")'
    care_provider.save()
    body = worker_client.get(reverse("feedback:case_template")).content.decode("utf-8-sig")
    header, example = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert header == list(COLUMNS)
    values = dict(zip(COLUMNS, example, strict=True))
    assert values["provider"] == """'=HYPERLINK("https://evil.example","Klik")"""
    for cell in example:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))

    # Read back as it was written, the neutralised name still finds the provider.
    response = upload(worker_client, body.replace("VOORBEELD-1", "ZP-2026-0002"))
    assert response.status_code == 302
    assert Case.objects.get().provider == care_provider


@pytest.mark.parametrize("name", ["+Zorg", "-Zorg", "@Zorg", "\tZorg", "\rZorg"])
def test_template_csv_quotes_every_formula_start(name):
    body = case_rules.template_csv([Provider(name=name)])
    _, example = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert example[COLUMNS.index("provider")] == "'" + name


def test_template_reuploads_cleanly_after_editing_the_example_row(worker_client, care_provider):
    template = worker_client.get(reverse("feedback:case_template")).content.decode("utf-8-sig")
    edited = template.replace("VOORBEELD-1", "ZP-2026-0001")
    response = upload(worker_client, edited)
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:case_upload_done")
    case = Case.objects.get()
    assert case.reference == "ZP-2026-0001"
    assert case.provider == care_provider
    assert case.invitations.count() == 2

    done = worker_client.get(response["Location"]).content.decode()
    assert "1 casus is opgeslagen." in done
    assert "rijen gelezen" in done
    assert "seconden" in done


def test_the_unedited_example_row_is_not_imported(worker_client, care_provider):
    template = worker_client.get(reverse("feedback:case_template")).content.decode("utf-8-sig")
    response = upload(worker_client, template)
    assert report(response) == [
        (
            2,
            "reference",
            "Dit is de voorbeeldrij. Vervang hem door een echte casus of haal hem weg.",
        )
    ]
    assert not Case.objects.exists()


def test_upload_page_lists_the_allowed_codes(worker_client, care_provider):
    content = worker_client.get(reverse("feedback:case_upload")).content.decode()
    for code in ("local_team", "secure_residential", "early_provider", "graft-de-rijp", "18-22"):
        assert f"<code>{code}</code>" in content
    assert "<code>Zorgpartner Noord</code>" in content


# --- CSV: bad input ----------------------------------------------------------------------------


def test_csv_with_one_bad_row_imports_nothing(worker_client, care_provider):
    rows = [
        csv_row(care_provider, reference="GOED-0001"),
        csv_row(care_provider, reference="GOED-0002"),
        csv_row(care_provider, reference="FOUT-0003", help_type="thuishulp"),
    ]
    before = Case.objects.count()
    response = upload(worker_client, csv_text(rows))
    assert response.status_code == 200
    assert Case.objects.count() == before
    assert not Invitation.objects.exists()
    assert report(response) == [
        (4, "help_type", f"'thuishulp' kennen we niet. Kies uit: {', '.join(_help_codes())}.")
    ]
    content = response.content.decode()
    assert "Er is niets opgeslagen" in content
    assert '<td class="num-col">4</td>' in content
    assert "<code>help_type</code>" in content


def _help_codes() -> list[str]:
    from feedback.choices import HelpType

    return list(HelpType.values)


def test_csv_with_wrong_columns_gives_one_file_error_naming_the_columns(
    worker_client, care_provider
):
    columns = [name for name in COLUMNS if name != "district"] + ["naam"]
    response = upload(worker_client, csv_text([csv_row(care_provider)], columns=columns))
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert "Deze kolommen missen: district." in errors[0]
    assert "Deze kolommen kennen we niet: naam." in errors[0]
    assert ";".join(COLUMNS) in errors[0]
    assert response.context["result"].errors == []
    assert not Case.objects.exists()


def test_columns_in_another_order_are_fine(worker_client, care_provider):
    columns = list(reversed(COLUMNS))
    response = upload(worker_client, csv_text([csv_row(care_provider)], columns=columns))
    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_unknown_codes_are_reported_per_row_and_column(worker_client, care_provider):
    rows = [
        csv_row(care_provider, district="Amsterdam"),
        csv_row(care_provider, age_band="12-18", end_reason="klaar"),
    ]
    problems = [(row, column) for row, column, _ in report(upload(worker_client, csv_text(rows)))]
    assert problems == [(2, "district"), (3, "end_reason"), (3, "age_band")]


def test_codes_are_read_without_regard_to_capitals(worker_client, care_provider):
    row = csv_row(care_provider, help_type="Ambulant", channel="LETTER", no_invite="Nee")
    assert upload(worker_client, csv_text([row])).status_code == 302
    assert Case.objects.get().help_type == "ambulant"


def test_months_in_the_future_are_reported(worker_client, care_provider):
    rows = [csv_row(care_provider, end_month=month(-2)), csv_row(care_provider, end_month=month(0))]
    assert report(upload(worker_client, csv_text(rows))) == [
        (2, "end_month", "Deze maand ligt in de toekomst.")
    ]
    assert not Case.objects.exists()


def test_an_end_month_past_the_retention_period_is_reported(settings, worker_client, care_provider):
    settings.SURVEY_RETENTION_MONTHS = 24
    rows = [
        csv_row(care_provider, start_month=month(30), end_month=month(24)),
        csv_row(care_provider, start_month=month(30), end_month=month(25)),
    ]
    assert report(upload(worker_client, csv_text(rows))) == [
        (3, "end_month", TOO_OLD.format(month=month(24)))
    ]
    assert not Case.objects.exists(), "all or nothing"


def test_the_retention_message_follows_the_setting(settings, care_provider):
    settings.SURVEY_RETENTION_MONTHS = 1
    row = csv_row(care_provider, start_month=month(5), end_month=month(2))
    _, result = check_csv(csv_file(csv_text([row])), [care_provider])
    ((_, column, message),) = [(e.row, e.column, e.message) for e in result.errors]
    assert column == "end_month"
    assert "We bewaren gegevens 1 maand." in message
    assert month(1) in message


def test_an_end_before_the_start_is_reported(worker_client, care_provider):
    row = csv_row(care_provider, start_month=month(2), end_month=month(5))
    assert report(upload(worker_client, csv_text([row]))) == [
        (2, "end_month", "De eindmaand ligt voor de startmaand.")
    ]


@pytest.mark.parametrize("value", ["3-2025", "2025/03", "maart 2025", "2025-13", "2025-03-01"])
def test_months_not_written_as_year_month_are_reported(worker_client, care_provider, value):
    row = csv_row(care_provider, start_month=value)
    ((row_number, column, message),) = report(upload(worker_client, csv_text([row])))
    assert (row_number, column) == (2, "start_month")
    assert f"'{value}' is geen goede maand" in message


def test_duplicate_references_inside_the_file_are_reported(worker_client, care_provider):
    rows = [
        csv_row(care_provider, reference="DUBBEL-01"),
        csv_row(care_provider, reference="ANDER-02"),
        csv_row(care_provider, reference="DUBBEL-01"),
    ]
    assert report(upload(worker_client, csv_text(rows))) == [
        (4, "reference", "Dit casusnummer staat ook in rij 2.")
    ]
    assert not Case.objects.exists()


def test_references_already_in_the_database_are_reported(worker_client, care_provider):
    _case(care_provider, "BESTAAT-01")
    before = Case.objects.count()
    rows = [
        csv_row(care_provider, reference="NIEUW-01"),
        csv_row(care_provider, reference="BESTAAT-01"),
    ]
    assert report(upload(worker_client, csv_text(rows))) == [
        (3, "reference", "Dit casusnummer bestaat al.")
    ]
    assert Case.objects.count() == before


def test_a_reference_that_looks_like_a_citizen_number_is_reported(worker_client, care_provider):
    row = csv_row(care_provider, reference="123456789")
    ((_, column, message),) = report(upload(worker_client, csv_text([row])))
    assert column == "reference"
    assert "BSN" in message


def test_a_provider_that_is_not_ones_own_is_reported(worker_client, care_provider, other_provider):
    rows = [csv_row(care_provider), csv_row(other_provider)]
    ((row, column, message),) = report(upload(worker_client, csv_text(rows)))
    assert (row, column) == (3, "provider")
    assert "'Andere Aanbieder'" in message and "Zorgpartner Noord" in message
    assert not Case.objects.exists()


def test_no_invite_without_a_reason_is_reported(worker_client, care_provider):
    row = csv_row(care_provider, no_invite="ja")
    ((row_number, column, _),) = report(upload(worker_client, csv_text([row])))
    assert (row_number, column) == (2, "no_invite_reason")


def test_no_invite_rows_are_saved_without_invitations(worker_client, care_provider):
    rows = [
        csv_row(care_provider, no_invite="ja", no_invite_reason="anonymous", channel="email"),
        csv_row(care_provider, age_band="4-11"),
    ]
    response = upload(worker_client, csv_text(rows))
    assert response.status_code == 302
    assert Case.objects.count() == 2
    assert Invitation.objects.count() == 1
    summary = worker_client.session["case_upload_result"]
    assert (summary["cases"], summary["invitations"], summary["no_invite"]) == (2, 1, 1)


def test_email_or_sms_rows_are_sent_to_the_form(worker_client, care_provider):
    rows = [csv_row(care_provider, channel="email"), csv_row(care_provider, channel="sms")]
    result = report(upload(worker_client, csv_text(rows)))
    assert [(row, column) for row, column, _ in result] == [(2, "channel"), (3, "channel")]
    assert "formulier" in result[0][2]


def test_yes_no_must_be_ja_or_nee(worker_client, care_provider):
    row = csv_row(care_provider, youth_agreed_parent_invite="misschien")
    assert report(upload(worker_client, csv_text([row]))) == [
        (2, "youth_agreed_parent_invite", "Schrijf ja of nee.")
    ]


def test_a_row_with_too_few_cells_is_reported(worker_client, care_provider):
    text = csv_text([csv_row(care_provider)]) + "KORT-0001;Zorgpartner Noord;ambulant\r\n"
    ((row, column, message),) = report(upload(worker_client, text))
    assert (row, column) == (3, "")
    assert "3 vakken" in message


def test_every_problem_in_a_file_is_reported_at_once(worker_client, care_provider):
    rows = [csv_row(care_provider, district="x", channel="y") for _ in range(3)]
    response = upload(worker_client, csv_text(rows))
    assert len(report(response)) == 6
    assert response.context["result"].rows_with_errors == 3


def test_comma_separated_file_without_bom_is_accepted(worker_client, care_provider):
    response = upload(worker_client, csv_text([csv_row(care_provider)], delimiter=","), bom=False)
    assert response.status_code == 302
    assert Case.objects.count() == 1


def test_a_file_that_is_not_utf8_gets_a_friendly_error(worker_client, care_provider):
    data = csv_text([csv_row(care_provider, district="centrum")]).encode("utf-16")
    response = worker_client.post(
        reverse("feedback:case_upload"), {"file": SimpleUploadedFile("c.csv", data)}
    )
    assert "CSV UTF-8" in response.context["form"].errors["file"][0]
    assert not Case.objects.exists()


def test_an_empty_file_gets_a_friendly_error(worker_client, care_provider):
    response = upload(worker_client, csv_text([]))
    assert response.context["form"].errors["file"] == ["Er staan geen casussen in het bestand."]


def test_a_file_with_too_many_rows_is_refused(worker_client, care_provider, monkeypatch):
    monkeypatch.setattr(case_rules, "MAX_ROWS", 3)
    rows = [csv_row(care_provider) for _ in range(4)]
    response = upload(worker_client, csv_text(rows))
    assert "meer dan 3 rijen" in response.context["form"].errors["file"][0]
    assert not Case.objects.exists()


def test_a_file_over_5_mb_is_refused(worker_client, care_provider):
    text = csv_text([csv_row(care_provider)]) + " " * (5 * 1024 * 1024)
    response = upload(worker_client, text)
    assert "5 MB" in response.context["form"].errors["file"][0]


def test_the_same_file_sent_twice_is_imported_once(worker_client, care_provider):
    text = csv_text([csv_row(care_provider)])  # no reference: each upload would make a new one
    assert upload(worker_client, text).status_code == 302
    response = upload(worker_client, text)
    assert "net al ingelezen" in response.context["form"].errors["file"][0]
    assert Case.objects.count() == 1


def test_a_large_file_is_imported_in_chunks_and_reports_its_counts(worker_client, care_provider):
    rows = [csv_row(care_provider, age_band="16-17") for _ in range(1200)]
    response = upload(worker_client, csv_text(rows))
    assert response.status_code == 302
    assert Case.objects.count() == 1200
    assert Invitation.objects.count() == 1200
    assert len(set(Case.objects.values_list("reference", flat=True))) == 1200
    summary = worker_client.session["case_upload_result"]
    assert summary["rows"] == 1200 and summary["cases"] == 1200
    content = worker_client.get(reverse("feedback:case_upload_done")).content.decode()
    assert "1200" in content


def test_check_csv_skips_empty_rows_and_numbers_rows_as_a_spreadsheet_does(care_provider):
    text = (
        csv_text([csv_row(care_provider)])
        + ";;;;;;;;;;;;\r\n"
        + csv_text([csv_row(care_provider, referrer="buurman")]).split("\r\n", 1)[1]
    )
    cases, result = check_csv(csv_file(text), [care_provider])
    assert result.rows == 2
    assert [(e.row, e.column) for e in result.errors] == [(4, "referrer")]


def test_workers_find_their_cases_in_the_menu_and_visitors_do_not(worker_client, db):
    from django.test import Client

    assert 'href="/feedback/casussen/"' in worker_client.get("/zoeken/").content.decode()
    assert 'href="/feedback/casussen/"' not in Client().get("/zoeken/").content.decode()
