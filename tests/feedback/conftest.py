"""Shared data for the feedback tests: a provider and a case factory."""

from __future__ import annotations

import datetime
import itertools

import pytest

from feedback.choices import AgeBand, Channel, District, EndReason, HelpType, Referrer
from feedback.models import Case, Provider

_numbers = itertools.count(1)


@pytest.fixture
def provider(db) -> Provider:
    """A care provider."""
    return Provider.objects.create(name="Zorgaanbieder Test")


@pytest.fixture
def make_case(provider):
    """Make a closed case with sensible defaults; override any field."""

    def make(**fields) -> Case:
        defaults = {
            "reference": f"T-{next(_numbers):06d}",
            "provider": provider,
            "help_type": HelpType.AMBULANT,
            "referrer": Referrer.GP,
            "start_month": datetime.date(2026, 1, 1),
            "end_month": datetime.date(2026, 9, 1),
            "end_reason": EndReason.AS_PLANNED,
            "district": District.OUDORP,
            "age_band": AgeBand.AGE_12_15,
            "channel": Channel.LETTER,
        }
        return Case.objects.create(**{**defaults, **fields})

    return make


@pytest.fixture(params=["raw", "tallies"])
def counting(request, settings, monkeypatch):
    """Run an indicator test twice: counting the raw rows, and reading the pre-counted tallies.

    Tests that build data with bulk_create or straight into ResponseAggregate bypass the
    signals that keep the tallies current, so in "tallies" mode every count first rebuilds
    them; that the incremental tallies equal a rebuild is tests/feedback/test_tally.py's job.
    """
    from feedback import indicators, tally

    if request.param == "raw":
        settings.INDICATOR_TALLIES = False
    else:
        settings.INDICATOR_TALLIES = True
        counted = indicators._tallies
        seen = {}

        def rebuilt_first(*args, **kwargs):
            state = _data_fingerprint()
            if seen.get("state") != state:
                tally.rebuild()
                seen["state"] = state
            return counted(*args, **kwargs)

        monkeypatch.setattr(indicators, "_tallies", rebuilt_first)
    return request.param


def _data_fingerprint() -> tuple:
    """Enough to notice that a test added or changed answers, cases or kept totals."""
    from django.db.models import Count, Max, Sum

    from feedback.models import Invitation, ResponseAggregate, SurveyResponse

    return (
        SurveyResponse.objects.aggregate(n=Count("pk"), m=Max("period")),
        Case.objects.aggregate(n=Count("pk"), m=Max("pk"), e=Max("end_month")),
        Invitation.objects.filter(sent_at__isnull=False).aggregate(n=Count("pk"), m=Max("pk")),
        ResponseAggregate.objects.aggregate(n=Sum("count"), m=Max("pk")),
    )
