"""The naive baseline of bench/insights.py: one query per cell. Not product code.

`naive_figures` answers what `feedback.indicators.figures` answers for half-years, but the
way a first version would: for every period x group x indicator one filtered COUNT/SUM query
over the raw rows (two for the response rate: answers and sent invitations). It uses no
pre-counted tally and no GROUP BY. The definitions are written out again here from the
docstring of feedback.indicators, so that the agreement check in the bench compares two
independent countings. Only the interval formulas (wilson_interval, mean_interval) and the
split table (which field a split reads) are taken from feedback.indicators.

Limits: live rows only (no ResponseAggregate: the bench database has no purged answers) and
half-years only (the dashboards show half-years).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.db.models import Count, F, Q, Sum

from feedback import indicators
from feedback.choices import (
    Agreement,
    EndedRightMoment,
    EndReason,
    FurtherHelp,
    GoalsReached,
)
from feedback.models import Case, Invitation, Provider, SurveyResponse

_AGREE = {Agreement.AGREE.value, Agreement.STRONGLY_AGREE.value}
_FIVE_POINTS = {c.value for c in Agreement if c != Agreement.DONT_KNOW}
_MARKS = list(range(1, 11))

# key -> (question, positive answers, counted answers) for the answer shares.
_SHARES: dict[str, tuple[str, set, set]] = {
    "carry_on": (
        "further_help",
        {FurtherHelp.LIGHTER.value, FurtherHelp.NONE_BUT_EXPECTED.value, FurtherHelp.NONE.value},
        {c.value for c in FurtherHelp},
    ),
    "goals_reached": (
        "goals_reached",
        {GoalsReached.LARGELY.value, GoalsReached.FULLY.value},
        {c.value for c in GoalsReached if c != GoalsReached.NO_GOALS},
    ),
    "ended_right_moment": (
        "ended_right_moment",
        {EndedRightMoment.YES.value},
        {c.value for c in EndedRightMoment},
    ),
    **{
        f"agree_{item}": (item, _AGREE, _FIVE_POINTS)
        for item in (
            "problems_reduced",
            "better_at_home",
            "better_at_school",
            "feels_safer",
            "taken_seriously",
            "decided_together",
            "started_fast",
        )
    },
}

queries = 0  # cell queries run, for the report


def _half_year_range(period: str) -> tuple[datetime.date, datetime.date]:
    year, half = int(period[:4]), int(period[-1])
    if half == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 7, 1)
    return datetime.date(year, 7, 1), datetime.date(year + 1, 1, 1)


def _lookups(filters: Mapping[str, object], attribute: str) -> dict:
    lookups = {}
    for key, value in filters.items():
        name = getattr(indicators.FILTERS[key], attribute)
        if isinstance(value, list | tuple | set | frozenset):
            lookups[f"{name}__in"] = [getattr(v, "pk", v) for v in value]
        else:
            lookups[name] = getattr(value, "pk", value)
    return lookups


def _share(hits: int, n: int) -> tuple:
    interval = indicators.wilson_interval(hits, n)
    low, high = interval if interval else (None, None)
    return (hits / n if n else None), n, low, high, hits


def _cell(key: str, period: str, answer_q: dict, case_q: dict, invitation_q: dict) -> tuple:
    """One indicator for one period and group: one query (two for the response rate)."""
    global queries
    answers = SurveyResponse.objects.filter(end_period=period, **answer_q)
    if key == "mark_mean":
        queries += 1
        row = answers.aggregate(
            n=Count("pk", filter=Q(usefulness__in=_MARKS)),
            total=Sum("usefulness", filter=Q(usefulness__in=_MARKS)),
            squares=Sum(F("usefulness") * F("usefulness"), filter=Q(usefulness__in=_MARKS)),
        )
        n = row["n"] or 0
        mean, low, high = indicators.mean_interval(row["total"] or 0, row["squares"] or 0, n)
        if low is not None:
            low, high = max(1, low), min(10, high)
        return mean, n, low, high, None
    if key in ("mark_7_plus", "mark_5_or_less"):
        queries += 1
        hit = Q(usefulness__gte=7) if key == "mark_7_plus" else Q(usefulness__lte=5)
        row = answers.aggregate(
            n=Count("pk", filter=Q(usefulness__in=_MARKS)),
            hits=Count("pk", filter=Q(usefulness__in=_MARKS) & hit),
        )
        return _share(row["hits"], row["n"])
    if key in _SHARES:
        queries += 1
        question, positive, counted = _SHARES[key]
        row = answers.aggregate(
            n=Count("pk", filter=Q(**{f"{question}__in": counted})),
            hits=Count("pk", filter=Q(**{f"{question}__in": positive})),
        )
        return _share(row["hits"], row["n"])
    start, end = _half_year_range(period)
    if key in ("dropout", "ended_as_planned"):
        queries += 1
        cases = Case.objects.filter(end_month__gte=start, end_month__lt=end, **case_q)
        if key == "dropout":
            row = cases.aggregate(
                n=Count("pk", filter=~Q(end_reason=EndReason.EXTERNAL)),
                hits=Count("pk", filter=Q(end_reason=EndReason.EARLY_CLIENT)),
            )
        else:
            row = cases.aggregate(
                n=Count("pk"), hits=Count("pk", filter=Q(end_reason=EndReason.AS_PLANNED))
            )
        return _share(row["hits"], row["n"])
    if key == "response_rate":
        queries += 2
        responses = answers.count()
        sent = Invitation.objects.filter(
            sent_at__isnull=False,
            case__end_month__gte=start,
            case__end_month__lt=end,
            **invitation_q,
        ).count()
        if responses > sent:
            return (responses / sent if sent else None), sent, None, None, responses
        return _share(responses, sent)
    raise ValueError(f"the naive baseline does not know {key}")


def naive_periods(granularity: str = indicators.HALF_YEAR, filters=None) -> list[str]:
    """The half-years with answers or cases: two DISTINCT queries."""
    if granularity != indicators.HALF_YEAR:
        raise ValueError("the naive baseline counts half-years only")
    filters = dict(filters or {})
    found = set(
        SurveyResponse.objects.filter(**_lookups(filters, "answer_field"))
        .values_list("end_period", flat=True)
        .distinct()
        .order_by()
    )
    months = Case.objects.filter(**_lookups(filters, "case_field")).dates("end_month", "month")
    found |= {f"{m.year}-H{1 if m.month <= 6 else 2}" for m in months}
    return sorted(found)


def _groups(split: indicators.Split) -> list[tuple[object, object]]:
    """Every possible group of a split with its label, in the dashboards' order."""
    if split.key == "overall":
        return [(None, indicators.TOTAL_LABEL)]
    if split.key == "provider":
        return list(Provider.objects.order_by("name").values_list("pk", "name"))
    return list(split.choices)


