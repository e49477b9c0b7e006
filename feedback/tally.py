"""Pre-counted indicator data (IndicatorTally), kept up to date as answers, cases and sent
invitations arrive, so that dashboards sum a few thousand rows instead of a million.

The tallies hold exactly what feedback.indicators counts from the raw rows, per period and for
one split at a time (see IndicatorTally). Every write path keeps them current:

- single saves and deletes of SurveyResponse, Case and Invitation through signals (connected in
  FeedbackConfig.ready): an answer adds its counts, a case its end reason, an invitation its
  "sent" once `sent_at` is set; a changed case moves its counts (and its sent invitations');
- bulk inserts call `add_answers` / `add_cases` themselves (survey.release_answers,
  cases.import_csv);
- the retention purge and the synthetic generator rebuild (`rebuild()`), as they move or create
  many rows at once (`paused()` stops the signals meanwhile).

Every change is one `INSERT ... ON CONFLICT DO UPDATE SET count = count + delta` per cell
(SQLite and PostgreSQL alike), inside the writer's transaction, so parallel writers cannot lose
an increment. `manage.py rebuild_tallies` recomputes everything from the raw rows; a test
checks that the incremental tallies equal a rebuild after every kind of change.

Reading: feedback.indicators asks `covers(dims, filters)` and then `count(...)`; questions the
tallies cannot answer (two ordinary splits at once, several providers in a filter) are counted
from the raw rows, as before.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping

from django.db import connection, transaction
from django.db.models import Sum

from feedback.models import Case, IndicatorTally, Invitation, SurveyResponse
from feedback.retention import CASES, INVITATIONS, RESPONSES
from feedback.survey import ALL_QUESTIONS, COUNTED_QUESTIONS, half_year

HALF_YEAR = "half_year"
QUARTER = "quarter"
OVERALL = "overall"
# The splits a tally row can carry in dim/value; provider also as a scope, respondent as a column.
DIMS = ("help_type", "district", "age_band", "provider")
# The fields that name a cell: those of the model's unique constraint, in its order.
KEY_FIELDS = tuple(IndicatorTally._meta.constraints[0].fields)

Key = tuple  # (granularity, dim, scope, synthetic, period, value, respondent, question, answer)

_state = threading.local()

# The answers each counted question may have (what feedback.indicators counts).
_CHOICES = {
    question: {str(value) for value, _label in ALL_QUESTIONS[question].choices}
    for question in COUNTED_QUESTIONS
}


def quarter(month: str) -> str | None:
    """The quarter of a "YYYY-MM" month (2025-Q3), None for anything else."""
    try:
        year, number = int(month[:4]), int(month[5:7])
    except (TypeError, ValueError):
        return None
    if len(month) != 7 or month[4] != "-" or not 1 <= number <= 12:
        return None
    return f"{year}-Q{(number - 1) // 3 + 1}"


def _cells(categories: Mapping[str, object], periods: Iterable[tuple[str, str]]) -> list[tuple]:
    """Every (granularity, dim, scope, period, value) a row with these categories counts in."""
    provider = categories["provider"]
    values = {
        "help_type": categories["help_type"],
        "district": categories["district"],
        "age_band": categories["age_band"],
        "provider": "" if provider is None else str(provider),
    }
    cells = []
    for granularity, period in periods:
        if period is None:
            continue
        cells.append((granularity, OVERALL, 0, period, ""))
        for dim in DIMS:
            cells.append((granularity, dim, 0, period, values[dim]))
        if provider is not None:
            cells.append((granularity, OVERALL, provider, period, ""))
            for dim in DIMS[:-1]:
                cells.append((granularity, dim, provider, period, values[dim]))
    return cells


def _answer_deltas(response: SurveyResponse, sign: int) -> Counter:
    categories = {
        "provider": response.provider_id,
        "help_type": response.help_type,
        "district": response.district,
        "age_band": response.age_band,
    }
    periods = ((HALF_YEAR, response.end_period), (QUARTER, quarter(response.period)))
    counted = [(RESPONSES, "")]
    for question in COUNTED_QUESTIONS:
        value = getattr(response, question)
        if value is not None and str(value) in _CHOICES[question]:
            counted.append((question, str(value)))
    deltas: Counter = Counter()
    for granularity, dim, scope, period, value in _cells(categories, periods):
        for question, answer in counted:
            key = (granularity, dim, scope, response.synthetic, period, value)
            deltas[(*key, response.respondent, question, answer)] += sign
    return deltas


def _case_categories(case: Case) -> dict:
    return {
        "provider": case.provider_id,
        "help_type": case.help_type,
        "district": case.district,
        "age_band": case.age_band,
        "synthetic": case.synthetic,
        "end_month": case.end_month,
        "end_reason": case.end_reason,
    }


def _case_deltas(categories: Mapping[str, object], sign: int) -> Counter:
    month = categories["end_month"]
    periods = (
        (HALF_YEAR, half_year(month)),
        (QUARTER, f"{month.year}-Q{(month.month - 1) // 3 + 1}"),
    )
    deltas: Counter = Counter()
    for granularity, dim, scope, period, value in _cells(categories, periods):
        key = (granularity, dim, scope, categories["synthetic"], period, value)
        deltas[(*key, "", CASES, categories["end_reason"])] += sign
    return deltas


def _invitation_deltas(categories: Mapping[str, object], respondent: str, sign: int) -> Counter:
    periods = ((HALF_YEAR, half_year(categories["end_month"])),)
    deltas: Counter = Counter()
    for granularity, dim, scope, period, value in _cells(categories, periods):
        key = (granularity, dim, scope, categories["synthetic"], period, value)
        deltas[(*key, respondent, INVITATIONS, "")] += sign
    return deltas


# Rows per INSERT: one statement instead of a round trip per cell (10 parameters a row, well
# under SQLite's and PostgreSQL's limits).
UPSERT_CHUNK = 500


def _upsert_sql(rows: int) -> str:
    table = IndicatorTally._meta.db_table
    columns = ", ".join(KEY_FIELDS)
    row = "(" + ", ".join(["%s"] * (len(KEY_FIELDS) + 1)) + ")"
    return (
        f"INSERT INTO {table} ({columns}, count) VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT ({columns}) DO UPDATE SET count = {table}.count + excluded.count"
    )


def apply(deltas: Mapping[Key, int]) -> None:
    """Add the deltas to their cells, creating cells that do not exist yet.

    Sorted, so that parallel writers take the rows' locks in the same order; every key occurs
    once (a Counter), as one INSERT ... ON CONFLICT may touch a row only once.
    """
    rows = [(*key, delta) for key, delta in sorted(deltas.items()) if delta]
    if not rows:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), UPSERT_CHUNK):
            chunk = rows[start : start + UPSERT_CHUNK]
            cursor.execute(_upsert_sql(len(chunk)), [value for row in chunk for value in row])


def _active() -> bool:
    return not getattr(_state, "paused", False)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Stop keeping the tallies up to date (the caller rebuilds afterwards)."""
    before = getattr(_state, "paused", False)
    _state.paused = True
    try:
        yield
    finally:
        _state.paused = before


