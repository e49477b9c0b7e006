"""Indicators of the post-case survey: each figure with its n, a 95 % interval and a trend.

Dashboards, reports, exports and the API call these functions; nothing here renders or
suppresses (small cells are hidden by the publishing layer). Counting happens in the database
(GROUP BY with conditional counts); Python only combines the grouped rows.

Sources, so that totals survive the retention purge (feedback.retention):
- answers: live SurveyResponse rows plus the kept totals in ResponseAggregate. The purge moves
  an answer's counts into ResponseAggregate and deletes it in one transaction, so every answer
  is counted once, from one of the two;
- cases (drop-out, ended as planned): live Case rows plus ResponseAggregate rows with question
  `CASES` ("_cases", answer = end reason), written by the purge;
- invitations sent (response rate): live Invitation rows with `sent_at` plus `_invitations` rows.

Periods:
- half-year ("2025-H1"): the half-year in which the help ENDED, for answers, cases and
  invitations alike (an answer row keeps only that half-year, `end_period`);
- quarter ("2025-Q3"): answers by the month they were given (`period`; an answer does not keep
  its case's end month), cases by their end month. Quarters come from live rows only
  (ResponseAggregate keeps half-years), there is no response rate per quarter (invitations and
  answers are not counted over the same months), and a quarter is reported only when every cell
  of it and of the other quarter of its half-year has n = 0 or n >= the suppression minimum
  (SUPPRESSION_MIN_N for means, SUPPRESSION_MIN_N_PERCENT for shares): otherwise the quarter
  could be worked out from its half-year.

Definitions (n is the denominator; blank answers never count):
- mark_mean: mean usefulness mark 1-10; interval mean +- 1.96 * s / sqrt(n) with the sample
  standard deviation s (normal approximation), clipped to 1-10; none for n < 2;
- mark_7_plus, mark_5_or_less: share of marks >= 7 and <= 5, of all marks given;
- carry_on: share not needing the same or heavier help now (lighter help, none now, none), of
  all answers to that question;
- goals_reached: share "largely" or "fully", of the answers where goals were agreed;
- agree_<item>: share "agree" or "strongly agree", without "don't know";
- ended_right_moment: share "yes", of yes / partly / no;
- dropout: cases ended early by the client / ended cases without an external cause;
- ended_as_planned: cases ended as planned / all ended cases (the national definition);
- response_rate: answers / invitations sent, per half-year.
Shares carry a 95 % Wilson score interval. Case figures have no split by respondent.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from feedback import tally
from feedback.choices import (
    AgeBand,
    Agreement,
    District,
    EndedRightMoment,
    EndReason,
    FurtherHelp,
    GoalsReached,
    HelpType,
    Respondent,
)
from feedback.models import Case, Invitation, Provider, ResponseAggregate, SurveyResponse
from feedback.retention import CASES as retention_CASES
from feedback.retention import INVITATIONS, RESPONSES
from feedback.survey import ALL_QUESTIONS, COUNTED_QUESTIONS, half_year

# Kept case counts per end reason (answer), written by feedback.retention.purge().
CASES = retention_CASES

HALF_YEAR = "half_year"
QUARTER = "quarter"
GRANULARITIES = (HALF_YEAR, QUARTER)

MEAN = "mean"
SHARE = "share"

UP, DOWN, FLAT = "up", "down", "flat"

Z_95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution

MARK_LOW, MARK_HIGH = 1, 10


def minimum_n(kind: str) -> int:
    """The smallest n a cell may be published with (the suppression settings, with defaults)."""
    if kind == SHARE:
        return int(getattr(settings, "SUPPRESSION_MIN_N_PERCENT", 30))
    return int(getattr(settings, "SUPPRESSION_MIN_N", 10))


# --- statistics -----------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default); None when n is 0."""
    if n <= 0 or not 0 <= successes <= n:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Exact at the edges: rounding would leave 1e-17 above 0 (or below 1), outside the value.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


def mean_interval(
    total: float, total_of_squares: float, n: int, z: float = Z_95
) -> tuple[float | None, float | None, float | None]:
    """Mean and normal-approximation interval (sample SD) from a sum and a sum of squares."""
    if n <= 0:
        return None, None, None
    mean = total / n
    if n < 2:
        return mean, None, None
    variance = max(0.0, (total_of_squares - n * mean * mean) / (n - 1))
    half_width = z * math.sqrt(variance / n)
    return mean, mean - half_width, mean + half_width


