"""Keeping data only as long as needed: closing expired codes, and the retention purge.

Closing (daily, `manage.py close_expired`): saved answers behind expired codes become an
anonymous answer (they were acknowledged, so they are never lost), and contact details go
- of every expired invitation, sent or not;
- of every invitation of a case marked no-invite;
- of every e-mail invitation still unsent UNSENT_EMAIL_DAYS (7) days after it was made (the
  mail kept failing): it stays unsent and is not tried again.

Retention (daily, `manage.py purge_feedback`): the cutoff is the first month that is kept,
SURVEY_RETENTION_MONTHS before this month.
- A case goes when its end month is before the cutoff.
- Raw answers are kept per half-year of the case's end month, and go when that half-year STARTS
  before the cutoff month. This errs on the side of deleting early: answers about the last
  months before the cutoff go up to five months early, never late.
Both are first added to the kept totals in ResponseAggregate.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from feedback import survey
from feedback.choices import Channel
from feedback.delivery import give_up_before
from feedback.models import Case, Invitation, ResponseAggregate, SurveyResponse
from feedback.survey import COUNTED_QUESTIONS

# The answers that are counted per value; open texts are not kept after the purge.
RESPONSES = "_responses"
INVITATIONS = "_invitations"
# Kept counts of ended cases: answer = the end reason, respondent empty (feedback.indicators).
CASES = "_cases"
CELL = ("end_period", "respondent", "help_type", "provider_id", "district", "age_band", "synthetic")


@dataclass
class ClosingReport:
    """What closing expired codes did."""

    drafts_submitted: int = 0
    contacts_cleared: int = 0
    unsent_given_up: int = 0


@dataclass
class PurgeReport:
    """What one retention run did."""

    cutoff: datetime.date
    drafts_submitted: int = 0
    cases_deleted: int = 0
    invitations_deleted: int = 0
    responses_deleted: int = 0
    periods: list[str] = field(default_factory=list)
    cells_added: int = 0
    cells_updated: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything was deleted or counted."""
        return bool(self.cases_deleted or self.responses_deleted or self.drafts_submitted)


def _submit_drafts(invitations) -> int:
    """Submit the saved answers behind these invitations; return how many were submitted.

    Goes through feedback.survey.submit, then releases the queued answers, so no answer waits
    behind an invitation that goes.
    """
    submitted = 0
    for invitation in invitations:
        # submit() burns the code and clears the contact; it does not look at the expiry.
        if survey.submit(invitation):
            submitted += 1
    survey.release_answers()
    return submitted


def _clear_contacts(invitations) -> int:
    return invitations.exclude(contact="").update(contact="")


def close_expired(now: datetime.datetime) -> ClosingReport:
    """Turn saved answers behind expired codes into anonymous answers; clear contact details.

    Contacts are cleared on every expired invitation (sent or not), on all invitations of
    no-invite cases, and on e-mail invitations still unsent UNSENT_EMAIL_DAYS days after they
    were made (those stay unsent). Safe to run again: a second run finds nothing.
    """
    report = ClosingReport()
    expired = Invitation.objects.filter(expires_at__lte=now)
    report.drafts_submitted = _submit_drafts(expired.filter(used=False, draft__isnull=False))
    report.unsent_given_up = _clear_contacts(
        Invitation.objects.filter(
            channel=Channel.EMAIL, sent_at__isnull=True, created_at__lte=give_up_before(now)
        )
    )
    report.contacts_cleared = (
        report.unsent_given_up
        + _clear_contacts(expired)
        + _clear_contacts(Invitation.objects.filter(case__no_invite=True))
    )
    return report


def half_year(month: datetime.date) -> str:
    """The end period of a month, e.g. 2026-H1."""
    return f"{month.year}-H{1 if month.month <= 6 else 2}"


def retention_cutoff(now: datetime.date, months: int) -> datetime.date:
    """The first month that is kept: data about earlier months is past its retention.

    `now` may be a date or a datetime; only its year and month count.
    """
    index = now.year * 12 + now.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _period_is_past(period: str, cutoff: datetime.date) -> bool:
    # A half-year goes as soon as its first month is before the cutoff: early, never late.
    try:
        year, half = period.split("-H")
        first_month = datetime.date(int(year), 1 if half == "1" else 7, 1)
    except ValueError:
        return False
    return first_month < cutoff


