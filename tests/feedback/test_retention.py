"""Keeping data only as long as needed: expired codes, contact details, and the retention purge."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from feedback.choices import AgeBand, Channel, District, EndReason, HelpType, Respondent
from feedback.invitations import find_open_invitation, issue_invitations
from feedback.models import Case, Invitation, ResponseAggregate, SurveyDraft, SurveyResponse
from feedback.retention import close_expired, purge, retention_cutoff

NOW = datetime.datetime(2026, 10, 1, 9, 0, tzinfo=datetime.UTC)  # keeps data from 2024-10 on


def _answer(provider, end_period: str, **answers) -> SurveyResponse:
    return SurveyResponse.objects.create(
        respondent=answers.pop("respondent", Respondent.YOUTH),
        period="2024-01",
        provider=provider,
        help_type=HelpType.AMBULANT,
        end_reason=EndReason.AS_PLANNED,
        district=District.OUDORP,
        age_band=AgeBand.AGE_16_17,
        end_period=end_period,
        **answers,
    )


def _totals() -> dict[tuple[str, str, str, str], int]:
    return {
        (row.end_period, row.respondent, row.question, row.answer): row.count
        for row in ResponseAggregate.objects.all()
    }


def _email_case(make_case, **fields) -> Case:
    return make_case(age_band=AgeBand.AGE_18_22, channel=Channel.EMAIL, **fields)


# --- expired codes --------------------------------------------------------------------------


def test_close_expired_turns_saved_answers_into_an_answer_and_burns_the_code(make_case):
    sent_on = NOW - datetime.timedelta(days=40)
    (issued,) = issue_invitations(_email_case(make_case), {"youth": "jij@example.org"}, sent_on)
    Invitation.objects.filter(pk=issued.invitation.pk).update(sent_at=sent_on)
    SurveyDraft.objects.create(
        invitation=issued.invitation, answers={"usefulness": "7", "feels_safer": "4"}, step=3
    )

    report = close_expired(NOW)

    assert report.drafts_submitted == 1
    (answer,) = SurveyResponse.objects.all()
    assert (answer.usefulness, answer.feels_safer) == (7, "4")
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    assert invitation.used and invitation.contact == ""
    assert not SurveyDraft.objects.exists()
    assert (
        find_open_invitation(issued.code, now=invitation.expires_at - datetime.timedelta(1)) is None
    )

    again = close_expired(NOW)
    assert (again.drafts_submitted, again.contacts_cleared) == (0, 0)
    assert SurveyResponse.objects.count() == 1


def test_close_expired_clears_contacts_of_expired_codes_only(make_case):
    old = NOW - datetime.timedelta(days=40)
    (expired,) = issue_invitations(_email_case(make_case), {"youth": "oud@example.org"}, old)
    (running,) = issue_invitations(_email_case(make_case), {"youth": "nu@example.org"}, NOW)
    (never_sent,) = issue_invitations(_email_case(make_case), {"youth": "wacht@example.org"}, old)
    Invitation.objects.filter(pk__in=[expired.invitation.pk, running.invitation.pk]).update(
        sent_at=old
    )

    report = close_expired(NOW)

    assert (report.drafts_submitted, report.contacts_cleared) == (0, 1)
    contacts = dict(Invitation.objects.values_list("pk", "contact"))
    assert contacts[expired.invitation.pk] == ""
    assert contacts[running.invitation.pk] == "nu@example.org"
    assert contacts[never_sent.invitation.pk] == "wacht@example.org", "still to be sent"
    assert not SurveyResponse.objects.exists(), "no answer is made up from nothing"


def test_close_expired_command_prints_what_it_did(db):
    out = io.StringIO()
    call_command("close_expired", stdout=out)
    assert "Contact details cleared: 0" in out.getvalue()


# --- retention ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "months", "cutoff"),
    [
        (NOW, 24, datetime.date(2024, 10, 1)),
        (datetime.datetime(2026, 1, 31, tzinfo=datetime.UTC), 1, datetime.date(2025, 12, 1)),
        (datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC), 14, datetime.date(2025, 1, 1)),
    ],
)
def test_the_retention_cutoff_is_the_first_month_kept(now, months, cutoff):
    assert retention_cutoff(now, months) == cutoff


@pytest.fixture
def history(make_case, provider):
    """Two old cases, one recent one, and answers in expired and kept half-years."""
    old = make_case(start_month=datetime.date(2024, 1, 1), end_month=datetime.date(2024, 9, 1))
    old_parent = make_case(
        start_month=datetime.date(2024, 1, 1),
        end_month=datetime.date(2024, 9, 1),
        age_band=AgeBand.AGE_0_3,
    )
    recent = make_case(start_month=datetime.date(2024, 1, 1), end_month=datetime.date(2024, 10, 1))
    for case in (old, old_parent, recent):
        issue_invitations(case, now=NOW - datetime.timedelta(days=700))
    Invitation.objects.update(sent_at=NOW - datetime.timedelta(days=700))
    _answer(provider, "2023-H2", usefulness=8, feels_safer="4")
    _answer(provider, "2023-H2", usefulness=8, feels_safer="x")
    _answer(provider, "2023-H2", usefulness=6)
    _answer(provider, "2024-H1", usefulness=3, respondent=Respondent.PARENT, further_help="none")
    _answer(provider, "2024-H2", usefulness=10)
    return {"old": old, "old_parent": old_parent, "recent": recent}


def test_purge_deletes_old_cases_and_answers_and_keeps_their_totals(settings, history):
    settings.SURVEY_RETENTION_MONTHS = 24

    report = purge(NOW)

    assert report.cutoff == datetime.date(2024, 10, 1)
    assert report.periods == ["2023-H2", "2024-H1"]
    assert (report.cases_deleted, report.responses_deleted) == (2, 4)
    assert report.invitations_deleted == 3  # 12-15: youth and parent; 0-3: the parent
    assert list(Case.objects.all()) == [history["recent"]]
    assert list(SurveyResponse.objects.values_list("end_period", flat=True)) == ["2024-H2"]
    assert Invitation.objects.count() == 2, "the recent case keeps its invitations"

    totals = _totals()
    assert totals[("2023-H2", "youth", "_responses", "")] == 3
    assert totals[("2023-H2", "youth", "usefulness", "8")] == 2
    assert totals[("2023-H2", "youth", "usefulness", "6")] == 1
    assert totals[("2023-H2", "youth", "feels_safer", "4")] == 1
    assert totals[("2023-H2", "youth", "feels_safer", "x")] == 1
    assert totals[("2024-H1", "parent", "usefulness", "3")] == 1
    assert totals[("2024-H1", "parent", "further_help", "none")] == 1
    invited = ResponseAggregate.objects.filter(question="_invitations", end_period="2024-H2")
    assert sorted(invited.values_list("respondent", "age_band", "count")) == [
        ("parent", AgeBand.AGE_0_3, 1),
        ("parent", AgeBand.AGE_12_15, 1),
        ("youth", AgeBand.AGE_12_15, 1),
    ]
    assert ("2023-H2", "youth", "further_help", "") not in totals, "skipped questions not counted"
    assert not any(period == "2024-H2" and q == "usefulness" for period, _, q, _ in totals)
    cell = ResponseAggregate.objects.filter(question="_responses", end_period="2023-H2").get()
    assert (cell.provider, cell.help_type, cell.district) == (
        history["old"].provider,
        HelpType.AMBULANT,
        District.OUDORP,
    )


def test_running_the_purge_again_changes_nothing(history):
    purge(NOW)
    before = _totals()

    second = purge(NOW)

    assert not second.changed
    assert (second.cells_added, second.cells_updated) == (0, 0)
    assert _totals() == before
    assert Case.objects.count() == 1 and SurveyResponse.objects.count() == 1


def test_late_answers_for_a_purged_period_are_added_to_the_totals(provider, history):
    purge(NOW)
    _answer(provider, "2023-H2", usefulness=8)

    report = purge(NOW)

    assert report.cells_updated == 2 and report.cells_added == 0
    assert _totals()[("2023-H2", "youth", "usefulness", "8")] == 3
    assert _totals()[("2023-H2", "youth", "_responses", "")] == 4


def test_saved_answers_of_an_old_case_are_submitted_before_it_goes(history):
    invitation = history["old_parent"].invitations.get()
    SurveyDraft.objects.create(invitation=invitation, answers={"usefulness": "9"})

    report = purge(NOW)

    assert report.drafts_submitted == 1
    assert SurveyResponse.objects.filter(usefulness=9, end_period="2024-H2").exists()
    assert not SurveyDraft.objects.exists()


def test_the_purge_command_prints_what_it_did_and_a_dry_run_changes_nothing(history):
    out = io.StringIO()
    call_command("purge_feedback", "--dry-run", stdout=out)
    assert "Would delete" in out.getvalue()
    assert Case.objects.count() == 3 and not ResponseAggregate.objects.exists()

    out = io.StringIO()
    call_command("purge_feedback", stdout=out)
    assert "Deleted" in out.getvalue()
    assert not ResponseAggregate.objects.filter(count=0).exists()
