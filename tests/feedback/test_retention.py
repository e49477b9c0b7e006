"""Keeping data only as long as needed: expired codes, contact details, and the retention purge."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from feedback import delivery, survey
from feedback.choices import (
    AgeBand,
    Channel,
    District,
    EndReason,
    HelpType,
    NoInviteReason,
    Respondent,
)
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


def _made(issued, days_ago: int, **fields) -> Invitation:
    """Pretend the invitation was made (and maybe sent) this many days before NOW."""
    Invitation.objects.filter(pk=issued.invitation.pk).update(
        created_at=NOW - datetime.timedelta(days=days_ago), **fields
    )
    return Invitation.objects.get(pk=issued.invitation.pk)


def test_close_expired_clears_contacts_of_every_expired_code_sent_or_not(make_case):
    old = NOW - datetime.timedelta(days=40)
    (expired,) = issue_invitations(_email_case(make_case), {"youth": "oud@example.org"}, old)
    (running,) = issue_invitations(_email_case(make_case), {"youth": "nu@example.org"}, NOW)
    (never_sent,) = issue_invitations(
        make_case(age_band=AgeBand.AGE_18_22, channel=Channel.SMS), {"youth": "+31612345678"}, old
    )
    _made(expired, 40, sent_at=old)
    _made(running, 1, sent_at=NOW)
    _made(never_sent, 40)

    report = close_expired(NOW)

    assert (report.drafts_submitted, report.contacts_cleared) == (0, 2)
    contacts = dict(Invitation.objects.values_list("pk", "contact"))
    assert contacts[expired.invitation.pk] == ""
    assert contacts[never_sent.invitation.pk] == "", "an unsent code that expired keeps nothing"
    assert contacts[running.invitation.pk] == "nu@example.org"
    assert not SurveyResponse.objects.exists(), "no answer is made up from nothing"
    assert close_expired(NOW).contacts_cleared == 0


def test_close_expired_clears_every_contact_of_a_no_invite_case(make_case):
    case = _email_case(make_case)
    (issued,) = issue_invitations(case, {"youth": "geheim@example.org"}, NOW)
    _made(issued, 1, sent_at=NOW)
    other = _email_case(make_case)
    issue_invitations(other, {"youth": "gewoon@example.org"}, NOW)
    # Marked later: anonymous help, or a safety risk that came to light.
    Case.objects.filter(pk=case.pk).update(
        no_invite=True, no_invite_reason=NoInviteReason.values[0]
    )

    report = close_expired(NOW)

    assert report.contacts_cleared == 1
    assert Invitation.objects.get(case=case).contact == ""
    assert Invitation.objects.get(case=other).contact == "gewoon@example.org"


def test_an_email_still_unsent_after_7_days_loses_its_address_and_stays_unsent(
    make_case, mailoutbox
):
    assert delivery.UNSENT_EMAIL_DAYS == 7
    (stuck,) = issue_invitations(_email_case(make_case), {"youth": "fout@example.org"}, NOW)
    (recent,) = issue_invitations(_email_case(make_case), {"youth": "later@example.org"}, NOW)
    (letter,) = issue_invitations(make_case(age_band=AgeBand.AGE_0_3), now=NOW)
    _made(stuck, 7)
    _made(recent, 6)
    _made(letter, 20)

    report = close_expired(NOW)

    assert (report.unsent_given_up, report.contacts_cleared) == (1, 1)
    stuck_now = Invitation.objects.get(pk=stuck.invitation.pk)
    assert stuck_now.contact == "" and stuck_now.sent_at is None and not stuck_now.used
    assert Invitation.objects.get(pk=recent.invitation.pk).contact == "later@example.org"
    assert Invitation.objects.get(pk=letter.invitation.pk).sent_at is None, "letters wait"

    # send_invitations tries only the recent one; the one given up is not tried again.
    assert delivery.send_unsent_emails(NOW, base_url="https://jeugdstem.example") == 1
    assert [message.to for message in mailoutbox] == [["later@example.org"]]


def test_send_invitations_gives_up_on_mail_older_than_7_days_even_before_closing(
    make_case, mailoutbox
):
    (stuck,) = issue_invitations(_email_case(make_case), {"youth": "fout@example.org"}, NOW)
    _made(stuck, 8)

    assert delivery.send_unsent_emails(NOW, base_url="https://jeugdstem.example") == 0
    assert mailoutbox == []


def test_close_expired_releases_the_answers_it_submits(settings, make_case):
    settings.SURVEY_RELEASE_BATCH = 1000  # nothing is released by submit itself
    old = NOW - datetime.timedelta(days=40)
    (issued,) = issue_invitations(_email_case(make_case), {"youth": "jij@example.org"}, old)
    SurveyDraft.objects.create(invitation=issued.invitation, answers={"usefulness": "5"})

    assert close_expired(NOW).drafts_submitted == 1

    assert SurveyResponse.objects.get().usefulness == 5
    assert not SurveyDraft.objects.exists()


def test_close_expired_command_prints_what_it_did(make_case):
    (expired,) = issue_invitations(
        _email_case(make_case), {"youth": "oud@example.org"}, NOW - datetime.timedelta(days=40)
    )
    _made(expired, 40, sent_at=NOW - datetime.timedelta(days=40))

    out = io.StringIO()
    call_command("close_expired", "--now", "2026-10-01", stdout=out)

    assert "Contact details cleared: 1" in out.getvalue()
    assert Invitation.objects.get().contact == ""
    out = io.StringIO()
    call_command("close_expired", "--now", "2026-10-01", stdout=out)
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
    """Two old cases, one recent one, and answers in expired and kept half-years.

    With NOW the cutoff is 2024-10: 2024-H2 starts before it, so its answers go too.
    """
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
    _answer(provider, "2025-H1", usefulness=9)
    return {"old": old, "old_parent": old_parent, "recent": recent}


def test_purge_deletes_old_cases_and_answers_and_keeps_their_totals(settings, history):
    settings.SURVEY_RETENTION_MONTHS = 24

    report = purge(NOW)

    assert report.cutoff == datetime.date(2024, 10, 1)
    assert report.periods == ["2023-H2", "2024-H1", "2024-H2"]
    assert (report.cases_deleted, report.responses_deleted) == (2, 5)
    assert report.invitations_deleted == 3  # 12-15: youth and parent; 0-3: the parent
    assert list(Case.objects.all()) == [history["recent"]]
    assert list(SurveyResponse.objects.values_list("end_period", flat=True)) == ["2025-H1"]
    assert Invitation.objects.count() == 2, "the recent case keeps its invitations"

    totals = _totals()
    assert totals[("2023-H2", "youth", "_responses", "")] == 3
    assert totals[("2023-H2", "youth", "usefulness", "8")] == 2
    assert totals[("2023-H2", "youth", "usefulness", "6")] == 1
    assert totals[("2023-H2", "youth", "feels_safer", "4")] == 1
    assert totals[("2023-H2", "youth", "feels_safer", "x")] == 1
    assert totals[("2024-H1", "parent", "usefulness", "3")] == 1
    assert totals[("2024-H1", "parent", "further_help", "none")] == 1
    assert totals[("2024-H2", "youth", "usefulness", "10")] == 1
    invited = ResponseAggregate.objects.filter(question="_invitations", end_period="2024-H2")
    assert sorted(invited.values_list("respondent", "age_band", "count")) == [
        ("parent", AgeBand.AGE_0_3, 1),
        ("parent", AgeBand.AGE_12_15, 1),
        ("youth", AgeBand.AGE_12_15, 1),
    ]
    assert ("2023-H2", "youth", "further_help", "") not in totals, "skipped questions not counted"
    assert not any(period == "2025-H1" for period, *_ in totals), "kept answers are not counted"
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
    # Its half-year (2024-H2) is past retention as well: it is counted, then deleted.
    assert _totals()[("2024-H2", "parent", "usefulness", "9")] == 1
    assert not SurveyResponse.objects.filter(end_period="2024-H2").exists()
    assert not SurveyDraft.objects.exists()


def test_answers_submitted_but_not_yet_released_are_counted_before_their_case_goes(
    settings, history
):
    settings.SURVEY_RELEASE_BATCH = 1000  # submit() only queues the answer
    invitation = history["old_parent"].invitations.get()
    SurveyDraft.objects.create(invitation=invitation, answers={"usefulness": "2"})
    survey.submit(invitation)

    purge(NOW)

    assert _totals()[("2024-H2", "parent", "usefulness", "2")] == 1
    assert not SurveyDraft.objects.exists()


@pytest.mark.parametrize(
    ("now", "deleted", "kept"),
    [
        # cutoff 2024-07: 2024-H2 starts in the cutoff month itself, so it is kept
        (datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC), ["2024-H1"], ["2024-H2"]),
        # cutoff 2024-08: 2024-H2 starts a month before it and goes, five months early
        (datetime.datetime(2026, 8, 1, tzinfo=datetime.UTC), ["2024-H1", "2024-H2"], []),
        # cutoff 2025-01: the same
        (datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC), ["2024-H1", "2024-H2"], []),
        # cutoff 2025-02: 2025-H1 starts before it
        (
            datetime.datetime(2027, 2, 1, tzinfo=datetime.UTC),
            ["2024-H1", "2024-H2", "2025-H1"],
            [],
        ),
    ],
)
def test_answers_go_once_their_half_year_starts_before_the_cutoff(provider, now, deleted, kept):
    for period in ("2024-H1", "2024-H2", "2025-H1"):
        _answer(provider, period, usefulness=7)
    kept = sorted({*kept, "2025-H1"} - set(deleted))

    report = purge(now, months=24)

    assert report.periods == deleted
    assert sorted(SurveyResponse.objects.values_list("end_period", flat=True)) == kept
    for period in deleted:
        assert _totals()[(period, "youth", "usefulness", "7")] == 1, "counted before deleted"


def test_the_purge_command_prints_what_it_did_and_a_dry_run_changes_nothing(settings, history):
    settings.SURVEY_RETENTION_MONTHS = 24
    out = io.StringIO()
    call_command("purge_feedback", "--dry-run", "--now", "2026-10-01", stdout=out)
    assert "Keeping data from 2024-10 on." in out.getvalue()
    assert "Would delete: 2 cases, 3 invitations, 5 answers" in out.getvalue()
    assert Case.objects.count() == 3 and not ResponseAggregate.objects.exists()
    assert SurveyResponse.objects.count() == 6

    out = io.StringIO()
    call_command("purge_feedback", "--now", "2026-10-01", stdout=out)
    assert "Deleted: 2 cases, 3 invitations, 5 answers" in out.getvalue()
    assert "(periods 2023-H2, 2024-H1, 2024-H2)" in out.getvalue()
    assert list(Case.objects.all()) == [history["recent"]]
    assert not ResponseAggregate.objects.filter(count=0).exists()

    out = io.StringIO()
    call_command("purge_feedback", "--now", "2026-10-01", stdout=out)
    assert "Nothing was past its retention." in out.getvalue()


def test_the_purge_command_refuses_a_now_that_is_not_a_day(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("purge_feedback", "--now", "1-10-2026", stdout=io.StringIO())
