"""Charts for the dashboards and reports: accessible SVG, rendered on the server.

Every chart is an `<svg role="img">` with a title and a description in words, drawn with
presentation attributes only (the CSP forbids inline styles), without script, fonts or links to
anything outside the page. The numbers come in as suppression.Cell objects: a hidden cell gets no
bar, point or whisker, only the words "te weinig reacties", and none of its numbers (nor an
interval passed with it) ends up anywhere in the SVG. The scale of an axis depends on shown
numbers only. Pages show the same numbers in a table beside the chart
(feedback/charts/_figure.html), so nobody needs to read them from the picture.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.suppression import Cell, one_decimal
from feedback.templatetags.suppression import cell_text

# Colours (contrast against white is checked in tests/feedback/test_charts.py).
BAR_COLOUR = "#7a68c8"  # 4.5:1 on white, 3.8:1 against the ink of the whiskers
LINE_COLOUR = "#3b1f8f"  # the site's brand colour, 11.8:1
REFERENCE_COLOUR = "#b3125a"  # the site's accent colour, 6.7:1
TEXT_COLOUR = "#1b1b1f"  # 17.2:1
MUTED_TEXT_COLOUR = "#4a4a55"  # 8.7:1
GRID_COLOUR = "#dcd8e8"  # decoration only: every gridline also has a tick label
HALO_COLOUR = "#ffffff"  # keeps whiskers and labels readable where they cross a bar or line

KINDS = ("share", "mean", "count")
WIDTH = 640
FONT_SIZE = 14
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
LINE_HEIGHT = 18
# An estimate of the average width of a character, in font sizes; a little wide on purpose,
# so that wrapped labels fit in most fonts.
CHAR_WIDTH = 0.58

_CHART_ID = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


@dataclass(frozen=True)
class Bar:
    """One bar of a bar chart: a label, its number and (optionally) a 95 % interval."""

    label: str
    cell: Cell
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class TrendPoint:
    """One period of a trend line ("2025-H2" or "2025-Q3") with its number and interval."""

    period: str
    cell: Cell
    low: float | None = None
    high: float | None = None

    @property
    def label(self) -> str:
        """The period, so tables can show bars and trend points alike."""
        return self.period


# Small helpers.


def _check(chart_id: str, kind: str) -> None:
    if not isinstance(chart_id, str) or not _CHART_ID.fullmatch(chart_id):
        raise ValueError("chart_id may hold only letters, digits, '-' and '_'.")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}.")


def _check_cell(cell: Cell, kind: str) -> None:
    if cell.shown and cell.kind != kind:
        raise ValueError(f"A {cell.kind} cell cannot go on a {kind} chart.")


def _num(x: float) -> str:
    """A coordinate for an attribute: a dot as decimal separator, whatever the language."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _text_width(text: str, size: int = FONT_SIZE) -> float:
    return len(text) * size * CHAR_WIDTH