def intervals_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two closed intervals share at least one point."""
    return a[0] <= b[1] and b[0] <= a[1]


# --- results --------------------------------------------------------------------------------


class _WithInterval:
    """The `ci` of a figure or trend point that has `low` and `high`."""

    low: float | None
    high: float | None

    @property
    def ci(self) -> tuple[float, float] | None:
        """The 95 % interval, or None when there is none."""
        if self.low is None or self.high is None:
            return None
        return self.low, self.high


@dataclass(frozen=True)
class Figure(_WithInterval):
    """One indicator in one period for one group of a split.

    `value` is a share (0-1) or a mean mark, None when n is 0; `count` is the numerator of a
    share. `group` is the split's raw value (a code, a provider pk), None for "overall" and for
    answers whose provider was deleted.
    """

    key: str
    label: str | Promise
    value: float | None
    n: int
    low: float | None
    high: float | None
    staff_only: bool = False
    kind: str = SHARE
    count: int | None = None
    period: str = ""
    split: str = "overall"
    group: str | int | None = None
    group_label: str | Promise = ""


@dataclass(frozen=True)
class Point(_WithInterval):
    """One period of a trend."""

    period: str
    value: float | None
    n: int
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Series:
    """One indicator over time for one group, with the direction of its last step."""

    key: str
    label: str | Promise
    split: str
    group: str | int | None
    group_label: str | Promise
    staff_only: bool
    kind: str
    granularity: str
    higher_is_better: bool
    points: tuple[Point, ...]
    direction: str | None


@dataclass(frozen=True)
class Gap:
    """Young people's figure minus parents' figure, for one indicator, period and group."""

    key: str
    label: str | Promise
    period: str
    split: str
    group: str | int | None
    group_label: str | Promise
    staff_only: bool
    kind: str
    youth: Figure
    parent: Figure
    difference: float | None

    @property
    def youth_n(self) -> int:
        """How many young people the youth figure rests on."""
        return self.youth.n

    @property
    def parent_n(self) -> int:
        """How many parents the parent figure rests on."""
        return self.parent.n


# --- splits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A way to cut the figures, with the field it reads in each source."""

    key: str
    label: Promise
    answer_field: str | None  # SurveyResponse and ResponseAggregate
    case_field: str | None  # Case; None: case figures have no such split
    invitation_field: str | None
    staff_only: bool = False
    choices: tuple[tuple[str, Promise | str], ...] = ()


SPLITS: dict[str, Split] = {
    split.key: split
    for split in (
        Split("overall", _("Alles"), None, None, None),
        Split(
            "help_type",
            _("Soort hulp"),
            "help_type",
            "help_type",
            "case__help_type",
            choices=tuple(HelpType.choices),
        ),
        Split(
            "provider",
            _("Aanbieder"),
            "provider_id",
            "provider_id",
            "case__provider_id",
            staff_only=True,
        ),
        Split(
            "district",
            _("Wijk of dorp"),
            "district",
            "district",
            "case__district",
            choices=tuple(District.choices),
        ),
        Split(
            "age_band",
            _("Leeftijd"),
            "age_band",
            "age_band",
            "case__age_band",
            choices=tuple(AgeBand.choices),
        ),
        Split(
            "respondent",
            _("Wie antwoordde"),
            "respondent",
            None,
            "respondent",
            choices=tuple(Respondent.choices),
        ),
    )
}
# Filters narrow every source; "synthetic" separates demo data from real data.
_SYNTHETIC = Split("synthetic", _("Demogegevens"), "synthetic", "synthetic", "case__synthetic")
FILTERS: dict[str, Split] = {
    **{key: split for key, split in SPLITS.items() if split.answer_field},
    "synthetic": _SYNTHETIC,
}
TOTAL_LABEL = _("Totaal")
UNKNOWN_PROVIDER = _("Aanbieder onbekend")


# --- indicators -----------------------------------------------------------------------------


@dataclass
class _Tally:
    """Counts for one period and group, from every source."""

    responses: int = 0
    invitations: int = 0
    answers: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    cases: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Indicator:
    """How one figure is counted."""

    key: str
    label: Promise
    kind: str
    source: str  # answers, cases, invitations
    higher_is_better: bool
    measure: Callable[[_Tally], tuple[float | None, int, float | None, float | None, int | None]]