def _response_counts(responses) -> Counter:
    counts: Counter = Counter()
    for row in responses.values(*CELL).annotate(n=Count("pk")):
        counts[(*(row[name] for name in CELL), RESPONSES, "")] += row["n"]
    for question in COUNTED_QUESTIONS:
        skipped = {f"{question}__isnull": True} if question == "usefulness" else {question: ""}
        rows = responses.exclude(**skipped).values(*CELL, question).annotate(n=Count("pk"))
        for row in rows:
            counts[(*(row[name] for name in CELL), question, str(row[question]))] += row["n"]
    return counts


def _invitation_counts(invitations) -> Counter:
    counts: Counter = Counter()
    rows = invitations.values(
        "respondent",
        "case__end_month",
        "case__help_type",
        "case__provider_id",
        "case__district",
        "case__age_band",
        "case__synthetic",
    ).annotate(n=Count("pk"))
    for row in rows:
        cell = (
            half_year(row["case__end_month"]),
            row["respondent"],
            row["case__help_type"],
            row["case__provider_id"],
            row["case__district"],
            row["case__age_band"],
            row["case__synthetic"],
        )
        counts[(*cell, INVITATIONS, "")] += row["n"]
    return counts


def _case_counts(cases) -> Counter:
    """Ended cases per end reason, so drop-out and "ended as planned" outlive the cases."""
    counts: Counter = Counter()
    rows = cases.values(
        "end_month",
        "help_type",
        "provider_id",
        "district",
        "age_band",
        "synthetic",
        "end_reason",
    ).annotate(n=Count("pk"))
    for row in rows:
        cell = (
            half_year(row["end_month"]),
            "",
            row["help_type"],
            row["provider_id"],
            row["district"],
            row["age_band"],
            row["synthetic"],
        )
        counts[(*cell, CASES, row["end_reason"])] += row["n"]
    return counts


def _add_to_aggregates(counts: Counter) -> tuple[int, int]:
    """Add counts to the kept totals (insert or add); return (cells added, cells updated)."""
    if not counts:
        return 0, 0
    keys = (*CELL, "question", "answer")
    periods = {key[0] for key in counts}
    existing = {
        tuple(getattr(row, name) for name in keys): row
        for row in ResponseAggregate.objects.select_for_update().filter(end_period__in=periods)
    }
    new, changed = [], []
    for key, n in counts.items():
        row = existing.get(key)
        if row is None:
            new.append(ResponseAggregate(**dict(zip(keys, key, strict=True)), count=n))
        else:
            row.count += n
            changed.append(row)
    ResponseAggregate.objects.bulk_create(new, batch_size=500)
    ResponseAggregate.objects.bulk_update(changed, ["count"], batch_size=500)
    return len(new), len(changed)


def purge(now: datetime.datetime, months: int | None = None) -> PurgeReport:
    """Delete cases and raw answers past retention, keeping their counts; all or nothing.

    Cases go when their end month is before the cutoff; raw answers go per end half-year as
    soon as that half-year starts before the cutoff month (see the module docstring).
    """
    from feedback import tally  # tally reads this module's question names

    months = settings.SURVEY_RETENTION_MONTHS if months is None else months
    report = PurgeReport(cutoff=retention_cutoff(now, months))
    with transaction.atomic(), tally.paused():
        old_cases = Case.objects.filter(end_month__lt=report.cutoff)
        # Saved but never submitted answers were acknowledged: count them before the case goes.
        # Answers submitted but not yet released are released here too, before their draft goes.
        report.drafts_submitted = _submit_drafts(
            Invitation.objects.filter(case__in=old_cases, used=False, draft__isnull=False)
        )

        sent = Invitation.objects.filter(case__in=old_cases, sent_at__isnull=False)
        counts = _invitation_counts(sent)
        counts.update(_case_counts(old_cases))

        report.periods = sorted(
            period
            for period in SurveyResponse.objects.values_list("end_period", flat=True).distinct()
            if _period_is_past(period, report.cutoff)
        )
        old_responses = SurveyResponse.objects.filter(end_period__in=report.periods)
        counts.update(_response_counts(old_responses))
        # Totals are kept in full; suppressing small cells in them comes with issue 6.
        report.cells_added, report.cells_updated = _add_to_aggregates(counts)

        _, deleted = old_responses.delete()
        report.responses_deleted = deleted.get(SurveyResponse._meta.label, 0)
        _, deleted = old_cases.delete()
        report.cases_deleted = deleted.get(Case._meta.label, 0)
        report.invitations_deleted = deleted.get(Invitation._meta.label, 0)
        # Quarters come from live rows only: recount what the purge moved into the totals.
        tally.rebuild()
    return report