def _wrap(text: str, width: float, max_lines: int, *, cut_words: bool = True) -> list[str]:
    """The text broken into lines that fit `width`; the last line ends in "…" when cut.

    With cut_words=False a word longer than a line stays whole (and sticks out a little).
    """
    max_chars = max(1, int(width / (FONT_SIZE * CHAR_WIDTH)))
    lines: list[str] = []
    current = ""
    for word in text.split():
        while cut_words and len(word) > max_chars:  # a word longer than a line is cut into pieces
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:max_chars])
            word = word[max_chars:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= max_chars:
            current = candidate
        else:
            if current:
                lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        lines = lines[: max_lines - 1] + [last[: max_chars - 1].rstrip() + "…"]
    return lines or [""]


def _value(cell: Cell) -> float:
    return float(cell.value)


def percent_text(x: float) -> str:
    """A share between 0 and 1 as a whole percentage, rounded half up: "63"."""
    return number_format(math.floor(100 * x + 0.5))


def _formatted(x: float, kind: str) -> str:
    """A number that is not a cell (an axis tick or a reference) as the cells show theirs."""
    if kind == "share":
        return f"{percent_text(x)}%"
    if kind == "mean":
        return one_decimal(x)
    return number_format(round(x))


def _count_ticks(top: float) -> list[int]:
    """Round ticks from 0 to at least `top`: steps of 1, 2 or 5 times a power of ten."""
    top = max(top, 1)
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    last = math.ceil(top / step) * step
    return list(range(0, last + step, step))


class _Scale:
    """The axis of a chart: ticks, and where a number sits between 0 and 1 along it."""

    def __init__(self, kind: str, cells_and_highs: Iterable[float]) -> None:
        self.kind = kind
        if kind == "share":
            self.low, self.high = 0.0, 1.0
            self.ticks = [i / 5 for i in range(6)]
        elif kind == "mean":
            self.low, self.high = 1.0, 10.0
            self.ticks = [float(i) for i in range(1, 11)]
        else:
            ticks = _count_ticks(max(cells_and_highs, default=0))
            self.low, self.high = 0.0, float(ticks[-1])
            self.ticks = [float(t) for t in ticks]

    def fraction(self, x: float) -> float:
        """Where x sits on the axis, from 0 (start) to 1 (end); numbers outside are clamped."""
        return min(max((x - self.low) / (self.high - self.low), 0.0), 1.0)

    def tick_label(self, x: float) -> str:
        if self.kind == "share":
            return f"{number_format(round(100 * x))}%"
        return number_format(round(x))


def _scale(kind: str, items: Sequence[Bar | TrendPoint]) -> _Scale:
    # Only shown numbers may set the scale: a hidden cell must not move the axis.
    numbers = []
    for item in items:
        if item.cell.shown and item.cell.value is not None:
            numbers.append(_value(item.cell))
            if item.high is not None:
                numbers.append(float(item.high))
    return _Scale(kind, numbers)


def _interval(item: Bar | TrendPoint) -> tuple[float, float] | None:
    if not item.cell.shown or item.low is None or item.high is None:
        return None
    return float(item.low), float(item.high)


def _text(
    x: float,
    y: float,
    content: str,
    *,
    anchor: str = "start",
    fill: str = TEXT_COLOUR,
    weight: str = "",
    italic: bool = False,
    halo: bool = False,
    css_class: str = "chart-text",
) -> str:
    extra = f' font-weight="{weight}"' if weight else ""
    if italic:
        extra += ' font-style="italic"'
    if halo:
        extra += (
            f' stroke="{HALO_COLOUR}" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
        )
    return (
        f'<text class="{css_class}" x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" '
        f'fill="{fill}"{extra}>{escape(content)}</text>'
    )


def _whisker(x1: float, y1: float, x2: float, y2: float, cap_dx: float, cap_dy: float) -> str:
    """An interval line with end caps, dark on a white halo so it shows on a bar and off it."""
    d = (
        f"M{_num(x1)} {_num(y1)}L{_num(x2)} {_num(y2)}"
        f"M{_num(x1 - cap_dx)} {_num(y1 - cap_dy)}L{_num(x1 + cap_dx)} {_num(y1 + cap_dy)}"
        f"M{_num(x2 - cap_dx)} {_num(y2 - cap_dy)}L{_num(x2 + cap_dx)} {_num(y2 + cap_dy)}"
    )
    return (
        f'<path class="chart-whisker-halo" d="{d}" fill="none" stroke="{HALO_COLOUR}" '
        f'stroke-width="5" stroke-linecap="round"/>'
        f'<path class="chart-whisker" d="{d}" fill="none" stroke="{TEXT_COLOUR}" '
        f'stroke-width="2" stroke-linecap="round"/>'
    )


def _svg(chart_id: str, title: str, description: str, height: float, body: list[str]) -> SafeString:
    # Safe: every piece of text in `body` went through escape(), ids were validated.
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {_num(height)}" '
        f'width="100%" font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _hidden_note(count: int) -> str:
    return ngettext(
        "Bij %(count)s groep waren te weinig reacties.",
        "Bij %(count)s groepen waren te weinig reacties.",
        count,
    ) % {"count": count}


# Bar charts.

BAR_HEIGHT = 24
BAR_GAP = 16
LEFT = 16
RIGHT = 64  # room for the value label after a full bar


def _bar_description(bars: Sequence[Bar], kind: str, reference: float | None, label: str) -> str:
    shown = [bar for bar in bars if bar.cell.shown and bar.cell.value is not None]
    parts = [
        ngettext(
            "Staafdiagram met %(count)s groep.", "Staafdiagram met %(count)s groepen.", len(bars)
        )
        % {"count": len(bars)}
    ]
    if len(shown) == 1:
        bar = shown[0]
        parts.append(
            _("%(label)s: %(value)s.") % {"label": bar.label, "value": cell_text(bar.cell)}
        )
    elif shown:
        highest = max(shown, key=lambda bar: _value(bar.cell))
        lowest = min(shown, key=lambda bar: _value(bar.cell))
        parts.append(
            _("Het hoogst is %(label)s met %(value)s.")
            % {"label": highest.label, "value": cell_text(highest.cell)}
        )
        parts.append(
            _("Het laagst is %(label)s met %(value)s.")
            % {"label": lowest.label, "value": cell_text(lowest.cell)}
        )
    hidden = len(bars) - len(shown)
    if hidden:
        parts.append(_hidden_note(hidden))
    if reference is not None:
        parts.append(
            _("De stippellijn is %(label)s: %(value)s.")
            % {"label": label or _("de vergelijking"), "value": _formatted(reference, kind)}
        )
    return " ".join(parts)


def bar_chart(
    bars: Iterable[Bar],
    *,
    chart_id: str,
    title: str,
    description: str = "",
    kind: str = "share",
    reference: float | None = None,
    reference_label: str = "",
) -> SafeString:
    """Horizontal bars with their values, intervals and an optional dashed reference line.

    Shares run on a 0-100 % axis, means on a 1-10 axis, counts from 0 to a round number.
    Each label sits above its bar, wrapped to two lines at most (the table has it in full).
    """
    _check(chart_id, kind)
    bars = list(bars)
    for bar in bars:
        _check_cell(bar.cell, kind)
    scale = _scale(kind, bars)
    plot_left, plot_right = LEFT, WIDTH - RIGHT
    plot_width = plot_right - plot_left

    def x_of(value: float) -> float:
        return plot_left + scale.fraction(value) * plot_width

    top = 12 + (LINE_HEIGHT + 8 if reference is not None else 0)
    # Drawn in layers: gridlines, bars and whiskers, the reference line, then all text (with a
    # white halo, so lines never run through a word).
    marks: list[str] = []
    texts: list[str] = []
    y = top
    for bar in bars:
        for line in _wrap(str(bar.label), WIDTH - 2 * LEFT, 2):
            y += LINE_HEIGHT
            texts.append(_text(LEFT, y - 4, line, halo=True, css_class="chart-label"))
        bar_top = y + 4
        middle = bar_top + BAR_HEIGHT / 2
        if bar.cell.shown and bar.cell.value is not None:
            end = x_of(_value(bar.cell))
            marks.append(
                f'<rect class="chart-bar" x="{_num(plot_left)}" y="{_num(bar_top)}" '
                f'width="{_num(end - plot_left)}" height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            )
            label_x = end
            interval = _interval(bar)
            if interval:
                low, high = x_of(interval[0]), x_of(interval[1])
                marks.append(_whisker(low, middle, high, middle, 0, 7))
                label_x = max(label_x, high)
            texts.append(
                _text(label_x + 8, middle + 5, cell_text(bar.cell), weight="700", halo=True)
            )
        else:
            texts.append(
                _text(
                    plot_left + 4,
                    middle + 5,
                    _("te weinig reacties"),
                    fill=MUTED_TEXT_COLOUR,
                    italic=True,
                    halo=True,
                    css_class="chart-hidden",
                )
            )
        y = bar_top + BAR_HEIGHT + BAR_GAP
    if not bars:
        y += LINE_HEIGHT
        texts.append(_text(LEFT, y, _("Er zijn geen cijfers."), css_class="chart-hidden"))
        y += BAR_GAP
    plot_bottom = y - BAR_GAP / 2

    body: list[str] = []
    for tick in scale.ticks:
        x = x_of(tick)
        body.append(
            f'<line class="chart-grid" x1="{_num(x)}" y1="{_num(top)}" x2="{_num(x)}" '
            f'y2="{_num(plot_bottom)}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        anchor = "start" if tick == scale.ticks[0] else "middle"
        texts.append(
            _text(
                x,
                plot_bottom + LINE_HEIGHT,
                scale.tick_label(tick),
                anchor=anchor,
                fill=MUTED_TEXT_COLOUR,
                css_class="chart-tick",
            )
        )
    body.append(
        f'<line class="chart-axis" x1="{_num(plot_left)}" y1="{_num(top)}" '
        f'x2="{_num(plot_left)}" y2="{_num(plot_bottom)}" stroke="{MUTED_TEXT_COLOUR}" '
        f'stroke-width="1.5"/>'
    )
    body += marks
    if reference is not None:
        x = x_of(float(reference))
        line = f'x1="{_num(x)}" y1="{_num(top - 4)}" x2="{_num(x)}" y2="{_num(plot_bottom)}"'
        body.append(
            f'<line class="chart-reference-halo" {line} stroke="{HALO_COLOUR}" stroke-width="4"/>'
        )
        body.append(
            f'<line class="chart-reference" {line} stroke="{REFERENCE_COLOUR}" stroke-width="2" '
            f'stroke-dasharray="6 4"/>'
        )
        value = _formatted(float(reference), kind)
        text = f"{reference_label}: {value}" if reference_label else value
        if x < WIDTH / 3:
            anchor, text_x = "start", x - 4
        elif x > 2 * WIDTH / 3:
            anchor, text_x = "end", x + 4
        else:
            anchor, text_x = "middle", x
        texts.append(
            _text(
                text_x,
                top - 10,
                text,
                anchor=anchor,
                fill=REFERENCE_COLOUR,
                weight="700",
                css_class="chart-reference-label",
            )
        )
    body += texts
    height = plot_bottom + LINE_HEIGHT + 10
    if not description:
        description = _bar_description(bars, kind, reference, reference_label)
    return _svg(chart_id, title, description, height, body)


# Trend charts.

TREND_LEFT = 56
TREND_RIGHT = 24
TREND_TOP = 40
TREND_PLOT_HEIGHT = 240
TREND_BOTTOM = 52


def _trend_description(points: Sequence[TrendPoint]) -> str:
    if not points:
        return _("Er zijn geen cijfers.")
    shown = [point for point in points if point.cell.shown and point.cell.value is not None]
    if len(points) == 1:
        parts = [_("Lijn over 1 periode: %(period)s.") % {"period": points[0].period}]
    else:
        parts = [
            _("Lijn over %(count)s perioden, van %(first)s tot en met %(last)s.")
            % {"count": len(points), "first": points[0].period, "last": points[-1].period}
        ]
    if shown:
        last = shown[-1]
        parts.append(
            _("De laatste uitkomst is %(value)s in %(period)s.")
            % {"value": cell_text(last.cell), "period": last.period}
        )
    if len(shown) > 1:
        highest = max(shown, key=lambda point: _value(point.cell))
        lowest = min(shown, key=lambda point: _value(point.cell))
        parts.append(
            _("Het hoogst was %(high)s in %(high_period)s, het laagst %(low)s in %(low_period)s.")
            % {
                "high": cell_text(highest.cell),
                "high_period": highest.period,
                "low": cell_text(lowest.cell),
                "low_period": lowest.period,
            }
        )
    hidden = len(points) - len(shown)
    if hidden:
        parts.append(
            ngettext(
                "In %(count)s periode waren te weinig reacties.",
                "In %(count)s perioden waren te weinig reacties.",
                hidden,
            )
            % {"count": hidden}
        )
    return " ".join(parts)


def trend_chart(
    points: Iterable[TrendPoint],
    *,
    chart_id: str,
    title: str,
    description: str = "",
    kind: str = "share",
) -> SafeString:
    """A line through the periods, broken where a period is hidden, with intervals and values.

    The last shown point is drawn larger and its value in bold.
    """
    _check(chart_id, kind)
    points = list(points)
    for point in points:
        _check_cell(point.cell, kind)
    scale = _scale(kind, points)
    plot_left, plot_right = TREND_LEFT, WIDTH - TREND_RIGHT
    plot_top, plot_bottom = TREND_TOP, TREND_TOP + TREND_PLOT_HEIGHT
    slot = (plot_right - plot_left) / max(len(points), 1)

    def x_of(index: int) -> float:
        return plot_left + slot * (index + 0.5)

    def y_of(value: float) -> float:
        return plot_bottom - scale.fraction(value) * TREND_PLOT_HEIGHT

    body: list[str] = []
    for tick in scale.ticks:
        y = y_of(tick)
        body.append(
            f'<line class="chart-grid" x1="{_num(plot_left)}" y1="{_num(y)}" '
            f'x2="{_num(plot_right)}" y2="{_num(y)}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        body.append(
            _text(
                plot_left - 8,
                y + 5,
                scale.tick_label(tick),
                anchor="end",
                fill=MUTED_TEXT_COLOUR,
                css_class="chart-tick",
            )
        )
    body.append(
        f'<line class="chart-axis" x1="{_num(plot_left)}" y1="{_num(plot_bottom)}" '
        f'x2="{_num(plot_right)}" y2="{_num(plot_bottom)}" stroke="{MUTED_TEXT_COLOUR}" '
        f'stroke-width="1.5"/>'
    )

    # Period labels; split at the "-" when a period does not fit its slot.
    for index, point in enumerate(points):
        period = str(point.period)
        lines = [period]
        if _text_width(period) > slot - 4 and "-" in period:
            head, tail = period.split("-", 1)
            lines = [head, tail]
        for number, line in enumerate(lines):
            body.append(
                _text(
                    x_of(index),
                    plot_bottom + LINE_HEIGHT + 2 + number * LINE_HEIGHT,
                    line,
                    anchor="middle",
                    css_class="chart-period",
                )
            )

    # The line: one polyline per run of consecutive shown periods.
    runs: list[list[str]] = [[]]
    for index, point in enumerate(points):
        if point.cell.shown and point.cell.value is not None:
            runs[-1].append(f"{_num(x_of(index))},{_num(y_of(_value(point.cell)))}")
        elif runs[-1]:
            runs.append([])
    for run in runs:
        if len(run) > 1:
            body.append(
                f'<polyline class="chart-line" points="{" ".join(run)}" fill="none" '
                f'stroke="{LINE_COLOUR}" stroke-width="3" stroke-linejoin="round"/>'
            )

    shown_indexes = [
        index
        for index, point in enumerate(points)
        if point.cell.shown and point.cell.value is not None
    ]
    last_shown = shown_indexes[-1] if shown_indexes else None
    marks: list[str] = []
    labels: list[str] = []
    for index, point in enumerate(points):
        x = x_of(index)
        if index not in shown_indexes:
            words = _wrap(_("te weinig reacties"), slot - 6, 4, cut_words=False)
            first_y = (plot_top + plot_bottom) / 2 - (len(words) - 1) * LINE_HEIGHT / 2 + 5
            for number, word in enumerate(words):
                labels.append(
                    _text(
                        x,
                        first_y + number * LINE_HEIGHT,
                        word,
                        anchor="middle",
                        fill=MUTED_TEXT_COLOUR,
                        italic=True,
                        halo=True,
                        css_class="chart-hidden",
                    )
                )
            continue
        y = y_of(_value(point.cell))
        label_y = y
        interval = _interval(point)
        if interval:
            low, high = y_of(interval[0]), y_of(interval[1])
            marks.append(_whisker(x, low, x, high, 6, 0))
            label_y = min(label_y, high)
        emphasised = index == last_shown
        radius = 7 if emphasised else 4.5
        css = "chart-point chart-point-last" if emphasised else "chart-point"
        marks.append(
            f'<circle class="{css}" cx="{_num(x)}" cy="{_num(y)}" r="{radius}" '
            f'fill="{LINE_COLOUR}" stroke="{HALO_COLOUR}" stroke-width="2"/>'
        )
        labels.append(
            _text(
                x,
                label_y - 10,
                cell_text(point.cell),
                anchor="middle",
                weight="700" if emphasised else "",
                halo=True,
                css_class="chart-value",
            )
        )
    if not points:
        labels.append(
            _text(
                WIDTH / 2,
                (plot_top + plot_bottom) / 2,
                _("Er zijn geen cijfers."),
                anchor="middle",
                css_class="chart-hidden",
            )
        )
    body += marks + labels
    if not description:
        description = _trend_description(points)
    return _svg(chart_id, title, description, plot_bottom + TREND_BOTTOM, body)
