"""Signals for a learning conversation: a type of help at one provider that scores low twice.

Issue 6, item 3. A cell is (type of help x provider). It is *low* in a half-year when its mean
usefulness mark has n >= SIGNAL_MIN_N respondents and its whole 95 % interval lies below the
mean mark of all providers for that type of help in the same half-year: low beyond chance, not
just below average. A cell is flagged when it was low in two half-years in a row (the two
newest half-years in which it had an answer). Staff only: these figures name providers.

Computed from feedback.indicators (live answers plus the totals kept after retention), so
nothing is stored; staff see the list in the admin and plan the conversation themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise

from feedback import indicators
from feedback.models import Provider

KEY = "mark_mean"


def minimum_n() -> int:
    """Respondents a cell needs in each half-year before it can be called low (default 30)."""
    return settings.SIGNAL_MIN_N


@dataclass(frozen=True)
class HalfYear:
    """One half-year of a cell: its mean mark with interval, and the mark of all providers."""

    period: str
    value: float
    n: int
    low: float
    high: float
    reference: float

    @property
    def is_low(self) -> bool:
        """The whole interval lies below the reference."""
        return self.high < self.reference


@dataclass(frozen=True)
class Signal:
    """A cell flagged for a learning conversation with its provider."""

    provider_id: int
    provider: str
    help_type: str
    help_type_label: str | Promise
    half_years: tuple[HalfYear, ...]


def _by_period(figures: Iterable[indicators.Figure]) -> dict[tuple, indicators.Figure]:
    return {(figure.period, figure.group): figure for figure in figures if figure.value is not None}


def signals(filters: Mapping[str, object] | None = None) -> list[Signal]:
    """Every (type of help x provider) cell that was low in its two newest half-years."""
    filters = dict(filters or {})
    needed = minimum_n()
    references = _by_period(indicators.figures("help_type", filters=filters, keys=[KEY]))
    found: list[Signal] = []
    for provider in Provider.objects.order_by("name"):
        cells = indicators.figures(
            "help_type", filters={**filters, "provider": provider.pk}, keys=[KEY]
        )
        per_help_type: dict[str, list[indicators.Figure]] = {}
        for figure in cells:
            if figure.value is not None:
                per_help_type.setdefault(figure.group, []).append(figure)
        for help_type, figures in per_help_type.items():
            newest = sorted(figures, key=lambda figure: figure.period)[-2:]
            if len(newest) < 2 or not _consecutive(newest[0].period, newest[1].period):
                continue
            half_years = []
            for figure in newest:
                reference = references.get((figure.period, help_type))
                if figure.n < needed or figure.high is None or reference is None:
                    break
                half_years.append(
                    HalfYear(
                        figure.period,
                        figure.value,
                        figure.n,
                        figure.low,
                        figure.high,
                        reference.value,
                    )
                )
            if len(half_years) == 2 and all(half.is_low for half in half_years):
                found.append(
                    Signal(
                        provider.pk,
                        provider.name,
                        help_type,
                        figures[0].group_label,
                        tuple(half_years),
                    )
                )
    return found


def _consecutive(first: str, second: str) -> bool:
    """Whether two half-years ("2025-H1", "2025-H2") follow each other."""
    year, half = int(first[:4]), first[-1]
    following = f"{year}-H2" if half == "1" else f"{year + 1}-H1"
    return second == following
