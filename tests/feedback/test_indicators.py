"""Indicators of the post-case survey, checked against figures worked out by hand."""

from __future__ import annotations

import datetime
import itertools

import pytest

from feedback import indicators
from feedback.choices import (
    AgeBand,
    District,
    EndReason,
    FurtherHelp,
    HelpType,
    Respondent,
)
from feedback.indicators import (
    DOWN,
    FLAT,
    HALF_YEAR,
    QUARTER,
    UP,
    Point,
    direction,
    figures,
    gaps,
    mean_interval,
    series,
    wilson_interval,
)
from feedback.models import Case, Invitation, Provider, ResponseAggregate, SurveyResponse
from feedback.retention import purge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("counting")]

_codes = itertools.count(1)


def _answer(provider=None, **fields) -> SurveyResponse:
    defaults = {
        "respondent": Respondent.YOUTH,
        "period": "2025-02",
        "provider": provider,
        "help_type": HelpType.AMBULANT,
        "end_reason": EndReason.AS_PLANNED,
        "district": District.OUDORP,
        "age_band": AgeBand.AGE_16_17,
        "end_period": "2025-H1",
    }
    return SurveyResponse.objects.create(**{**defaults, **fields})


def _invite(case: Case, respondent: str = Respondent.YOUTH, sent: bool = True) -> Invitation:
    sent_at = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)
    return Invitation.objects.create(
        case=case,
        respondent=respondent,
        code_hash=f"hash-{next(_codes)}",
        channel=case.channel,
        expires_at=sent_at + datetime.timedelta(days=30),
        sent_at=sent_at if sent else None,
    )


@pytest.fixture
def ended(make_case):
    """Make a closed case that started in its end month (the shared factory starts in 2026)."""

    def make(end_month: datetime.date = datetime.date(2025, 2, 1), **fields) -> Case:
        return make_case(start_month=end_month, end_month=end_month, **fields)

    return make


def _by_key(result, **where) -> dict:
    return {
        f.key: f for f in result if all(getattr(f, name) == value for name, value in where.items())
    }


# --- the interval formulas ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # The brief's examples, and Newcombe (1998), Statistics in Medicine 17:857-872, table II,
        # method 3 (Wilson score without continuity correction).
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_the_wilson_interval_matches_published_values(successes, n, low, high):
    interval = wilson_interval(successes, n)

    assert interval == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_the_wilson_interval_needs_a_denominator():
    assert wilson_interval(0, 0) is None
    assert wilson_interval(3, 2) is None


def test_the_mean_interval_uses_the_sample_standard_deviation():
    # Marks 6 and 8: mean 7, s = sqrt(2), standard error s / sqrt(2) = 1.
    mean, low, high = mean_interval(6 + 8, 36 + 64, 2)

    assert mean == 7
    assert (low, high) == (pytest.approx(7 - 1.959964), pytest.approx(7 + 1.959964))
    assert mean_interval(7, 49, 1) == (7, None, None), "one mark has no spread"
    assert mean_interval(0, 0, 0) == (None, None, None)


def test_direction_compares_the_intervals_of_the_last_two_periods():
    def point(value, low, high):
        return Point("p", value, 40, low, high)

    assert direction([point(0.5, 0.4, 0.6), point(0.8, 0.7, 0.9)]) == UP
    assert direction([point(0.8, 0.7, 0.9), point(0.5, 0.4, 0.6)]) == DOWN
    assert direction([point(0.5, 0.4, 0.6), point(0.65, 0.6, 0.7)]) == FLAT, "touching overlaps"
    assert direction([point(0.2, 0.1, 0.3), point(0.5, 0.4, 0.6), point(0.55, 0.45, 0.65)]) == FLAT
    assert direction([point(0.5, 0.4, 0.6)]) is None
    assert direction([point(0.5, 0.4, 0.6), Point("q", None, 0, None, None)]) is None


# --- each figure on a small crafted dataset -------------------------------------------------