def _share_of(question: str, positive: Iterable[str], counted: Iterable[str]):
    positive, counted = frozenset(positive), frozenset(counted)

    def measure(tally: _Tally):
        answers = tally.answers.get(question, Counter())
        n = sum(count for answer, count in answers.items() if answer in counted)
        hits = sum(count for answer, count in answers.items() if answer in positive)
        return _share(hits, n)

    return measure


def _share(hits: int, n: int):
    interval = wilson_interval(hits, n)
    value = hits / n if n else None
    low, high = interval if interval else (None, None)
    return value, n, low, high, hits


def _mark_mean(tally: _Tally):
    marks = _marks(tally)
    n = sum(marks.values())
    total = sum(mark * count for mark, count in marks.items())
    squares = sum(mark * mark * count for mark, count in marks.items())
    mean, low, high = mean_interval(total, squares, n)
    if low is not None and high is not None:
        low, high = max(MARK_LOW, low), min(MARK_HIGH, high)
    return mean, n, low, high, None


def _marks(tally: _Tally) -> Counter:
    marks: Counter = Counter()
    for answer, count in tally.answers.get("usefulness", Counter()).items():
        if answer.isdigit() and MARK_LOW <= int(answer) <= MARK_HIGH:
            marks[int(answer)] += count
    return marks


def _marks_where(test: Callable[[int], bool]):
    def measure(tally: _Tally):
        marks = _marks(tally)
        return _share(sum(c for m, c in marks.items() if test(m)), sum(marks.values()))

    return measure


def _dropout(tally: _Tally):
    n = sum(c for reason, c in tally.cases.items() if reason != EndReason.EXTERNAL)
    return _share(tally.cases[EndReason.EARLY_CLIENT], n)


def _ended_as_planned(tally: _Tally):
    return _share(tally.cases[EndReason.AS_PLANNED], sum(tally.cases.values()))


def _response_rate(tally: _Tally):
    if tally.responses > tally.invitations:
        # More answers than invitations counted: not a proportion, so no interval.
        value = tally.responses / tally.invitations if tally.invitations else None
        return value, tally.invitations, None, None, tally.responses
    return _share(tally.responses, tally.invitations)


_AGREE = (Agreement.AGREE, Agreement.STRONGLY_AGREE)
_FIVE_POINTS = tuple(choice.value for choice in Agreement if choice != Agreement.DONT_KNOW)
_AGREEMENT_ITEMS: tuple[tuple[str, Promise], ...] = (
    ("problems_reduced", _("Problemen zijn minder geworden")),
    ("better_at_home", _("Het gaat beter thuis")),
    ("better_at_school", _("Het gaat beter op school of werk")),
    ("feels_safer", _("Voelt zich veiliger")),
    ("taken_seriously", _("Werd serieus genomen")),
    ("decided_together", _("Samen besloten wat er ging gebeuren")),
    ("started_fast", _("De hulp begon snel genoeg")),
)

INDICATORS: dict[str, Indicator] = {
    indicator.key: indicator
    for indicator in (
        Indicator("mark_mean", _("Gemiddeld rapportcijfer"), MEAN, "answers", True, _mark_mean),
        Indicator(
            "mark_7_plus",
            _("Rapportcijfer 7 of hoger"),
            SHARE,
            "answers",
            True,
            _marks_where(lambda mark: mark >= 7),
        ),
        Indicator(
            "mark_5_or_less",
            _("Rapportcijfer 5 of lager"),
            SHARE,
            "answers",
            False,
            _marks_where(lambda mark: mark <= 5),
        ),
        Indicator(
            "carry_on",
            _("Kan verder zonder (zwaardere) hulp"),
            SHARE,
            "answers",
            True,
            _share_of(
                "further_help",
                (FurtherHelp.LIGHTER, FurtherHelp.NONE_BUT_EXPECTED, FurtherHelp.NONE),
                FurtherHelp.values,
            ),
        ),
        Indicator(
            "goals_reached",
            _("Doelen (grotendeels) gehaald"),
            SHARE,
            "answers",
            True,
            _share_of(
                "goals_reached",
                (GoalsReached.LARGELY, GoalsReached.FULLY),
                (choice.value for choice in GoalsReached if choice != GoalsReached.NO_GOALS),
            ),
        ),
        *(
            Indicator(
                f"agree_{name}",
                label,
                SHARE,
                "answers",
                True,
                _share_of(name, _AGREE, _FIVE_POINTS),
            )
            for name, label in _AGREEMENT_ITEMS
        ),
        Indicator(
            "ended_right_moment",
            _("De hulp stopte op het goede moment"),
            SHARE,
            "answers",
            True,
            _share_of("ended_right_moment", (EndedRightMoment.YES,), EndedRightMoment.values),
        ),
        Indicator(
            "dropout",
            _("Uitval: eerder gestopt door de cliënt"),
            SHARE,
            "cases",
            False,
            _dropout,
        ),
        Indicator(
            "ended_as_planned",
            _("Gestopt volgens plan"),
            SHARE,
            "cases",
            True,
            _ended_as_planned,
        ),
        Indicator("response_rate", _("Respons"), SHARE, "invitations", True, _response_rate),
    )
}
CASE_KEYS = tuple(key for key, i in INDICATORS.items() if i.source == "cases")
ANSWER_KEYS = tuple(key for key, i in INDICATORS.items() if i.source == "answers")