def naive_figures(
    split: str = "overall",
    granularity: str = indicators.HALF_YEAR,
    period: str | None = None,
    filters: Mapping[str, object] | None = None,
    keys: Iterable[str] | None = None,
) -> list[indicators.Figure]:
    """feedback.indicators.figures for half-years, one query per period x group x indicator."""
    if granularity != indicators.HALF_YEAR:
        raise ValueError("the naive baseline counts half-years only")
    filters = dict(filters or {})
    spl = indicators.SPLITS[split]
    wanted = indicators.keys_for(split, granularity, filters)
    if keys is not None:
        wanted = [key for key in wanted if key in set(keys)]
    staff_only = spl.staff_only or "provider" in filters
    base_answer = _lookups(filters, "answer_field")
    base_case = _lookups(filters, "case_field") if "respondent" not in filters else {}
    base_invitation = _lookups(filters, "invitation_field")
    result = []
    for cell_period in [period] if period else naive_periods(granularity, filters):
        for value, label in _groups(spl):
            answer_q, case_q = dict(base_answer), dict(base_case)
            invitation_q = dict(base_invitation)
            if spl.key != "overall":
                answer_q[spl.answer_field] = value
                if spl.case_field:
                    case_q[spl.case_field] = value
                invitation_q[spl.invitation_field] = value
            cells = [
                (key, _cell(key, cell_period, answer_q, case_q, invitation_q)) for key in wanted
            ]
            # Like the tallies: a group exists in a period when anything was counted for it.
            if not any(n or count for _key, (_v, n, _lo, _hi, count) in cells):
                continue
            for key, (value_, n, low, high, count) in cells:
                result.append(
                    indicators.Figure(
                        key=key,
                        label=indicators.INDICATORS[key].label,
                        value=value_,
                        n=n,
                        low=low,
                        high=high,
                        staff_only=staff_only,
                        kind=indicators.INDICATORS[key].kind,
                        count=count,
                        period=cell_period,
                        split=split,
                        group=value,
                        group_label=label,
                    )
                )
    return result