def _crafted_answers():
    rows = [
        # usefulness, further_help, goals, problems_reduced, ended_right_moment
        (10, FurtherHelp.NONE, "5", "5", "yes"),
        (8, FurtherHelp.LIGHTER, "4", "4", "partly"),
        (7, FurtherHelp.NONE_BUT_EXPECTED, "3", "2", "no"),
        (6, FurtherHelp.SAME_OR_HEAVIER, "none", "x", ""),
        (5, "", "", "3", ""),
        (3, "", "", "", ""),
        (None, "", "", "", ""),
    ]
    for mark, further, goals, reduced, ended in rows:
        _answer(
            usefulness=mark,
            further_help=further,
            goals_reached=goals,
            problems_reduced=reduced,
            ended_right_moment=ended,
        )


def test_every_answer_figure_on_a_crafted_half_year():
    _crafted_answers()

    result = _by_key(figures(period="2025-H1"))

    mean = result["mark_mean"]
    assert (mean.n, mean.value, mean.kind) == (6, pytest.approx(39 / 6), indicators.MEAN)
    # Sum of squares 100+64+49+36+25+9 = 283; s^2 = (283 - 6 * 6.5^2) / 5 = 5.9.
    half_width = 1.959964 * (5.9 / 6) ** 0.5
    assert (mean.low, mean.high) == (
        pytest.approx(6.5 - half_width),
        pytest.approx(6.5 + half_width),
    )
    expected = {
        "mark_7_plus": (3, 6),
        "mark_5_or_less": (2, 6),
        "carry_on": (3, 4),
        "goals_reached": (2, 3),  # "no goals agreed" and blank are left out
        "agree_problems_reduced": (2, 4),  # "don't know" and blank are left out
        "agree_better_at_home": (0, 0),
        "ended_right_moment": (1, 3),
    }
    for key, (hits, n) in expected.items():
        figure = result[key]
        assert (figure.count, figure.n) == (hits, n), key
        if n:
            assert figure.value == pytest.approx(hits / n), key
            assert figure.ci == pytest.approx(wilson_interval(hits, n)), key
        else:
            assert (figure.value, figure.ci) == (None, None), key
    assert all(
        f.split == "overall" and f.group is None and not f.staff_only for f in result.values()
    )


def test_figures_come_in_a_fixed_order_with_their_labels():
    _crafted_answers()

    result = figures()

    assert [f.key for f in result] == indicators.keys_for()
    assert str(result[0].label) == "Gemiddeld rapportcijfer"
    assert {f.period for f in result} == {"2025-H1"}
    assert figures() == result, "the same data gives the same figures"
    only = figures(keys=(key for key in ["carry_on", "mark_mean"]))
    assert [f.key for f in only] == ["mark_mean", "carry_on"]


def test_dropout_counts_ended_early_by_the_client_against_cases_without_an_external_cause(
    ended,
):
    reasons = {
        EndReason.EARLY_CLIENT: 2,
        EndReason.AS_PLANNED: 5,
        EndReason.EARLY_AGREED: 1,
        EndReason.EARLY_PROVIDER: 1,
        EndReason.EXTERNAL: 3,
    }
    for reason, count in reasons.items():
        for _ in range(count):
            ended(end_reason=reason, end_month=datetime.date(2025, 5, 1))
    ended(end_reason=EndReason.EARLY_CLIENT, end_month=datetime.date(2025, 7, 1))

    result = _by_key(figures(period="2025-H1"))

    assert (result["dropout"].count, result["dropout"].n) == (2, 9)
    assert result["dropout"].value == pytest.approx(2 / 9)
    assert (result["ended_as_planned"].count, result["ended_as_planned"].n) == (5, 12)
    assert _by_key(figures(period="2025-H2"))["dropout"].value == 1