def keys_for(split: str = "overall", granularity: str = HALF_YEAR, filters=None) -> list[str]:
    """The indicators that exist for this split, period length and filters, in their order."""
    spl = _split(split)
    filters = _filters(filters)
    keys = []
    for key, indicator in INDICATORS.items():
        no_case_split = spl.key != "overall" and spl.case_field is None
        if indicator.source == "cases" and (no_case_split or "respondent" in filters):
            continue
        if indicator.source == "invitations" and granularity == QUARTER:
            continue
        keys.append(key)
    return keys


# --- periods --------------------------------------------------------------------------------


def quarter_of_month(month: str) -> str | None:
    """The quarter of a "YYYY-MM" month, e.g. 2025-Q3; None for anything else."""
    return tally.quarter(month)


def half_year_of_quarter(quarter: str) -> str:
    """The half-year a quarter falls in: 2025-Q3 -> 2025-H2."""
    return f"{quarter[:4]}-H{1 if quarter[-1] in '12' else 2}"


def sibling_quarter(quarter: str) -> str:
    """The other quarter of the same half-year: 2025-Q3 <-> 2025-Q4."""
    number = int(quarter[-1])
    return f"{quarter[:4]}-Q{number + 1 if number % 2 else number - 1}"


def _period_of_month(month, granularity: str) -> str:
    if granularity == HALF_YEAR:
        return half_year(month)
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


# --- counting -------------------------------------------------------------------------------


def _split(key: str) -> Split:
    try:
        return SPLITS[key]
    except KeyError:
        raise ValueError(f"unknown split {key!r}") from None


def _filters(filters: Mapping[str, object] | None) -> dict[str, object]:
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ValueError(f"unknown filter {', '.join(unknown)}")
    return filters


def _lookups(filters: Mapping[str, object], attribute: str) -> dict[str, object] | None:
    """Filter keywords for one source; None when the source cannot be narrowed that way."""
    lookups = {}
    for key, value in filters.items():
        name = getattr(FILTERS[key], attribute)
        if name is None:
            return None
        if isinstance(value, list | tuple | set | frozenset):
            lookups[f"{name}__in"] = [getattr(v, "pk", v) for v in value]
        else:
            lookups[name] = getattr(value, "pk", value)
    return lookups


def _answer_counts() -> tuple[dict[str, Count], dict[str, tuple[str, str]]]:
    """One conditional count per question and answer, so one scan counts everything."""
    annotations, meaning = {}, {}
    for question in COUNTED_QUESTIONS:
        for value, _label in ALL_QUESTIONS[question].choices:
            alias = f"c{len(annotations)}"
            match = int(value) if question == "usefulness" else value
            annotations[alias] = Count("pk", filter=Q(**{question: match}))
            meaning[alias] = (question, str(value))
    return annotations, meaning


_ANNOTATIONS, _MEANING = _answer_counts()

GroupKey = tuple
Tallies = dict[tuple[str, GroupKey], _Tally]


