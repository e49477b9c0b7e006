"""Charts in templates: `{% load charts %}`, then `{% bar_chart bars chart_id="..." title="..." %}`.

Both tags accept `as name` to keep the SVG for feedback/charts/_figure.html, which puts the
chart beside a table of the same numbers:

    {% bar_chart bars chart_id="nut-per-hulp" title=title as chart %}
    {% include "feedback/charts/_figure.html" with chart=chart caption=title rows=bars %}
"""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString

from feedback import charts

register = template.Library()


@register.simple_tag(name="bar_chart")
def bar_chart_tag(bars, **options) -> SafeString:
    """feedback.charts.bar_chart as a template tag; options are its keyword arguments."""
    return charts.bar_chart(bars, **options)


@register.simple_tag(name="trend_chart")
def trend_chart_tag(points, **options) -> SafeString:
    """feedback.charts.trend_chart as a template tag; options are its keyword arguments."""
    return charts.trend_chart(points, **options)


@register.filter
def chart_interval(row) -> str:
    """A Bar's or TrendPoint's 95 % interval: "60-70%", "7,1-7,6", "12-20"; "-" when none.

    A hidden cell never shows an interval, even when one was passed with it.
    """
    cell = row.cell
    if not cell.shown or cell.value is None or row.low is None or row.high is None:
        return "-"
    if cell.kind == "share":
        return f"{charts.percent_text(row.low)}-{charts.percent_text(row.high)}%"
    if cell.kind == "mean":
        return f"{charts.one_decimal(row.low)}-{charts.one_decimal(row.high)}"
    return f"{number_format(round(row.low))}-{number_format(round(row.high))}"


@register.filter
def chart_any_hidden(rows) -> bool:
    """Whether any row's number is hidden, so the figure explains "te weinig reacties"."""
    return any(not row.cell.shown or row.cell.value is None for row in rows)


@register.filter
def chart_has_interval(rows) -> bool:
    """Whether any row shows a 95 % interval, so the figure explains what that is."""
    return any(chart_interval(row) != "-" for row in rows)


@register.filter
def chart_is_trend(rows) -> bool:
    """Whether the rows are trend points (periods) rather than bars (groups)."""
    return any(isinstance(row, charts.TrendPoint) for row in rows)