def test_response_rate_is_answers_per_invitation_sent(ended):
    for _ in range(2):
        case = ended(age_band=AgeBand.AGE_12_15, end_month=datetime.date(2025, 4, 1))
        _invite(case, Respondent.YOUTH)
        _invite(case, Respondent.PARENT)
    _invite(ended(end_month=datetime.date(2025, 4, 1)), sent=False)  # never sent: not counted
    for respondent in (Respondent.YOUTH, Respondent.PARENT, Respondent.PARENT):
        _answer(respondent=respondent, usefulness=7)

    rate = _by_key(figures(period="2025-H1"))["response_rate"]

    assert (rate.count, rate.n, rate.value) == (3, 4, 0.75)
    split = {
        f.group: (f.count, f.n)
        for f in figures("respondent", period="2025-H1", keys=["response_rate"])
    }
    assert split == {Respondent.YOUTH: (1, 2), Respondent.PARENT: (2, 2)}


# --- splits ---------------------------------------------------------------------------------


def test_splits_give_one_figure_per_group_in_a_stable_order(ended):
    _answer(help_type=HelpType.AMBULANT, usefulness=8)
    _answer(help_type=HelpType.AMBULANT, usefulness=6)
    _answer(help_type=HelpType.LOCAL_TEAM, usefulness=9)
    ended(help_type=HelpType.LOCAL_TEAM, end_month=datetime.date(2025, 2, 1))

    result = [f for f in figures("help_type") if f.key == "mark_mean"]

    # LOCAL_TEAM comes before AMBULANT among the national categories.
    assert [(f.group, f.value, f.n) for f in result] == [
        (HelpType.LOCAL_TEAM, 9, 1),
        (HelpType.AMBULANT, 7, 2),
    ]
    assert str(result[0].group_label) == "Lokaal team / CJG"
    dropout = [f for f in figures("help_type") if f.key == "dropout"]
    assert [(f.group, f.n) for f in dropout] == [(HelpType.LOCAL_TEAM, 1), (HelpType.AMBULANT, 0)]


def test_the_provider_split_is_staff_only_and_named(provider):
    other = Provider.objects.create(name="Aanbieder Alfa")
    _answer(provider, usefulness=6)
    _answer(other, usefulness=9)
    _answer(None, usefulness=4)  # its provider was deleted

    result = [f for f in figures("provider") if f.key == "mark_mean"]

    assert [(f.group, str(f.group_label), f.value) for f in result] == [
        (other.pk, "Aanbieder Alfa", 9),
        (provider.pk, "Zorgaanbieder Test", 6),
        (None, "Aanbieder onbekend", 4),
    ]
    assert all(f.staff_only for f in result)
    own = figures(filters={"provider": provider})
    assert all(f.staff_only for f in own), "a provider's own figures are not public either"
    assert _by_key(own)["mark_mean"].value == 6
    assert not any(f.staff_only for f in figures("district"))


def test_district_age_band_and_respondent_splits(ended):
    _answer(district=District.CENTRUM, age_band=AgeBand.AGE_12_15, usefulness=5)
    _answer(district=District.DE_MARE, age_band=AgeBand.AGE_18_22, usefulness=9)
    _answer(respondent=Respondent.PARENT, district=District.DE_MARE, usefulness=7)
    ended(end_month=datetime.date(2025, 2, 1))

    def means(split):
        return [(f.group, f.value) for f in figures(split) if f.key == "mark_mean"]

    assert means("district") == [
        (District.CENTRUM, 5),
        (District.OUDORP, None),  # the case's district: case figures only
        (District.DE_MARE, 8),
    ]
    assert means("age_band") == [
        (AgeBand.AGE_12_15, 5),
        (AgeBand.AGE_16_17, 7),
        (AgeBand.AGE_18_22, 9),
    ]
    assert means("respondent") == [(Respondent.YOUTH, 7), (Respondent.PARENT, 7)]
    assert not [f for f in figures("respondent") if f.key in indicators.CASE_KEYS], (
        "a case has no respondent, so drop-out has no respondent split"
    )
    assert not [f for f in figures(filters={"respondent": "youth"}) if f.key == "dropout"]


def test_unknown_splits_filters_and_indicators_are_refused():
    with pytest.raises(ValueError):
        figures("referrer")
    with pytest.raises(ValueError):
        figures(filters={"colour": "red"})
    with pytest.raises(ValueError):
        figures(keys=["happiness"])
    with pytest.raises(ValueError):
        figures(granularity="week")
    assert figures() == [] and series() == [] and gaps() == []


