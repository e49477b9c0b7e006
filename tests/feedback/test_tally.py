"""The pre-counted tallies stay equal to a recount from the raw rows after every kind of write,
and the indicators read from them give the same figures as counting the raw rows."""

from __future__ import annotations

import datetime
import itertools
import random

import pytest
from django.core.management import call_command

from feedback import indicators, tally
from feedback.choices import AgeBand, District, EndReason, HelpType, Respondent
from feedback.models import Case, IndicatorTally, Invitation, Provider, SurveyResponse
from feedback.retention import purge
from feedback.synthetic import seed_synthetic_feedback

pytestmark = pytest.mark.django_db

_codes = itertools.count(1)


def _stored() -> dict:
    """Every non-zero tally cell."""
    return {
        tuple(row[:-1]): row[-1]
        for row in IndicatorTally.objects.exclude(count=0).values_list(*tally.KEY_FIELDS, "count")
    }


def _assert_equal_to_a_rebuild() -> None:
    incremental = _stored()
    tally.rebuild()
    assert incremental == _stored()


def _answer(provider=None, **fields) -> SurveyResponse:
    defaults = {
        "respondent": Respondent.YOUTH,
        "period": "2025-05",
        "provider": provider,
        "help_type": HelpType.AMBULANT,
        "end_reason": EndReason.AS_PLANNED,
        "district": District.OUDORP,
        "age_band": AgeBand.AGE_16_17,
        "end_period": "2025-H1",
        "usefulness": 7,
        "goals_reached": "4",
    }
    return SurveyResponse.objects.create(**{**defaults, **fields})


def _invite(case: Case, respondent=Respondent.YOUTH, sent=True) -> Invitation:
    return Invitation.objects.create(
        case=case,
        respondent=respondent,
        code_hash=f"tally-{next(_codes)}",
        channel="letter",
        expires_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        sent_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC) if sent else None,
    )


def test_a_new_answer_is_counted_at_once_in_every_split_and_scope(provider):
    _answer(provider, usefulness=8)

    cells = _stored()

    half_year = ("half_year", "overall", 0, False, "2025-H1", "", "youth")
    assert cells[(*half_year, "_responses", "")] == 1
    assert cells[(*half_year, "usefulness", "8")] == 1
    assert (
        cells[("quarter", "help_type", 0, False, "2025-Q2", "ambulant", "youth", "usefulness", "8")]
        == 1
    )
    assert (
        cells[
            (
                "half_year",
                "district",
                provider.pk,
                False,
                "2025-H1",
                "oudorp",
                "youth",
                "usefulness",
                "8",
            )
        ]
        == 1
    )
    assert (
        cells[
            (
                "half_year",
                "provider",
                0,
                False,
                "2025-H1",
                str(provider.pk),
                "youth",
                "_responses",
                "",
            )
        ]
        == 1
    )
    _assert_equal_to_a_rebuild()


def test_blank_answers_are_not_counted_but_the_response_is(provider):
    _answer(provider, usefulness=None, goals_reached="")

    questions = {key[7] for key in _stored()}

    assert questions == {"_responses"}
    _assert_equal_to_a_rebuild()


def test_cases_and_sent_invitations_follow_every_change(make_case, provider):
    other = Provider.objects.create(name="Andere aanbieder")
    case = make_case(end_reason=EndReason.EARLY_CLIENT, start_month=datetime.date(2024, 1, 1))
    _invite(case, Respondent.YOUTH)
    unsent = _invite(case, Respondent.PARENT, sent=False)
    _assert_equal_to_a_rebuild()

    unsent.sent_at = datetime.datetime(2025, 7, 1, tzinfo=datetime.UTC)
    unsent.save(update_fields=["sent_at"])
    _assert_equal_to_a_rebuild()

    case.provider = other
    case.district = District.CENTRUM
    case.end_month = datetime.date(2025, 3, 1)
    case.end_reason = EndReason.AS_PLANNED
    case.save()
    _assert_equal_to_a_rebuild()

    unsent.sent_at = None
    unsent.save()
    _assert_equal_to_a_rebuild()

    case.delete()
    assert _stored() == {}
    _assert_equal_to_a_rebuild()


def test_released_answers_are_counted_in_the_same_transaction(make_case):
    from feedback.models import SurveyDraft
    from feedback.survey import release_answers

    case = make_case()
    invitation = _invite(case)
    SurveyDraft.objects.create(
        invitation=invitation, answers={"usefulness": "9", "goals_reached": "5"}, submitted=True
    )

    assert release_answers() == 1

    assert (
        _stored()[("half_year", "overall", 0, False, "2026-H2", "", "youth", "usefulness", "9")]
        == 1
    )
    _assert_equal_to_a_rebuild()


