"""Learning signals: a type of help at a provider that scores low two half-years running."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from feedback import learning
from feedback.models import (
    AgeBand,
    District,
    EndReason,
    HelpType,
    Provider,
    Respondent,
    SurveyResponse,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counting")]


def _answers(provider, marks: list[int], end_period: str, help_type=HelpType.AMBULANT) -> None:
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            respondent=Respondent.YOUTH,
            period=f"{end_period[:4]}-{'02' if end_period.endswith('1') else '08'}",
            provider=provider,
            help_type=help_type,
            end_reason=EndReason.AS_PLANNED,
            district=District.OUDORP,
            age_band=AgeBand.AGE_16_17,
            end_period=end_period,
            usefulness=mark,
        )
        for mark in marks
    )


@pytest.fixture
def providers():
    """A provider that scores low, and two that score well (the reference)."""
    return (
        Provider.objects.create(name="Laag BV"),
        Provider.objects.create(name="Goed BV"),
        Provider.objects.create(name="Ook Goed BV"),
    )


def _year(low, good, other, periods=("2025-H1", "2025-H2"), low_marks=None, n=30):
    for period in periods:
        _answers(low, low_marks or [4, 5, 5, 6] * (n // 4) + [5] * (n % 4), period)
        _answers(good, [8, 9, 8, 7] * 10, period)
        _answers(other, [8, 8, 9, 7] * 10, period)


def test_a_cell_low_two_half_years_running_is_flagged(providers):
    low, good, other = providers
    _year(low, good, other)

    [signal] = learning.signals()

    assert (signal.provider, signal.help_type) == ("Laag BV", HelpType.AMBULANT)
    assert [half.period for half in signal.half_years] == ["2025-H1", "2025-H2"]
    first = signal.half_years[0]
    assert first.n == 30 and first.value == pytest.approx(5.0)
    assert first.high < first.reference, "the whole interval lies below all providers' mark"


def test_one_low_half_year_is_not_enough(providers):
    low, good, other = providers
    _year(low, good, other, periods=("2025-H1",))
    _answers(low, [8, 8, 9, 7] * 10, "2025-H2")
    _answers(good, [8] * 40, "2025-H2")
    assert learning.signals() == []


def test_half_years_that_do_not_follow_each_other_are_not_running(providers):
    low, good, other = providers
    _year(low, good, other, periods=("2024-H1", "2025-H1"))
    assert learning.signals() == []


def test_a_cell_with_fewer_than_the_minimum_is_never_flagged(providers):
    low, good, other = providers
    _year(low, good, other, n=29)
    assert learning.signals() == []
    with override_settings(SIGNAL_MIN_N=20):
        assert len(learning.signals()) == 1


def test_a_bit_below_average_is_not_low(providers):
    low, good, other = providers
    # 7.6 against about 7.9: below the mean, but its interval (7.2-8.0) still reaches it.
    _year(low, good, other, low_marks=[6, 9, 7, 8, 9, 6, 8, 7, 9, 7] * 3)
    assert learning.signals() == []


def test_only_staff_who_may_see_providers_read_the_page(providers):
    low, good, other = providers
    _year(low, good, other)
    user = get_user_model().objects.create_user("beleid", password="geheim-wachtwoord-1")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    client.force_login(user)
    url = "/beheer/leergesprekken/"
    assert client.get(url).status_code in (302, 403)
    assert url not in client.get("/beheer/").content.decode(), "no menu item either"

    user.user_permissions.add(Permission.objects.get(codename="view_provider"))
    html = client.get(url).content.decode()
    assert "Laag BV" in html and "Goed BV" not in html
    assert "2025-H1" in html and "2025-H2" in html
    assert url in client.get("/beheer/").content.decode(), "the menu item"
    assert Client().get(url).status_code == 302, "anonymous: to the login page"
