"""Keeping data only as long as needed: closing expired codes, and the yearly retention purge.

Expired codes: saved answers become an anonymous answer (they were acknowledged, so they are
never lost) and contact details go. Retention: cases and raw answers older than
SURVEY_RETENTION_MONTHS are deleted after their counts were added to ResponseAggregate.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from feedback.models import Case, Invitation, ResponseAggregate, SurveyResponse
from feedback.survey import COUNTED_QUESTIONS, submit

# The answers that are counted per value; open texts are not kept after the purge.
RESPONSES = "_responses"
INVITATIONS = "_invitations"
CELL = ("end_period", "respondent", "help_type", "provider_id", "district", "age_band", "synthetic")


@dataclass
class ClosingReport:
    """What closing expired codes did."""

    drafts_submitted: int = 0
    contacts_cleared: int = 0


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


def close_expired(now: datetime.datetime) -> ClosingReport:
    """Turn saved answers behind expired codes into anonymous answers; clear contact details."""
    report = ClosingReport()
    expired = Invitation.objects.filter(used=False, expires_at__lte=now)
    for invitation in expired.filter(draft__isnull=False):
        # submit() burns the code and clears the contact; it does not look at the expiry.
        if submit(invitation, now=now) is not None:
            report.drafts_submitted += 1
    # Only codes that went out: an invitation still waiting to be sent keeps its address.
    report.contacts_cleared = (
        expired.filter(sent_at__isnull=False).exclude(contact="").update(contact="")
    )
    return report


def half_year(month: datetime.date) -> str:
    """The end period of a month, e.g. 2026-H1."""
    return f"{month.year}-H{1 if month.month <= 6 else 2}"


def retention_cutoff(now: datetime.datetime, months: int) -> datetime.date:
    """The first month that is kept: data about earlier months is past its retention."""
    index = now.year * 12 + now.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _period_is_past(period: str, cutoff: datetime.date) -> bool:
    # A half-year goes only when all of it is before the cutoff.
    try:
        year, half = period.split("-H")
        last_month = datetime.date(int(year), 6 if half == "1" else 12, 1)
    except ValueError:
        return False
    return last_month < cutoff


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
    """Delete cases and raw answers past retention, keeping their counts; all or nothing."""
    months = settings.SURVEY_RETENTION_MONTHS if months is None else months
    report = PurgeReport(cutoff=retention_cutoff(now, months))
    with transaction.atomic():
        old_cases = Case.objects.filter(end_month__lt=report.cutoff)
        # Saved but never submitted answers were acknowledged: count them before the case goes.
        for invitation in Invitation.objects.filter(
            case__in=old_cases, used=False, draft__isnull=False
        ):
            if submit(invitation, now=now) is not None:
                report.drafts_submitted += 1

        sent = Invitation.objects.filter(case__in=old_cases, sent_at__isnull=False)
        counts = _invitation_counts(sent)

        report.periods = sorted(
            period
            for period in SurveyResponse.objects.values_list("end_period", flat=True).distinct()
            if _period_is_past(period, report.cutoff)
        )
        old_responses = SurveyResponse.objects.filter(end_period__in=report.periods)
        counts.update(_response_counts(old_responses))
        report.cells_added, report.cells_updated = _add_to_aggregates(counts)

        _, deleted = old_responses.delete()
        report.responses_deleted = deleted.get(SurveyResponse._meta.label, 0)
        _, deleted = old_cases.delete()
        report.cases_deleted = deleted.get(Case._meta.label, 0)
        report.invitations_deleted = deleted.get(Invitation._meta.label, 0)
    return report