def test_deleted_answers_and_providers_leave_no_stale_counts(
    provider, django_capture_on_commit_callbacks
):
    answers = [_answer(provider, usefulness=mark) for mark in (3, 6, 9)]
    answers[0].delete()
    _assert_equal_to_a_rebuild()

    with django_capture_on_commit_callbacks(execute=True):
        provider.delete()

    assert not [key for key in _stored() if key[2] == provider.pk or key[5] == str(provider.pk)]
    _assert_equal_to_a_rebuild()


def test_the_purge_keeps_half_years_and_drops_purged_quarters(make_case):
    case = make_case(start_month=datetime.date(2019, 1, 1), end_month=datetime.date(2020, 2, 1))
    _invite(case)
    _answer(case.provider, period="2020-03", end_period="2020-H1")
    before = {key: n for key, n in _stored().items() if key[0] == "half_year"}

    purge(datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC))

    after = _stored()
    assert not [key for key in after if key[0] == "quarter"]
    assert {key: n for key, n in after.items() if key[0] == "half_year"} == before
    _assert_equal_to_a_rebuild()


def test_random_writes_keep_the_tallies_equal_to_a_rebuild(make_case, provider):
    rng = random.Random(6)
    other = Provider.objects.create(name="Tweede aanbieder")
    cases = []
    for step in range(60):
        action = rng.choice(["answer", "answer", "case", "invite", "edit", "delete"])
        who = rng.choice([provider, other, None])
        if action == "answer":
            _answer(
                who,
                respondent=rng.choice([Respondent.YOUTH, Respondent.PARENT]),
                period=f"2025-{rng.randint(1, 12):02d}",
                end_period=rng.choice(["2024-H2", "2025-H1", "2025-H2"]),
                help_type=rng.choice(list(HelpType.values)),
                age_band=rng.choice(list(AgeBand.values)),
                usefulness=rng.choice([None, *range(1, 11)]),
            )
        elif action == "case" or not cases:
            cases.append(
                make_case(
                    provider=who or provider,
                    start_month=datetime.date(2024, 1, 1),
                    end_month=datetime.date(2025, rng.randint(1, 12), 1),
                    end_reason=rng.choice(list(EndReason.values)),
                )
            )
        elif action == "invite":
            case, respondent = rng.choice(cases), rng.choice(list(Respondent.values))
            if not case.invitations.filter(respondent=respondent).exists():
                _invite(case, respondent, rng.random() < 0.7)
        elif action == "edit":
            case = rng.choice(cases)
            case.help_type = rng.choice(list(HelpType.values))
            case.end_month = datetime.date(2025, rng.randint(1, 12), 1)
            case.save()
        else:
            cases.pop(rng.randrange(len(cases))).delete()
        if step % 15 == 14:
            _assert_equal_to_a_rebuild()
    _assert_equal_to_a_rebuild()


@pytest.mark.parametrize(
    ("split", "granularity", "filters"),
    [
        ("overall", indicators.HALF_YEAR, {}),
        ("help_type", indicators.HALF_YEAR, {"synthetic": True}),
        ("district", indicators.HALF_YEAR, {}),
        ("overall", indicators.QUARTER, {}),
        ("age_band", indicators.HALF_YEAR, {"respondent": Respondent.PARENT}),
        ("respondent", indicators.HALF_YEAR, {}),
        ("provider", indicators.HALF_YEAR, {}),
        ("help_type", indicators.HALF_YEAR, "first provider"),
        ("overall", indicators.QUARTER, {"help_type": HelpType.AMBULANT}),
    ],
)
def test_figures_from_the_tallies_equal_figures_from_the_raw_rows(
    settings, split, granularity, filters
):
    seed_synthetic_feedback(now=datetime.date(2026, 11, 1), cases=400)
    if filters == "first provider":
        filters = {"provider": Provider.objects.order_by("pk").first().pk}

    settings.INDICATOR_TALLIES = True
    from_tallies = indicators.figures(split, granularity, filters=filters)
    settings.INDICATOR_TALLIES = False
    from_rows = indicators.figures(split, granularity, filters=filters)

    assert from_tallies == from_rows
    assert from_rows


def test_questions_the_tallies_cannot_answer_are_counted_from_the_rows():
    assert indicators._tally_plan(("help_type",), {"district": "oudorp"}) is None
    assert indicators._tally_plan((), {"provider": [1, 2]}) is None
    assert indicators._tally_plan(("provider",), {"provider": 1}) is None
    assert indicators._tally_plan(("provider", "help_type"), {}) == indicators._TallyPlan(
        "help_type", 0, True
    )


def test_the_rebuild_command_says_how_many_cells_it_wrote(provider, capsys):
    _answer(provider)
    IndicatorTally.objects.all().delete()

    call_command("rebuild_tallies")

    assert capsys.readouterr().out.strip() == f"{IndicatorTally.objects.count()} cells written."
    assert IndicatorTally.objects.exists()