def _tallies(dims: tuple[str, ...], granularity: str, filters: Mapping[str, object]) -> Tallies:
    """Counts per (period, group) from every source; the group is a tuple, one value per dim.

    From the pre-counted tallies (feedback.tally) where they hold the answer, else from the
    raw rows; both give the same counts.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown period length {granularity!r}")
    plan = _tally_plan(dims, filters) if getattr(settings, "INDICATOR_TALLIES", True) else None
    if plan is not None:
        return _tallies_from_tally(plan, dims, granularity, filters)
    return _raw_tallies([SPLITS[dim] for dim in dims], granularity, filters)


def _raw_tallies(splits: list[Split], granularity: str, filters: Mapping[str, object]) -> Tallies:
    tallies: Tallies = defaultdict(_Tally)
    _count_answers(tallies, splits, granularity, filters)
    if granularity == HALF_YEAR:
        _count_kept(tallies, splits, filters)
        _count_invitations(tallies, splits, filters)
    _count_cases(tallies, splits, granularity, filters)
    return tallies


# --- the pre-counted path -------------------------------------------------------------------

_ORDINARY = ("help_type", "district", "age_band")


@dataclass(frozen=True)
class _TallyPlan:
    dim: str
    scope: int
    by_scope: bool


def _single(value):
    if isinstance(value, list | tuple | set | frozenset):
        value = list(value)
        return value[0] if len(value) == 1 else None
    return value


def _tally_plan(dims: tuple[str, ...], filters: Mapping[str, object]) -> _TallyPlan | None:
    """How the tallies answer this question, or None when only the raw rows can."""
    ordinary = {dim for dim in dims if dim in _ORDINARY} | {f for f in filters if f in _ORDINARY}
    if len(ordinary) > 1:
        return None
    scope = 0
    if "provider" in filters:
        if "provider" in dims:
            return None
        provider = _single(filters["provider"])
        scope = getattr(provider, "pk", provider)
        if not isinstance(scope, int) or isinstance(scope, bool) or scope <= 0:
            return None
    dim = next(iter(ordinary), tally.OVERALL)
    if "provider" in dims:
        if dim == tally.OVERALL:
            return _TallyPlan("provider", 0, False)
        return _TallyPlan(dim, 0, True)
    return _TallyPlan(dim, scope, False)


def _as_list(value):
    if isinstance(value, list | tuple | set | frozenset):
        return [getattr(v, "pk", v) for v in value]
    return getattr(value, "pk", value)


def _tallies_from_tally(plan: _TallyPlan, dims, granularity, filters) -> Tallies:
    values = filters.get(plan.dim) if plan.dim in _ORDINARY else None
    rows = tally.rows(
        granularity,
        plan.dim,
        plan.scope,
        synthetic=_as_list(filters["synthetic"]) if "synthetic" in filters else None,
        respondent=_as_list(filters["respondent"]) if "respondent" in filters else None,
        values=_as_list(values) if values is not None else None,
        by_scope=plan.by_scope,
        by_respondent="respondent" in dims,
    )
    no_cases = "respondent" in dims or "respondent" in filters
    tallies: Tallies = defaultdict(_Tally)
    for row in rows:
        question, answer, n = row["question"], row["answer"], row["n"]
        if not n or (question == CASES and no_cases):
            continue
        group = []
        for dim in dims:
            if dim == "respondent":
                group.append(row["respondent"])  # grouped by respondent only then
            elif dim == "provider":
                if plan.by_scope:
                    group.append(row["scope"])
                else:
                    group.append(int(row["value"]) if row["value"] else None)
            else:
                group.append(row["value"])
        current = tallies[(row["period"], tuple(group))]
        if question == RESPONSES:
            current.responses += n
        elif question == INVITATIONS:
            current.invitations += n
        elif question == CASES:
            current.cases[answer] += n
        else:
            current.answers[question][answer] += n
    return tallies


def _count_answers(tallies: Tallies, splits, granularity, filters) -> None:
    lookups = _lookups(filters, "answer_field")
    fields = [split.answer_field for split in splits]
    period_field = "end_period" if granularity == HALF_YEAR else "period"
    rows = (
        SurveyResponse.objects.filter(**lookups)
        .values(period_field, *fields)
        .annotate(_n=Count("pk"), **_ANNOTATIONS)
        .order_by()
    )
    for row in rows:
        period = row[period_field]
        if granularity == QUARTER:
            period = quarter_of_month(period)
            if period is None:
                continue
        tally = tallies[(period, tuple(row[name] for name in fields))]
        tally.responses += row["_n"]
        for alias, (question, answer) in _MEANING.items():
            if row[alias]:
                tally.answers[question][answer] += row[alias]


def _count_kept(tallies: Tallies, splits, filters, only_cases: bool = False) -> None:
    """Add the totals kept in ResponseAggregate after their raw rows were purged."""
    lookups = _lookups(filters, "answer_field")
    if only_cases:
        lookups["question"] = CASES
    fields = [split.answer_field for split in splits]
    with_cases = all(split.case_field for split in splits) and "respondent" not in filters
    rows = (
        ResponseAggregate.objects.filter(**lookups)
        .values("end_period", *fields, "question", "answer")
        .annotate(_n=Sum("count"))
        .order_by()
    )
    for row in rows:
        question, answer, n = row["question"], row["answer"], row["_n"] or 0
        if question == CASES and not with_cases:
            continue
        tally = tallies[(row["end_period"], tuple(row[name] for name in fields))]
        if question == RESPONSES:
            tally.responses += n
        elif question == INVITATIONS:
            tally.invitations += n
        elif question == CASES:
            tally.cases[answer] += n
        else:
            tally.answers[question][answer] += n


def _count_invitations(tallies: Tallies, splits, filters) -> None:
    lookups = _lookups(filters, "invitation_field")
    fields = [split.invitation_field for split in splits]
    rows = (
        Invitation.objects.filter(sent_at__isnull=False, **lookups)
        .values("case__end_month", *fields)
        .annotate(_n=Count("pk"))
        .order_by()
    )
    for row in rows:
        period = half_year(row["case__end_month"])
        tallies[(period, tuple(row[name] for name in fields))].invitations += row["_n"]


def _count_cases(tallies: Tallies, splits, granularity, filters) -> None:
    lookups = _lookups(filters, "case_field")
    if lookups is None or any(split.case_field is None for split in splits):
        return
    fields = [split.case_field for split in splits]
    rows = (
        Case.objects.filter(**lookups)
        .values("end_month", *fields, "end_reason")
        .annotate(_n=Count("pk"))
        .order_by()
    )
    for row in rows:
        period = _period_of_month(row["end_month"], granularity)
        tallies[(period, tuple(row[name] for name in fields))].cases[row["end_reason"]] += row["_n"]


def raw_cells(dim: str, granularity: str, by_provider: bool = False) -> Counter:
    """Every count of one split from the raw rows, keyed as the tallies store them (see
    feedback.tally.KEY_FIELDS); with `by_provider`, per provider (scope) instead of for all."""
    base = [] if dim == tally.OVERALL else [SPLITS[dim]]
    scoped = [SPLITS["provider"]] if by_provider else []
    cells: Counter = Counter()

    def cell(period, group, respondent, question, answer):
        scope = group[0] if by_provider else 0
        if by_provider and scope is None:
            return None  # answers of an unknown provider count in scope 0 only
        raw = group[len(scoped)] if base else None
        value = "" if raw is None else str(raw)
        return (granularity, dim, scope, group[-1], period, value, respondent, question, answer)

    splits = [*scoped, *base, SPLITS["respondent"], _SYNTHETIC]
    for (period, group), counts in _raw_tallies(splits, granularity, {}).items():
        respondent = group[-2]
        found = [(RESPONSES, "", counts.responses), (INVITATIONS, "", counts.invitations)]
        for question, answers in counts.answers.items():
            found += [(question, answer, n) for answer, n in answers.items()]
        for question, answer, n in found:
            key = cell(period, group, respondent, question, answer)
            if key and n:
                cells[key] += n
    case_splits = [*scoped, *base, _SYNTHETIC]
    case_tallies: Tallies = defaultdict(_Tally)
    _count_cases(case_tallies, case_splits, granularity, {})
    if granularity == HALF_YEAR:
        _count_kept(case_tallies, case_splits, {}, only_cases=True)
    for (period, group), counts in case_tallies.items():
        for reason, n in counts.cases.items():
            key = cell(period, group, "", CASES, reason)
            if key and n:
                cells[key] += n
    return cells


# --- groups ---------------------------------------------------------------------------------


class _Groups:
    """Labels and a stable order for the values of a split."""

    def __init__(self, splits: list[Split], tallies: Tallies) -> None:
        self.splits = splits
        provider_ids = set()
        for _period, group in tallies:
            for split, value in zip(splits, group, strict=True):
                if split.key == "provider" and value is not None:
                    provider_ids.add(value)
        self.providers = dict(
            Provider.objects.filter(pk__in=provider_ids).values_list("pk", "name")
        )

    def label(self, group: GroupKey) -> str | Promise:
        """The label of the first (only) split's value."""
        if not group:
            return TOTAL_LABEL
        split, value = self.splits[0], group[0]
        if split.key == "provider":
            return self.providers.get(value, UNKNOWN_PROVIDER)
        return dict(split.choices).get(value, value)

    def sort_key(self, group: GroupKey) -> tuple:
        """Choice order for codes, name order for providers, unknown values last."""
        key = []
        for split, value in zip(self.splits, group, strict=True):
            if split.key == "provider":
                name = self.providers.get(value)
                key.append((name is None, name or "", value if value is not None else -1))
            else:
                codes = [code for code, _label in split.choices]
                known = value in codes
                key.append((not known, codes.index(value) if known else 0, str(value)))
        return tuple(key)


