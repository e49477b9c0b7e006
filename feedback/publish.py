"""What the dashboards, exports, the API and the half-year report publish of the indicators.

The one place where indicator figures become published cells: everything passes through
feedback.suppression here, so no page or file can print a raw number by accident.

- A dashboard is one period (a half-year), one split and one audience. The public sees
  half-years and the splits in PUBLIC_SPLITS; staff also see providers; a provider's own
  people see only their own figures, next to the figure for all providers.
- Per indicator: the overall figure of the period, its trend over the half-years (each period
  a figure on its own), and with a split the groups of that period as a one-row table whose
  total is the overall figure, so that a hidden group cannot be worked out from the total and
  the other groups (secondary suppression).
- Public counts (n) are rounded to PUBLIC_COUNT_ROUNDING; intervals are only given for shown
  figures.
- Questions the data cannot answer (an unknown split or period, a period without answers, a
  provider that is not the user's) come back as a `problem` message, never as an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from feedback import indicators, suppression
from feedback.charts import Bar, TrendPoint
from feedback.models import Provider
from feedback.suppression import Cell

PUBLIC_SPLITS = ("overall", "help_type", "district", "age_band", "respondent")
STAFF_SPLITS = (*PUBLIC_SPLITS, "provider")
# The indicators drawn as charts; the others are in the summary table.
HEADLINE_KEYS = (
    "mark_mean",
    "mark_7_plus",
    "carry_on",
    "goals_reached",
    "agree_taken_seriously",
    "dropout",
    "response_rate",
)
# Real answers only, where any exist; the demo shows its synthetic data.
SYNTHETIC_NOTE = _("Dit zijn oefengegevens. Ze zijn verzonnen om te laten zien hoe het werkt.")


@dataclass(frozen=True)
class Figure:
    """One published figure: the cell and, when it is shown, its 95 % interval."""

    cell: Cell
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Group:
    """One group of a split in the chosen period."""

    value: str | int | None
    label: str | Promise
    figure: Figure


@dataclass
class Block:
    """One indicator on a dashboard."""

    key: str
    label: str | Promise
    kind: str
    higher_is_better: bool
    figure: Figure
    trend: list[tuple[str, Figure]] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    reference: Figure | None = None  # the all-providers figure on a provider's own dashboard
    headline: bool = False

    @property
    def trend_points(self) -> list[TrendPoint]:
        """The trend as chart points."""
        return [TrendPoint(period, f.cell, f.low, f.high) for period, f in self.trend]

    @property
    def bars(self) -> list[Bar]:
        """The groups as chart bars."""
        return [Bar(str(g.label), g.figure.cell, g.figure.low, g.figure.high) for g in self.groups]

    @property
    def chart_kind(self) -> str:
        """Charts draw shares and means."""
        return indicators.SHARE if self.kind == indicators.SHARE else "mean"


@dataclass
class Dashboard:
    """Everything one dashboard page, export or API answer shows."""

    public: bool
    period: str | None
    periods: list[str]
    split: str
    splits: tuple[str, ...]
    blocks: list[Block]
    provider: Provider | None = None
    synthetic: bool = False
    problems: list[str | Promise] = field(default_factory=list)
    granularity: str = indicators.HALF_YEAR

    @property
    def split_label(self) -> str | Promise:
        """The name of the chosen split."""
        return indicators.SPLITS[self.split].label

    @property
    def headline_blocks(self) -> list[Block]:
        """The indicators drawn as charts."""
        return [block for block in self.blocks if block.headline]

    @property
    def has_hidden(self) -> bool:
        """Whether any number on the dashboard is hidden."""
        for block in self.blocks:
            cells = [block.figure.cell, *(f.cell for _p, f in block.trend)]
            cells += [group.figure.cell for group in block.groups]
            if not all(cell.shown for cell in cells):
                return True
        return False


def split_choices(public: bool) -> list[tuple[str, str | Promise]]:
    """The splits an audience may choose, with their labels."""
    keys = PUBLIC_SPLITS if public else STAFF_SPLITS
    return [(key, indicators.SPLITS[key].label) for key in keys]


def _published(figure: indicators.Figure | None, public: bool) -> Figure:
    """A figure that stands alone (an overall figure, one period of a trend)."""
    if figure is None:
        return Figure(suppression.figure(None, 0, share=True, public=public))
    cell = suppression.figure(
        figure.value, figure.n, share=figure.kind == indicators.SHARE, public=public
    )
    if not cell.shown:
        return Figure(cell)
    return Figure(cell, figure.low, figure.high)


def _published_groups(
    overall: indicators.Figure | None, groups: list[indicators.Figure], public: bool
) -> tuple[Figure, list[Figure]]:
    """The groups of a split as a one-row table with the overall figure as its total."""
    if not groups:
        return _published(overall, public), []
    share = groups[0].kind == indicators.SHARE
    values = [figure.value for figure in groups]
    table = suppression.figure_table(
        [values],
        [[figure.n for figure in groups]],
        row_values=[overall.value if overall else None],
        column_values=values,
        total_value=overall.value if overall else None,
        share=share,
        public=public,
    )

    def with_interval(cell: Cell, figure: indicators.Figure | None) -> Figure:
        if not cell.shown or figure is None:
            return Figure(cell)
        return Figure(cell, figure.low, figure.high)

    # A group's column total is the group itself: hidden wherever the group is.
    published = [
        with_interval(cell, figure)
        if column_total.shown or not cell.shown
        else Figure(suppression.Cell(None, None, False, suppression.COMPLEMENT, kind=cell.kind))
        for cell, column_total, figure in zip(
            table.cells[0], table.column_totals, groups, strict=True
        )
    ]
    return with_interval(table.row_totals[0], overall), published


def _data_filters(provider: Provider | None) -> dict:
    filters: dict = {}
    if provider is not None:
        filters["provider"] = provider.pk
    return filters


def uses_synthetic_data() -> bool:
    """The demo has only synthetic answers; a real installation never shows them."""
    from feedback.models import IndicatorTally

    real = IndicatorTally.objects.filter(
        granularity=indicators.HALF_YEAR, dim="overall", scope=0, synthetic=False
    )
    return not real.exists()


def build(
    *,
    public: bool,
    period: str | None = None,
    split: str = "overall",
    provider: Provider | None = None,
    reference: bool = False,
    granularity: str = indicators.HALF_YEAR,
) -> Dashboard:
    """The dashboard for one audience, half-year and split (see the module docstring).

    `provider` narrows every figure to that provider (a provider's own dashboard);
    `reference` adds the all-providers figure of the period beside each indicator.
    `granularity` QUARTER gives the reportable quarters (staff only; see feedback.indicators).
    """
    splits = PUBLIC_SPLITS if public else STAFF_SPLITS
    problems: list[str | Promise] = []
    if public or granularity not in indicators.GRANULARITIES:
        granularity = indicators.HALF_YEAR
    if split not in splits:
        problems.append(_("Deze indeling kennen we niet. Je ziet nu alle antwoorden samen."))
        split = "overall"
    if provider is not None and split == "provider":
        split = "overall"
    synthetic = uses_synthetic_data()
    base = {"synthetic": synthetic}
    filters = {**base, **_data_filters(provider)}
    overall_figures, periods = indicators.overall_and_periods(granularity, filters)
    if period is None:
        period = periods[-1] if periods else None
    elif period not in periods:
        problems.append(
            _("Over deze periode hebben we geen antwoorden. Je ziet nu de laatste periode.")
        )
        period = periods[-1] if periods else None
    if period is None:
        problems.append(_("Er zijn nog geen antwoorden om te laten zien."))
        return Dashboard(
            public, None, [], split, splits, [], provider, synthetic, problems, granularity
        )

    overall = {(figure.key, figure.period): figure for figure in overall_figures}
    by_group: dict[str, list[indicators.Figure]] = {}
    if split != "overall":
        for figure in indicators.figures(split, granularity, period, filters):
            by_group.setdefault(figure.key, []).append(figure)
    references = {}
    if reference and provider is not None:
        references = {
            figure.key: figure
            for figure in indicators.figures("overall", granularity, period, base)
        }

    blocks = []
    for key in indicators.keys_for(split, granularity, filters):
        indicator = indicators.INDICATORS[key]
        own = overall.get((key, period))
        figure, groups = _published_groups(own, by_group.get(key, []), public)
        blocks.append(
            Block(
                key=key,
                label=indicator.label,
                kind=indicator.kind,
                higher_is_better=indicator.higher_is_better,
                figure=figure,
                # The chosen period's point is the figure above, so both hide the same.
                trend=[
                    (p, figure if p == period else _published(overall.get((key, p)), public))
                    for p in periods
                ],
                groups=[
                    Group(source.group, source.group_label, published)
                    for source, published in zip(by_group.get(key, []), groups, strict=True)
                ],
                reference=_published(references[key], public) if key in references else None,
                headline=key in HEADLINE_KEYS,
            )
        )
    return Dashboard(
        public, period, periods, split, splits, blocks, provider, synthetic, problems, granularity
    )


def from_query(
    query: Mapping[str, str], *, public: bool, provider: Provider | None = None
) -> Dashboard:
    """A dashboard from a page's or API's query string (?periode=2025-H2&indeling=district;
    staff also &per=kwartaal)."""
    period = (query.get("periode") or "").strip() or None
    split = (query.get("indeling") or "overall").strip()
    granularity = indicators.QUARTER if query.get("per") == "kwartaal" else indicators.HALF_YEAR
    return build(
        granularity=granularity,
        public=public,
        period=period,
        split=split,
        provider=provider,
        reference=provider is not None,
    )


def period_label(period: str) -> str:
    """A period in words: "tweede helft van 2025", "derde kwartaal van 2025"."""
    from feedback.stories import half_year_label

    if len(period or "") == 7 and period[4:6] == "-Q" and period[6] in "1234":
        names = {"1": _("eerste"), "2": _("tweede"), "3": _("derde"), "4": _("vierde")}
        return str(
            _("%(number)s kwartaal van %(year)s") % {"number": names[period[6]], "year": period[:4]}
        )
    return half_year_label(period)