def test_synthetic_data_can_be_kept_apart():
    _answer(usefulness=4)
    _answer(usefulness=8, synthetic=True)

    assert _by_key(figures(filters={"synthetic": False}))["mark_mean"].value == 4
    assert _by_key(figures(filters={"synthetic": True}))["mark_mean"].value == 8
    assert _by_key(figures())["mark_mean"].value == 6


# --- periods and trends ---------------------------------------------------------------------


def test_half_years_follow_the_end_of_the_help_and_make_a_trend():
    for _ in range(40):
        _answer(end_period="2024-H2", period="2025-01", usefulness=5)
        _answer(end_period="2025-H1", period="2025-07", usefulness=9)

    assert indicators.periods() == ["2024-H2", "2025-H1"]
    (mean,) = series(keys=["mark_mean"])
    assert [(p.period, p.value, p.n) for p in mean.points] == [
        ("2024-H2", 5, 40),
        ("2025-H1", 9, 40),
    ]
    assert mean.direction == UP and mean.higher_is_better
    (low,) = series(keys=["mark_5_or_less"])
    assert [p.value for p in low.points] == [1, 0]
    assert low.direction == DOWN and not low.higher_is_better
    assert low.points[0].ci == pytest.approx(wilson_interval(40, 40))


def test_a_flat_trend_when_the_last_two_intervals_overlap():
    for mark in (6, 7, 8, 6, 7, 8):
        _answer(end_period="2024-H2", usefulness=mark)
        _answer(end_period="2025-H1", usefulness=mark + (mark == 8))

    (mean,) = series(keys=["mark_mean"])

    assert mean.points[1].value > mean.points[0].value
    assert mean.direction == FLAT


def test_series_per_group_cover_the_periods_the_group_has_data_in():
    _answer(end_period="2024-H2", help_type=HelpType.AMBULANT, usefulness=6)
    _answer(end_period="2025-H1", help_type=HelpType.AMBULANT, usefulness=8)
    _answer(end_period="2025-H1", help_type=HelpType.FOSTER_CARE, usefulness=7)
    _answer(end_period="2025-H1", help_type=HelpType.LOCAL_TEAM, usefulness=9)

    result = series("help_type", keys=["mark_mean"])

    assert [(s.group, [p.period for p in s.points]) for s in result] == [
        (HelpType.LOCAL_TEAM, ["2025-H1"]),
        (HelpType.AMBULANT, ["2024-H2", "2025-H1"]),
        (HelpType.FOSTER_CARE, ["2025-H1"]),
    ]
    assert result[0].direction is None, "one period has no trend"


def test_quarters_follow_the_answer_month_and_are_reported_only_when_every_cell_is_big_enough(
    settings,
):
    settings.SUPPRESSION_MIN_N = 3
    settings.SUPPRESSION_MIN_N_PERCENT = 4
    for month, count in {
        "2025-01": 4,
        "2025-05": 2,
        "2025-07": 4,
        "2025-10": 4,
        "2026-02": 3,
    }.items():
        for _ in range(count):
            _answer(period=month, usefulness=7)

    assert indicators.periods(QUARTER) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    shown = {(f.period, f.key) for f in figures(granularity=QUARTER)}
    # Q2 has a cell of 2: neither Q2 nor Q1 (Q1 = H1 - Q2 would give it away) is shown.
    assert not {p for p, _ in shown} & {"2025-Q1", "2025-Q2"}
    assert ("2025-Q3", "mark_mean") in shown and ("2025-Q3", "mark_7_plus") in shown
    # 2026-Q1 has 3 marks: enough for a mean (minimum 3), not for a share (minimum 4).
    assert ("2026-Q1", "mark_mean") in shown and ("2026-Q1", "mark_7_plus") not in shown
    assert "response_rate" not in indicators.keys_for(granularity=QUARTER)
    assert indicators.quarter_is_reportable("mark_mean", "2025-Q4")
    assert not indicators.quarter_is_reportable("mark_mean", "2025-Q1")
    (trend,) = series(granularity=QUARTER, keys=["mark_mean"])
    assert [p.period for p in trend.points] == ["2025-Q3", "2025-Q4", "2026-Q1"]
    assert trend.granularity == QUARTER