# --- public functions -----------------------------------------------------------------------


def _figure(key, tally, *, period, split, group, group_label, staff_only) -> Figure:
    indicator = INDICATORS[key]
    value, n, low, high, count = indicator.measure(tally)
    return Figure(
        key=key,
        label=indicator.label,
        value=value,
        n=n,
        low=low,
        high=high,
        staff_only=staff_only,
        kind=indicator.kind,
        count=count,
        period=period,
        split=split,
        group=group,
        group_label=group_label,
    )


def _is_staff_only(split: str, filters: Mapping[str, object]) -> bool:
    return SPLITS[split].staff_only or "provider" in filters


def figures(
    split: str = "overall",
    granularity: str = HALF_YEAR,
    period: str | None = None,
    filters: Mapping[str, object] | None = None,
    keys: Iterable[str] | None = None,
) -> list[Figure]:
    """Every indicator per period and group of a split, ordered by period, group and indicator.

    `filters` narrows the data (e.g. {"provider": pk, "synthetic": False}); a list of values
    means any of them. Quarters that may not be reported (see the module docstring) are left out.
    """
    return _figures(split, granularity, period, filters, keys)[0]


def overall_and_periods(
    granularity: str = HALF_YEAR, filters: Mapping[str, object] | None = None
) -> tuple[list[Figure], list[str]]:
    """Every overall figure of every period, and the periods with any data (as `periods`),
    from one count: a dashboard needs both."""
    result, _groups, tallies = _figures("overall", granularity, None, filters, None)
    return result, sorted({period for period, _group in tallies})