def add_answers(responses: Iterable[SurveyResponse]) -> None:
    """Count new answers (for bulk inserts; single saves are counted by the signal)."""
    if not _active():
        return
    deltas: Counter = Counter()
    for response in responses:
        deltas.update(_answer_deltas(response, 1))
    apply(deltas)


def add_cases(cases: Iterable[Case]) -> None:
    """Count new cases (for bulk inserts; single saves are counted by the signal)."""
    if not _active():
        return
    deltas: Counter = Counter()
    for case in cases:
        deltas.update(_case_deltas(_case_categories(case), 1))
    apply(deltas)


# --- signals --------------------------------------------------------------------------------


def answer_saved(sender, instance: SurveyResponse, created: bool, raw=False, **kwargs) -> None:
    """A new answer adds its counts (answers are never changed in ways that count)."""
    if created and not raw and _active():
        apply(_answer_deltas(instance, 1))


def answer_deleted(sender, instance: SurveyResponse, **kwargs) -> None:
    """A deleted answer takes its counts along."""
    if _active():
        apply(_answer_deltas(instance, -1))


def _sent_invitations(case_pk) -> Counter:
    rows = (
        Invitation.objects.filter(case_id=case_pk, sent_at__isnull=False)
        .values_list("respondent", flat=True)
        .order_by()
    )
    return Counter(rows)


def case_saving(sender, instance: Case, raw=False, **kwargs) -> None:
    """Remember what a changed case counted as before, to move its counts."""
    instance._tally_before = None
    if raw or not _active() or instance.pk is None:
        return
    before = Case.objects.filter(pk=instance.pk).values(
        "provider_id", "help_type", "district", "age_band", "synthetic", "end_month", "end_reason"
    )
    row = next(iter(before), None)
    if row is not None:
        row["provider"] = row.pop("provider_id")
        instance._tally_before = row