def test_quarters_of_cases_follow_their_end_month(ended, settings):
    settings.SUPPRESSION_MIN_N_PERCENT = 2
    for month, reason in [
        (1, EndReason.EARLY_CLIENT),
        (2, EndReason.AS_PLANNED),
        (8, EndReason.AS_PLANNED),
        (9, EndReason.AS_PLANNED),
    ]:
        ended(end_month=datetime.date(2025, month, 1), end_reason=reason)

    dropout = {f.period: (f.count, f.n) for f in figures(granularity=QUARTER) if f.key == "dropout"}

    assert dropout == {"2025-Q1": (1, 2), "2025-Q3": (0, 2)}


def test_quarter_of_a_month():
    assert indicators.quarter_of_month("2025-03") == "2025-Q1"
    assert indicators.quarter_of_month("2025-10") == "2025-Q4"
    assert indicators.quarter_of_month("2025-13") is None
    assert indicators.quarter_of_month("garbage") is None
    assert indicators.sibling_quarter("2025-Q3") == "2025-Q4"
    assert indicators.half_year_of_quarter("2025-Q2") == "2025-H1"


# --- the gap between young people and parents -------------------------------------------------


def test_the_gap_is_young_people_minus_parents_with_both_ns(ended):
    for mark in (6, 8):
        _answer(respondent=Respondent.YOUTH, usefulness=mark)
    for mark in (8, 9, 10):
        _answer(respondent=Respondent.PARENT, usefulness=mark)

    result = {gap.key: gap for gap in gaps()}

    mean = result["mark_mean"]
    assert (mean.youth.value, mean.parent.value, mean.difference) == (7, 9, -2)
    assert (mean.youth_n, mean.parent_n, mean.period, mean.group) == (2, 3, "2025-H1", None)
    share = result["mark_7_plus"]
    assert share.difference == pytest.approx(1 / 2 - 3 / 3)
    assert "carry_on" not in result, "nobody answered it"
    assert "dropout" not in result


def test_the_gap_per_group(provider):
    _answer(provider, respondent=Respondent.YOUTH, help_type=HelpType.AMBULANT, usefulness=5)
    _answer(provider, respondent=Respondent.PARENT, help_type=HelpType.AMBULANT, usefulness=8)
    _answer(provider, respondent=Respondent.PARENT, help_type=HelpType.FOSTER_CARE, usefulness=6)

    result = [g for g in gaps("help_type") if g.key == "mark_mean"]

    assert [(g.group, g.youth_n, g.parent_n, g.difference) for g in result] == [
        (HelpType.AMBULANT, 1, 1, -3),
        (HelpType.FOSTER_CARE, 0, 1, None),
    ]
    assert all(g.staff_only for g in gaps("provider"))
    with pytest.raises(ValueError):
        gaps("respondent")


# --- totals kept after retention ------------------------------------------------------------


def test_figures_are_the_same_after_retention_purged_the_raw_answers(ended):
    old_case = ended(age_band=AgeBand.AGE_12_15, end_month=datetime.date(2023, 3, 1))
    _invite(old_case, Respondent.YOUTH)
    _invite(old_case, Respondent.PARENT)
    for mark, respondent in [(4, "youth"), (9, "parent"), (7, "youth"), (None, "parent")]:
        _answer(end_period="2023-H1", respondent=respondent, usefulness=mark, problems_reduced="4")
    _answer(end_period="2025-H1", usefulness=8)  # recent: stays raw
    before = figures("respondent", keys=indicators.ANSWER_KEYS + ("response_rate",))
    gaps_before = gaps()
    cases_before = figures("age_band", keys=indicators.CASE_KEYS)
    assert any(figure.n for figure in cases_before)

    report = purge(datetime.datetime(2025, 10, 1, tzinfo=datetime.UTC), months=24)

    assert report.periods == ["2023-H1"] and report.responses_deleted == 4
    assert SurveyResponse.objects.count() == 1
    assert figures("respondent", keys=indicators.ANSWER_KEYS + ("response_rate",)) == before
    assert gaps() == gaps_before
    # Drop-out and "ended as planned" outlive the deleted cases too.
    assert Case.objects.filter(end_month__lt=datetime.date(2023, 10, 1)).count() == 0
    assert figures("age_band", keys=indicators.CASE_KEYS) == cases_before
    rate = _by_key(figures(period="2023-H1"))["response_rate"]
    assert (rate.count, rate.n) == (4, 2), "more answers than letters here, so no interval"
    assert rate.ci is None