def _figures(split, granularity, period, filters, keys) -> tuple[list[Figure], _Groups, Tallies]:
    spl, filters = _split(split), _filters(filters)
    wanted = keys_for(split, granularity, filters)
    if keys is not None:
        keys = set(keys)
        unknown = sorted(keys - set(INDICATORS))
        if unknown:
            raise ValueError(f"unknown indicator {', '.join(unknown)}")
        wanted = [key for key in wanted if key in keys]
    dims = () if spl.key == "overall" else (spl.key,)
    tallies = _tallies(dims, granularity, filters)
    groups = _Groups([SPLITS[dim] for dim in dims], tallies)
    staff_only = _is_staff_only(split, filters)
    result = [
        _figure(
            key,
            tallies[(cell_period, group)],
            period=cell_period,
            split=split,
            group=group[0] if group else None,
            group_label=groups.label(group),
            staff_only=staff_only,
        )
        for cell_period, group in sorted(tallies, key=lambda c: (c[0], groups.sort_key(c[1])))
        if period is None or cell_period == period
        for key in wanted
    ]
    if granularity == QUARTER:
        result = _reportable_quarters_only(result, tallies)
    return result, groups, tallies


def _reportable_quarters_only(result: list[Figure], tallies: Tallies) -> list[Figure]:
    """Drop quarter figures whose quarter, or its sibling, holds a cell below the minimum."""
    keys = {figure.key for figure in result}
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)  # (key, quarter) -> n's
    for (quarter, _group), counts in tallies.items():
        for key in keys:
            cells[(key, quarter)].append(INDICATORS[key].measure(counts)[1])

    def reportable(key: str, quarter: str) -> bool:
        minimum = minimum_n(INDICATORS[key].kind)
        own = cells.get((key, quarter), [])
        sibling = cells.get((key, sibling_quarter(quarter)), [])
        return any(own) and all(n == 0 or n >= minimum for n in (*own, *sibling))

    return [figure for figure in result if reportable(figure.key, figure.period)]


