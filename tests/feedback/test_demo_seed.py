"""`manage.py seed_demo` (what `make demo` runs) fills the feedback demo once, synthetic only."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from feedback.models import Case, Invitation, Provider, ResponseAggregate, SurveyResponse
from feedback.synthetic import DEFAULT_CASES, REFERENCE_PREFIX


def _counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "invitations": Invitation.objects.count(),
        "responses": SurveyResponse.objects.count(),
        "providers": Provider.objects.count(),
        "totals": ResponseAggregate.objects.count(),
    }


def test_seed_demo_creates_synthetic_cases_and_answers_once(db):
    call_command("seed_demo", stdout=StringIO())

    assert DEFAULT_CASES == 2000
    assert Case.objects.count() == Case.objects.filter(synthetic=True).count() == 2000
    assert all(
        ref.startswith(REFERENCE_PREFIX) for ref in Case.objects.values_list("reference", flat=True)
    )
    responses = SurveyResponse.objects.count()
    assert responses > 0
    assert SurveyResponse.objects.filter(synthetic=True).count() == responses
    assert SurveyResponse.objects.exclude(story_status="").exists(), "some consented stories"
    assert Invitation.objects.exists()
    assert not Invitation.objects.exclude(contact="").exists(), "no demo contact details"
    first = _counts()

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert _counts() == first, "a second run creates nothing new"
    assert "nothing to do" in out.getvalue()
