"""Synthetic demo feedback: the right amounts, valid answers, real structure, created once."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from statistics import mean

import pytest
from django.core.exceptions import FieldDoesNotExist

from feedback import safeguarding
from feedback.choices import AgeBand, EndReason, Respondent
from feedback.invitations import respondents_for
from feedback.models import Case, Invitation, Provider, SurveyResponse
from feedback.synthetic import (
    PROVIDERS,
    REFERENCE_PREFIX,
    SENTENCES,
    demo_half_years,
    seed_synthetic_feedback,
)

NOW = datetime.date(2026, 11, 22)
HALF_YEARS = ["2024-H2", "2025-H1", "2025-H2", "2026-H1"]

pytestmark = pytest.mark.django_db


def _marks_by(key) -> dict[str, float]:
    marks: dict[str, list[int]] = defaultdict(list)
    for response in SurveyResponse.objects.filter(usefulness__isnull=False):
        marks[key(response)].append(response.usefulness)
    return {group: mean(values) for group, values in marks.items()}


def test_the_default_demo_has_2000_cases_with_structure_for_the_learning_loop():
    report = seed_synthetic_feedback(now=NOW)

    assert report.cases == Case.objects.count() == 2000
    assert 600 <= report.responses <= 1100
    assert report.responses == SurveyResponse.objects.count()
    assert report.invitations == Invitation.objects.count()
    assert report.stories > 0 and report.approved_stories > 0
    assert set(SurveyResponse.objects.values_list("end_period", flat=True)) == set(HALF_YEARS)

    by_provider = _marks_by(lambda r: r.provider.name)
    assert len(by_provider) == len(PROVIDERS)
    assert max(by_provider.values()) - min(by_provider.values()) >= 0.8
    by_respondent = _marks_by(lambda r: r.respondent)
    assert by_respondent[Respondent.PARENT] > by_respondent[Respondent.YOUTH]
    by_half_year = _marks_by(lambda r: r.end_period)
    assert by_half_year[HALF_YEARS[-1]] > by_half_year[HALF_YEARS[0]]
    by_end_reason = _marks_by(lambda r: r.end_reason)
    assert by_end_reason[EndReason.EARLY_CLIENT] < by_end_reason[EndReason.AS_PLANNED] - 1


def test_a_second_call_creates_nothing_and_says_so():
    first = seed_synthetic_feedback(now=NOW, cases=100)
    counts = (Case.objects.count(), Invitation.objects.count(), SurveyResponse.objects.count())

    second = seed_synthetic_feedback(now=NOW, cases=100)

    assert first.cases == 100 and not first.skipped
    assert second.skipped and second.cases == second.responses == 0
    assert "nothing to do" in str(second)
    assert "100 cases" in str(first) and "\n" not in str(first)
    assert (
        Case.objects.count(),
        Invitation.objects.count(),
        SurveyResponse.objects.count(),
    ) == counts
    assert Provider.objects.count() == len(PROVIDERS)


def test_the_same_seed_gives_the_same_demo():
    def snapshot() -> list[tuple]:
        return list(
            Case.objects.order_by("reference").values_list(
                "reference", "provider__name", "help_type", "end_month", "age_band", "end_reason"
            )
        )

    def answers() -> Counter:
        return Counter(SurveyResponse.objects.values_list("provider__name", "usefulness", "period"))

    seed_synthetic_feedback(now=NOW, cases=150)
    first, first_answers = snapshot(), answers()
    SurveyResponse.objects.all().delete()
    Case.objects.all().delete()

    seed_synthetic_feedback(now=NOW, cases=150)

    assert snapshot() == first
    assert answers() == first_answers


def test_every_row_is_marked_synthetic_and_every_reference_is_a_demo_reference():
    seed_synthetic_feedback(now=NOW, cases=200)

    assert not Case.objects.filter(synthetic=False).exists()
    assert not SurveyResponse.objects.filter(synthetic=False).exists()
    assert all(
        ref.startswith(REFERENCE_PREFIX) for ref in Case.objects.values_list("reference", flat=True)
    )


def test_existing_providers_are_reused_by_name():
    Provider.objects.create(name="Demo Jeugd GGZ")

    report = seed_synthetic_feedback(now=NOW, cases=100)

    assert report.new_providers == len(PROVIDERS) - 1
    assert Provider.objects.count() == len(PROVIDERS)
    assert Provider.objects.get(name="CJG Alkmaar (demo)").is_cjg


def test_invitations_follow_the_age_rules_and_are_all_expired():
    seed_synthetic_feedback(now=NOW, cases=300)
    invited: dict[int, list[str]] = defaultdict(list)
    for case_id, respondent in Invitation.objects.values_list("case_id", "respondent"):
        invited[case_id].append(respondent)

    for case in Case.objects.all():
        assert sorted(invited[case.pk]) == sorted(respondents_for(case)), case.reference
        assert case.start_month <= case.end_month
        assert not case.no_invite or case.no_invite_reason
    cutoff = datetime.datetime.combine(NOW, datetime.time(0), tzinfo=datetime.UTC)
    assert not Invitation.objects.filter(expires_at__gte=cutoff).exists()
    assert not Invitation.objects.exclude(contact="").exists()
    used = Counter(Invitation.objects.filter(used=True).values_list("respondent", flat=True))
    answered = Counter(SurveyResponse.objects.values_list("respondent", flat=True))
    assert used == answered


def test_answers_are_valid_choices_and_carry_the_case_categories():
    seed_synthetic_feedback(now=NOW, cases=300)
    responses = list(SurveyResponse.objects.all())

    for response in responses:
        response.full_clean()
        assert response.end_period in HALF_YEARS
        half_year_start = datetime.date(
            int(response.end_period[:4]), 1 if response.end_period.endswith("1") else 7, 1
        )
        assert half_year_start.strftime("%Y-%m") <= response.period <= NOW.strftime("%Y-%m")
    for case in Case.objects.all()[:50]:
        case.full_clean()
    for field in ("usefulness", "goals_reached", "taken_seriously", "most_important_change"):
        blank = [r for r in responses if getattr(r, field) in ("", None)]
        assert blank, f"{field} is sometimes skipped"
    assert any(r.goals_reached == "none" for r in responses)
    assert any(r.problems_reduced == "x" for r in responses)


def test_stories_need_consent_text_and_a_parent_for_under_16s():
    seed_synthetic_feedback(now=NOW, cases=400)
    stories = SurveyResponse.objects.exclude(story_status="")

    assert stories.filter(story_status=SurveyResponse.StoryStatus.PENDING).exists()
    for story in stories:
        assert story.consent_to_quote
        assert story.most_important_change or story.what_should_change
        if story.respondent == Respondent.YOUTH and story.age_band == AgeBand.AGE_12_15:
            assert story.parent_consent
    assert not SurveyResponse.objects.filter(consent_to_quote=True, story_status="").exists()


def test_no_answer_field_leads_back_to_a_case_or_invitation():
    for model in (Case, Invitation):
        assert not any(
            getattr(field, "related_model", None) is model
            for field in SurveyResponse._meta.get_fields()
        )
    for name in ("case", "invitation", "reference", "code_hash", "contact"):
        with pytest.raises(FieldDoesNotExist):
            SurveyResponse._meta.get_field(name)


def test_the_demo_sentences_do_not_trip_the_safeguarding_check():
    assert 35 <= len(SENTENCES) <= 45
    flagged = [text for text in SENTENCES if safeguarding.check(text).flagged]
    assert flagged == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime.date(2026, 11, 22), HALF_YEARS),
        (datetime.date(2026, 3, 1), ["2024-H1", "2024-H2", "2025-H1", "2025-H2"]),
    ],
)
def test_the_demo_covers_the_four_half_years_before_now(now, expected):
    assert demo_half_years(now) == expected