def quarter_is_reportable(
    key: str, quarter: str, split: str = "overall", filters: Mapping[str, object] | None = None
) -> bool:
    """Whether this indicator may be shown for this quarter in this split."""
    return any(
        figure.period == quarter
        for figure in figures(split, QUARTER, period=quarter, filters=filters, keys=[key])
    )


def periods(granularity: str = HALF_YEAR, filters: Mapping[str, object] | None = None) -> list[str]:
    """The periods with any data, oldest first (quarters: before the reportability rule)."""
    return sorted({period for period, _group in _tallies((), granularity, _filters(filters))})


def direction(points: Iterable[Point]) -> str | None:
    """Up or down when the intervals of the last two periods do not overlap, else flat.

    None when fewer than two periods have a value with an interval.
    """
    usable = [point for point in points if point.value is not None and point.ci is not None]
    if len(usable) < 2:
        return None
    before, last = usable[-2], usable[-1]
    if intervals_overlap(before.ci, last.ci):
        return FLAT
    return UP if last.value > before.value else DOWN


def series(
    split: str = "overall",
    granularity: str = HALF_YEAR,
    filters: Mapping[str, object] | None = None,
    keys: Iterable[str] | None = None,
) -> list[Series]:
    """Each indicator over time per group of a split, ordered by group then indicator.

    Points are the periods in which the group has data (for quarters: the reportable ones).
    """
    result_figures, groups, _tallies_used = _figures(split, granularity, None, filters, keys)
    by_cell: dict[tuple, list[Figure]] = defaultdict(list)
    for figure in result_figures:  # already in period order
        by_cell[(figure.group, figure.key)].append(figure)
    key_order = list(INDICATORS)

    def cell_order(cell: tuple) -> tuple:
        group, key = cell
        return groups.sort_key(() if split == "overall" else (group,)), key_order.index(key)

    result = []
    for group, key in sorted(by_cell, key=cell_order):
        cell_figures = by_cell[(group, key)]
        first = cell_figures[0]
        points = tuple(Point(f.period, f.value, f.n, f.low, f.high) for f in cell_figures)
        result.append(
            Series(
                key=key,
                label=first.label,
                split=split,
                group=group,
                group_label=first.group_label,
                staff_only=first.staff_only,
                kind=first.kind,
                granularity=granularity,
                higher_is_better=INDICATORS[key].higher_is_better,
                points=points,
                direction=direction(points),
            )
        )
    return result


def gaps(
    split: str = "overall",
    period: str | None = None,
    filters: Mapping[str, object] | None = None,
) -> list[Gap]:
    """Young people's minus parents' figures per half-year and group (answers, response rate)."""
    spl, filters = _split(split), _filters(filters)
    if spl.key == "respondent" or "respondent" in filters:
        raise ValueError("the gap between young people and parents needs both respondents")
    dims = (() if spl.key == "overall" else (spl.key,)) + ("respondent",)
    tallies = _tallies(dims, HALF_YEAR, filters)
    groups = _Groups([SPLITS[dim] for dim in dims], tallies)
    staff_only = _is_staff_only(split, filters)
    cells = sorted(
        {(p, group[:-1]) for p, group in tallies if period is None or p == period},
        key=lambda c: (c[0], groups.sort_key((*c[1], Respondent.YOUTH))),
    )
    keys = [*ANSWER_KEYS, "response_rate"]
    result = []
    for cell_period, group in cells:
        label = groups.label((*group, Respondent.YOUTH)) if group else TOTAL_LABEL
        common = {
            "period": cell_period,
            "split": split,
            "group": group[0] if group else None,
            "group_label": label,
            "staff_only": staff_only,
        }
        for key in keys:
            youth = _figure(
                key, tallies.get((cell_period, (*group, Respondent.YOUTH)), _Tally()), **common
            )
            parent = _figure(
                key, tallies.get((cell_period, (*group, Respondent.PARENT)), _Tally()), **common
            )
            if not youth.n and not parent.n:
                continue
            difference = None
            if youth.value is not None and parent.value is not None:
                difference = youth.value - parent.value
            result.append(
                Gap(
                    key=key,
                    label=youth.label,
                    kind=youth.kind,
                    youth=youth,
                    parent=parent,
                    difference=difference,
                    **common,
                )
            )
    return result