def case_saved(sender, instance: Case, created: bool, raw=False, **kwargs) -> None:
    """Count a new case; move a changed case's counts and its sent invitations'."""
    if raw or not _active():
        return
    after = _case_categories(instance)
    before = getattr(instance, "_tally_before", None)
    deltas = _case_deltas(after, 1)
    if before is not None:
        if before == after:
            return
        deltas.update(_case_deltas(before, -1))
        for respondent, n in _sent_invitations(instance.pk).items():
            deltas.update(_invitation_deltas(before, respondent, -n))
            deltas.update(_invitation_deltas(after, respondent, n))
    apply(deltas)


def case_deleted(sender, instance: Case, **kwargs) -> None:
    """A deleted case takes its counts along (its invitations go through their own signal)."""
    if _active():
        apply(_case_deltas(_case_categories(instance), -1))


def invitation_saving(sender, instance: Invitation, raw=False, **kwargs) -> None:
    """Remember whether the invitation counted as sent before this save."""
    instance._tally_was_sent = None
    if raw or not _active() or instance.pk is None:
        return
    instance._tally_was_sent = Invitation.objects.filter(
        pk=instance.pk, sent_at__isnull=False
    ).exists()


def invitation_saved(sender, instance: Invitation, created: bool, raw=False, **kwargs) -> None:
    """Count an invitation once it is sent (and uncount it if it is marked unsent again)."""
    if raw or not _active():
        return
    was_sent = bool(getattr(instance, "_tally_was_sent", None))
    is_sent = instance.sent_at is not None
    if was_sent != is_sent:
        categories = _case_categories(instance.case)
        apply(_invitation_deltas(categories, instance.respondent, 1 if is_sent else -1))


def invitation_deleted(sender, instance: Invitation, **kwargs) -> None:
    """A deleted sent invitation no longer counts."""
    if not _active() or instance.sent_at is None:
        return
    # Deleting a case deletes its invitations first, so the case row is still there.
    case = (
        instance._state.fields_cache.get("case") or Case.objects.filter(pk=instance.case_id).first()
    )
    if case is not None:
        apply(_invitation_deltas(_case_categories(case), instance.respondent, -1))


def provider_deleted(sender, instance, **kwargs) -> None:
    """Answers and cases of a deleted provider lose their provider: recount after the commit."""
    if _active():
        transaction.on_commit(rebuild)


# --- rebuilding -----------------------------------------------------------------------------


def rebuild() -> int:
    """Recompute every tally from the raw rows (and the kept totals); returns the cells written.

    Uses feedback.indicators' raw counting for each split, so the tallies equal it by
    construction. Runs in one transaction: readers see the old or the new tallies.
    """
    from feedback import indicators

    rows: Counter = Counter()
    for granularity in (HALF_YEAR, QUARTER):
        for dim in (OVERALL, *DIMS):
            rows.update(indicators.raw_cells(dim, granularity))
            if dim != "provider":
                rows.update(indicators.raw_cells(dim, granularity, by_provider=True))
    with transaction.atomic():
        IndicatorTally.objects.all().delete()
        IndicatorTally.objects.bulk_create(
            (
                IndicatorTally(**dict(zip(KEY_FIELDS, key, strict=True)), count=n)
                for key, n in rows.items()
                if n
            ),
            batch_size=2000,
        )
    return len(rows)


# --- reading --------------------------------------------------------------------------------


def rows(
    granularity: str,
    dim: str,
    scope: int | None,
    *,
    synthetic=None,
    respondent=None,
    values=None,
    by_scope: bool = False,
    by_respondent: bool = True,
) -> list[dict]:
    """Summed tallies of one split, grouped by period, value, question and answer (and by
    respondent unless `by_respondent` is False; by scope with `by_scope`, for every provider).

    The grouped rows are read with a plain cursor: Django's per-row converters cost more than
    the query itself for the few thousand rows a dashboard sums.
    """
    queryset = IndicatorTally.objects.filter(granularity=granularity, dim=dim)
    queryset = queryset.filter(scope__gt=0) if by_scope else queryset.filter(scope=scope or 0)
    for name, wanted in (("synthetic", synthetic), ("respondent", respondent), ("value", values)):
        if wanted is None:
            continue
        if isinstance(wanted, list | tuple | set | frozenset):
            queryset = queryset.filter(**{f"{name}__in": list(wanted)})
        else:
            queryset = queryset.filter(**{name: wanted})
    fields = ["period", "value", "question", "answer"]
    if by_respondent:
        fields.insert(2, "respondent")
    if by_scope:
        fields.insert(0, "scope")
    grouped = queryset.values(*fields).annotate(n=Sum("count")).order_by()
    sql, params = grouped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [*fields, "n"]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
