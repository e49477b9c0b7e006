"""The half-year report: staff-written words beside the published figures of one half-year.

Plain functions for the report pages, the admin and the demo. Every number on a report comes
from feedback.publish (the public dashboard), so the report hides exactly what the dashboard
hides. The staff texts are plain text; the page escapes them and turns blank lines into
paragraphs.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from feedback import indicators, publish
from feedback.actions import ListedAction, public_action
from feedback.charts import TrendPoint
from feedback.models import Action, HalfYearReport
from feedback.suppression import Cell, one_decimal

HALF_YEAR = re.compile(r"^(\d{4})-H([12])$")
PREVIEW_PERMISSION = "feedback.change_halfyearreport"
STORIES_PER_INDICATOR = 2


def is_half_year(period: str) -> bool:
    """Whether a string is a half-year such as 2025-H2."""
    return bool(HALF_YEAR.match(period or ""))


def period_label(period: str) -> str:
    """ "2025-H2" in words: "tweede helft van 2025"; anything else as it is."""
    match = HALF_YEAR.match(period or "")
    if not match:
        return period
    year, half = match.groups()
    if half == "1":
        return _("eerste helft van %(year)s") % {"year": year}
    return _("tweede helft van %(year)s") % {"year": year}


def period_end(period: str) -> datetime.datetime:
    """The first moment after a half-year (1 July or 1 January), in the site's time zone."""
    match = HALF_YEAR.match(period)
    if not match:
        raise ValueError(f"Not a half-year: {period!r}")
    year, half = int(match.group(1)), match.group(2)
    day = datetime.date(year, 7, 1) if half == "1" else datetime.date(year + 1, 1, 1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def can_preview(user) -> bool:
    """Staff who may change reports may also read one before it is public."""
    return user.is_authenticated and user.has_perm(PREVIEW_PERMISSION)


def published_reports() -> QuerySet[HalfYearReport]:
    """The public reports, newest half-year first."""
    return HalfYearReport.objects.published().order_by("-period")


def report_for(period: str, *, preview: bool = False) -> HalfYearReport | None:
    """The report of a half-year when the reader may see it: public, or a preview for staff."""
    if not is_half_year(period):
        return None
    reports = HalfYearReport.objects.all() if preview else HalfYearReport.objects.published()
    return reports.filter(period=period).first()


def actions_for(report: HalfYearReport, now: datetime.datetime | None = None) -> list[ListedAction]:
    """The published actions of the report: made public in or before its half-year, or later
    but before the report itself was made public (or before now, for a draft).

    A report is written after its half-year ends; what the municipality did in the meantime
    belongs in it, while actions published after the report do not change it afterwards.
    """
    until = max(period_end(report.period), report.published_at or now or timezone.now())
    actions = (
        Action.objects.published()
        .filter(Q(first_published_at__lt=until) | Q(first_published_at__isnull=True))
        .order_by("-planned_on", "-first_published_at", "pk")
        .prefetch_related("poll_sessions", "comments__consultation")
    )
    return [ListedAction(f"rapport-actie-{action.pk}", public_action(action)) for action in actions]


@dataclass
class Section:
    """One headline indicator on the report: the figure, its trend and its groups by help type."""

    block: publish.Block
    period: str
    by_help_type: publish.Block | None = None
    stories: list = field(default_factory=list)

    @property
    def trend_points(self) -> list[TrendPoint]:
        """The trend up to and including the report's half-year (later ones are not in it)."""
        return [point for point in self.block.trend_points if point.period <= self.period]

    @property
    def current(self) -> TrendPoint | None:
        """The report's half-year as a trend point: its figure and interval."""
        return next((p for p in self.block.trend_points if p.period == self.period), None)

    @property
    def reference(self) -> float | None:
        """The figure for all help types, drawn as a line on the chart per help type."""
        cell = self.block.figure.cell
        return float(cell.value) if cell.shown and cell.value is not None else None

    @property
    def anchor(self) -> str:
        """The id of this indicator's heading."""
        return f"cijfer-{self.block.key.replace('_', '-')}"

    @property
    def shows_help_types(self) -> bool:
        """Whether any help type's figure is shown (a chart of only hidden bars says nothing)."""
        if self.by_help_type is None:
            return False
        return any(group.figure.cell.shown for group in self.by_help_type.groups)


@dataclass
class ReportContext:
    """Everything the report page shows."""

    report: HalfYearReport
    period_label: str
    dashboard: publish.Dashboard
    sections: list[Section]
    actions: list[ListedAction]
    highlight: object | None = None

    @property
    def has_figures(self) -> bool:
        """Whether the dashboard has figures for exactly this half-year."""
        return self.dashboard.period == self.report.period and bool(self.dashboard.blocks)

    @property
    def other_blocks(self) -> list[publish.Block]:
        """The indicators that are not drawn as charts, for the summary table."""
        return [block for block in self.dashboard.blocks if not block.headline]


def _stories(period: str) -> tuple[dict[str, list], object | None]:
    """The published stories of a half-year per indicator, and its story of the half-year."""
    from feedback import stories

    per_indicator: dict[str, list] = {}
    for story in stories.public_stories(period):
        if story.indicator_key:
            per_indicator.setdefault(story.indicator_key, []).append(story)
    return per_indicator, stories.highlight(period)


def build_context(report: HalfYearReport) -> ReportContext:
    """The report page's figures, stories and actions for one report."""
    dashboard = publish.build(public=True, period=report.period)
    sections: list[Section] = []
    highlight = None
    if dashboard.period == report.period:
        by_help_type = {
            block.key: block
            for block in publish.build(public=True, period=report.period, split="help_type").blocks
        }
        per_indicator, highlight = _stories(report.period)
        sections = [
            Section(
                block,
                report.period,
                by_help_type.get(block.key),
                per_indicator.get(block.key, [])[:STORIES_PER_INDICATOR],
            )
            for block in dashboard.headline_blocks
        ]
    return ReportContext(
        report=report,
        period_label=period_label(report.period),
        dashboard=dashboard,
        sections=sections,
        actions=actions_for(report),
        highlight=highlight,
    )


def method_facts() -> dict[str, int]:
    """The suppression rules in force, for "Hoe maakten we deze cijfers?"."""
    return {
        "min_n": settings.SUPPRESSION_MIN_N,
        "min_n_percent": settings.SUPPRESSION_MIN_N_PERCENT,
        "rounding": settings.PUBLIC_COUNT_ROUNDING,
    }


# --- the demo ---------------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    """A shown cell as the page prints it (7,3 or 71%)."""
    if cell.kind == "share":
        return f"{number_format(cell.percent)}%"
    return one_decimal(cell.value)


def _compare(now: publish.Figure, before: publish.Figure) -> str | None:
    """ "hoger", "lager" or "ongeveer gelijk" when both are shown, judged by their intervals."""
    if not (now.cell.shown and before.cell.shown):
        return None
    if None in (now.low, now.high, before.low, before.high):
        return None
    if indicators.intervals_overlap((now.low, now.high), (before.low, before.high)):
        return "gelijk"
    return "hoger" if now.cell.value > before.cell.value else "lager"


def _previous(block: publish.Block, period: str) -> tuple[str, publish.Figure] | None:
    periods = [p for p, _f in block.trend]
    index = periods.index(period) if period in periods else -1
    return block.trend[index - 1] if index > 0 else None


def _demo_texts(period: str) -> tuple[str, str, str] | None:
    """Summary, analysis and policy text that are true for the demo's published figures."""
    dashboard = publish.build(public=True, period=period)
    if dashboard.period != period:
        return None
    blocks = {block.key: block for block in dashboard.blocks}
    mark = blocks.get("mark_mean")
    if mark is None or not mark.figure.cell.shown:
        return None
    label = period_label(period)
    analysis: list[str] = []
    summary = [
        f"In de {label} gaven jongeren en ouders de hulp gemiddeld een {_text(mark.figure.cell)}."
    ]

    first = f"Het gemiddelde rapportcijfer is {_text(mark.figure.cell)}."
    seven = blocks.get("mark_7_plus")
    if seven and seven.figure.cell.shown:
        first += f" {_text(seven.figure.cell)} gaf een 7 of hoger."
    previous = _previous(mark, period)
    if previous:
        before_period, before = previous
        change = _compare(mark.figure, before)
        before_label = period_label(before_period)
        if change == "gelijk":
            first += (
                f" In de {before_label} was het cijfer {_text(before.cell)}. Dat verschil is "
                "klein. Het kan ook toeval zijn."
            )
        elif change:
            first += (
                f" Dat is {change} dan in de {before_label} ({_text(before.cell)}). Dat verschil "
                "is groot genoeg om geen toeval te zijn."
            )
            summary.append(f"Dat is {change} dan het half jaar ervoor.")
    analysis.append(first)

    by_type = publish.build(public=True, period=period, split="help_type")
    type_mark = next((b for b in by_type.blocks if b.key == "mark_mean"), None)
    shown = [g for g in (type_mark.groups if type_mark else []) if g.figure.cell.shown]
    hidden = len(type_mark.groups) - len(shown) if type_mark else 0
    if len(shown) >= 2:
        high = max(shown, key=lambda g: g.figure.cell.value)
        low = min(shown, key=lambda g: g.figure.cell.value)
        text = (
            f"Per soort hulp verschilt het cijfer. Het hoogst is '{high.label}' "
            f"({_text(high.figure.cell)}), het laagst '{low.label}' ({_text(low.figure.cell)})."
        )
        if _compare(high.figure, low.figure) == "gelijk":
            text += " Maar dat verschil kan ook toeval zijn."
        if hidden:
            text += (
                " Bij sommige soorten hulp waren er te weinig reacties. Die cijfers laten we "
                "niet zien."
            )
        analysis.append(text)

    agree = [
        block
        for key, block in blocks.items()
        if key.startswith("agree_") and block.figure.cell.shown
    ]
    if agree:
        lowest = min(agree, key=lambda b: b.figure.cell.value)
        highest = max(agree, key=lambda b: b.figure.cell.value)
        analysis.append(
            f"We vroegen ook of mensen het eens waren met een paar zinnen over de hulp. "
            f"Het vaakst eens waren ze met '{highest.label}' ({_text(highest.figure.cell)}). "
            f"Het minst vaak eens waren ze met '{lowest.label}' ({_text(lowest.figure.cell)})."
        )
        summary.append(f"Het minst vaak waren mensen het eens met: '{lowest.label}'.")

    dropout = blocks.get("dropout")
    if dropout and dropout.figure.cell.shown:
        analysis.append(
            f"Van de hulp die stopte, stopte {_text(dropout.figure.cell)} eerder omdat de "
            "jongere of het gezin dat zelf wilde. Dat noemen we uitval."
        )
    response = blocks.get("response_rate")
    if response and response.figure.cell.shown:
        analysis.append(
            f"{_text(response.figure.cell)} van de mensen die we een vragenlijst stuurden, "
            "vulde hem in. Hoe meer mensen meedoen, hoe beter de cijfers kloppen."
        )

    implications = [
        "We blijven vragen wat jongeren en ouders van de hulp vinden. Over een half jaar "
        "kijken we of de cijfers veranderen."
    ]
    if agree:
        implications.insert(
            0,
            f"Het laagste cijfer gaat over '{lowest.label}'. Daar willen we eerst iets aan doen. "
            "We praten hierover met de aanbieders en met het jongerenpanel.",
        )
    if len(shown) >= 2:
        implications.insert(
            1 if agree else 0,
            f"Bij '{low.label}' vragen we de aanbieders wat beter kan. Bij '{high.label}' "
            "kijken we wat goed gaat, zodat anderen dat kunnen overnemen.",
        )
    return " ".join(summary), "\n\n".join(analysis), "\n\n".join(implications)


def seed_demo_report() -> str:
    """A published demo report for the latest half-year with figures; later calls keep it."""
    period = publish.build(public=True).period
    if period is None:
        return "Demo half-year report: skipped (no figures yet)."
    existing = HalfYearReport.objects.filter(period=period).first()
    if existing is not None:
        return f"Demo half-year report at /cijfers/rapport/{period}/: already there."
    texts = _demo_texts(period)
    if texts is None:
        return "Demo half-year report: skipped (too few answers to write about)."
    summary, analysis, implications = texts
    HalfYearReport.objects.create(
        period=period,
        title="Wat vonden jongeren en ouders van de hulp?",
        summary=summary,
        analysis=analysis,
        implications=implications,
        published=True,
    )
    return f"Demo half-year report at /cijfers/rapport/{period}/: created."