def test_kept_totals_and_raw_answers_of_one_half_year_add_up():
    cell = {
        "end_period": "2025-H1",
        "respondent": Respondent.YOUTH,
        "help_type": HelpType.AMBULANT,
        "provider": None,
        "district": District.OUDORP,
        "age_band": AgeBand.AGE_16_17,
    }
    for question, answer, count in [
        ("_responses", "", 3),
        ("_invitations", "", 10),
        ("usefulness", "10", 2),
        ("usefulness", "4", 1),
        ("further_help", FurtherHelp.NONE, 3),
    ]:
        ResponseAggregate.objects.create(**cell, question=question, answer=answer, count=count)
    _answer(usefulness=7, further_help=FurtherHelp.SAME_OR_HEAVIER)

    result = _by_key(figures())

    assert (result["mark_mean"].n, result["mark_mean"].value) == (4, pytest.approx(31 / 4))
    assert (result["carry_on"].count, result["carry_on"].n) == (3, 4)
    assert (result["response_rate"].count, result["response_rate"].n) == (4, 10)


def test_kept_case_totals_give_drop_out_after_the_cases_are_gone(ended):
    cell = {
        "end_period": "2023-H1",
        "respondent": "",
        "help_type": HelpType.AMBULANT,
        "provider": None,
        "district": District.OUDORP,
        "age_band": AgeBand.AGE_4_11,
        "question": indicators.CASES,
    }
    for reason, count in [
        (EndReason.EARLY_CLIENT, 3),
        (EndReason.AS_PLANNED, 6),
        (EndReason.EXTERNAL, 2),
    ]:
        ResponseAggregate.objects.create(**cell, answer=reason, count=count)
    ended(end_month=datetime.date(2023, 6, 1), end_reason=EndReason.EARLY_CLIENT)

    result = _by_key(figures())

    assert (result["dropout"].count, result["dropout"].n) == (4, 10)
    assert (result["ended_as_planned"].count, result["ended_as_planned"].n) == (6, 12)
    assert [f.key for f in figures("respondent")] == [], "case totals have no respondent"


# --- the demo data --------------------------------------------------------------------------


def test_the_synthetic_demo_gives_figures_for_every_split():
    from feedback.synthetic import seed_synthetic_feedback

    seed_synthetic_feedback(now=datetime.date(2026, 11, 22), cases=300)

    assert indicators.periods() == ["2024-H2", "2025-H1", "2025-H2", "2026-H1"]
    for split in indicators.SPLITS:
        result = figures(split)
        assert result, split
        assert all(f.n >= 0 for f in result)
        assert all(f.low <= f.value <= f.high for f in result if f.ci is not None), split
        series(split)
        if split != "respondent":
            gaps(split)
    overall = {(f.period, f.key): f for f in figures(filters={"synthetic": True})}
    latest = overall[("2026-H1", "mark_mean")]
    assert 5 < latest.value < 9 and latest.n > 20
    assert 0 < overall[("2026-H1", "response_rate")].value < 1
    assert 0 < overall[("2026-H1", "dropout")].value < 0.5
    figures(granularity=QUARTER)
    series(granularity=QUARTER)
    assert HALF_YEAR in indicators.GRANULARITIES
