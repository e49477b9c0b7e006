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
