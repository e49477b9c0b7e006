"""Server-side SVG charts: well-formed, accessible, to scale, and silent about hidden numbers.

Geometry used below (feedback/charts.py): bar charts are 640 wide with the plot from x=16 to
x=576 (560 units); trend charts have their plot from x=56 to x=616 and from y=40 (top) to
y=280 (bottom, 240 units), with the periods in equal slots and each point in a slot's middle.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from feedback import charts
from feedback.charts import Bar, TrendPoint, bar_chart, trend_chart
from feedback.suppression import FEW_FOR_PERCENT, Cell, figure, suppress_breakdown

SVG = "{http://www.w3.org/2000/svg}"
NASTY = "<script>alert(1)</script> & \"x\" 'y'"


def parse(svg: str) -> ET.Element:
    """The chart as an XML tree; fails the test when it is not well-formed."""
    return ET.fromstring(str(svg))


def elements(root: ET.Element, name: str) -> list[ET.Element]:
    return list(root.iter(SVG + name))


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in elements(root, "text")]


def share(value: float, n: int = 100) -> Cell:
    return figure(value, n, share=True)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_on_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of a colour against white."""
    return 1.05 / (relative_luminance(colour) + 0.05)


def three_bars() -> list[Bar]:
    return [
        Bar("Wijkteam", share(0.5), 0.4, 0.6),
        Bar("Jeugd-GGZ", share(0.25)),
        Bar("Pleegzorg", share(1.0)),
    ]


# Structure and accessibility.


def test_bar_chart_is_an_svg_image_labelled_by_its_title_and_description():
    root = parse(bar_chart(three_bars(), chart_id="nut", title="Kan verder", description="Uitleg"))

    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "nut-title nut-desc"
    assert root.get("width") == "100%"
    assert root.get("viewBox").startswith("0 0 640 ")
    title, desc = root[0], root[1]
    assert (title.tag, title.get("id"), title.text) == (SVG + "title", "nut-title", "Kan verder")
    assert (desc.tag, desc.get("id"), desc.text) == (SVG + "desc", "nut-desc", "Uitleg")


def test_trend_chart_is_an_svg_image_labelled_by_its_title_and_description():
    points = [TrendPoint("2025-H1", share(0.5)), TrendPoint("2025-H2", share(0.6))]
    root = parse(trend_chart(points, chart_id="doelen", title="Doelen bereikt"))

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "doelen-title doelen-desc"
    assert root.find(SVG + "title").get("id") == "doelen-title"
    assert root.find(SVG + "desc").get("id") == "doelen-desc"


def test_ids_are_unique_within_a_page_of_two_charts():
    page = "<div>{}{}</div>".format(
        bar_chart(three_bars(), chart_id="een", title="Een"),
        trend_chart([TrendPoint("2025-H2", share(0.5))], chart_id="twee", title="Twee"),
    )
    ids = [element.get("id") for element in parse(page).iter() if element.get("id")]

    assert len(ids) == len(set(ids))
    assert {"een-title", "een-desc", "twee-title", "twee-desc"} <= set(ids)


@pytest.mark.parametrize("chart_id", ["", "twee woorden", 'x" onload="a', "a<b", "café", "a\n"])
def test_an_unsafe_chart_id_is_refused(chart_id):
    with pytest.raises(ValueError):
        bar_chart(three_bars(), chart_id=chart_id, title="T")
    with pytest.raises(ValueError):
        trend_chart([], chart_id=chart_id, title="T")


def test_an_unknown_kind_or_a_cell_of_another_kind_is_refused():
    with pytest.raises(ValueError):
        bar_chart(three_bars(), chart_id="c", title="T", kind="median")
    with pytest.raises(ValueError):
        bar_chart([Bar("Wijkteam", figure(7.0, 50))], chart_id="c", title="T", kind="share")


def test_charts_carry_no_style_script_or_outside_reference():
    bar = bar_chart(three_bars(), chart_id="a", title="T", reference=0.5, reference_label="R")
    trend = trend_chart(
        [TrendPoint("2025-H1", share(0.5), 0.4, 0.6), TrendPoint("2025-H2", share(0.6))],
        chart_id="b",
        title="T",
    )
    for svg in (bar, trend):
        for element in parse(svg).iter():
            name = element.tag.removeprefix(SVG)
            assert name not in {"style", "script", "foreignObject", "image", "a", "use"}
            assert "style" not in element.attrib
            assert not any("href" in attribute for attribute in element.attrib)
            assert not any(attribute.startswith("on") for attribute in element.attrib)
        assert "url(" not in svg


def test_labels_and_titles_are_escaped():
    svg = bar_chart([Bar(NASTY, share(0.5))], chart_id="c", title=NASTY, description=NASTY)
    root = parse(svg)

    assert "<script" not in svg
    assert NASTY in texts(root)
    assert root.find(SVG + "title").text == NASTY
    assert root.find(SVG + "desc").text == NASTY
    assert not list(root.iter(SVG + "script"))
    trend = parse(trend_chart([TrendPoint(NASTY, share(0.5))], chart_id="t", title="T"))
    assert not list(trend.iter(SVG + "script"))


def test_a_long_label_is_wrapped_to_two_lines_and_cut_with_an_ellipsis():
    label = " ".join(["ambulante"] * 40)
    root = parse(bar_chart([Bar(label, share(0.5))], chart_id="c", title="T"))
    lines = [e.text for e in elements(root, "text") if e.get("class") == "chart-label"]

    assert len(lines) == 2
    assert lines[1].endswith("…")
    # Every line fits the 608 units between the margins at the estimated character width.
    assert all(len(line) * 14 * charts.CHAR_WIDTH <= 608 for line in lines)


# Scale.


def test_bar_lengths_are_proportional_to_shares_on_a_0_to_100_axis():
    root = parse(bar_chart(three_bars(), chart_id="c", title="T"))
    rects = elements(root, "rect")

    assert [rect.get("x") for rect in rects] == ["16", "16", "16"]
    # 560 units for 100 %: 50 % is 280, 25 % is 140.
    assert [rect.get("width") for rect in rects] == ["280", "140", "560"]
    ticks = [e.text for e in elements(root, "text") if e.get("class") == "chart-tick"]
    assert ticks == ["0%", "20%", "40%", "60%", "80%", "100%"]


def test_means_run_on_a_1_to_10_axis():
    bars = [
        Bar("Laag", figure(1.0, 40)),
        Bar("Midden", figure(5.5, 40)),
        Bar("Hoog", figure(10.0, 40)),
    ]
    root = parse(bar_chart(bars, chart_id="c", title="T", kind="mean"))

    # 1 is the start of the axis, 10 its end: 5.5 is half-way, 4.5 / 9 * 560 = 280.
    assert [rect.get("width") for rect in elements(root, "rect")] == ["0", "280", "560"]
    ticks = [e.text for e in elements(root, "text") if e.get("class") == "chart-tick"]
    assert ticks == [str(i) for i in range(1, 11)]


def test_counts_run_from_0_to_a_round_number():
    breakdown = suppress_breakdown([47, 20], labels=["Oudorp", "Centrum"])
    bars = [Bar(item.label, item.cell) for item in breakdown.items]
    root = parse(bar_chart(bars, chart_id="c", title="T", kind="count"))

    # 47 gets steps of 10 up to 50: 47 / 50 * 560 = 526.4 and 20 / 50 * 560 = 224.
    assert [rect.get("width") for rect in elements(root, "rect")] == ["526.4", "224"]
    ticks = [e.text for e in elements(root, "text") if e.get("class") == "chart-tick"]
    assert ticks == ["0", "10", "20", "30", "40", "50"]


def test_a_whisker_spans_the_interval_and_the_value_follows_it():
    root = parse(bar_chart([Bar("Wijkteam", share(0.5), 0.4, 0.6)], chart_id="c", title="T"))
    whisker = next(e for e in elements(root, "path") if e.get("class") == "chart-whisker")

    # 40 % at 16 + 224 = 240, 60 % at 16 + 336 = 352; the bar's middle is at y 12+18+4+12.
    assert whisker.get("d").startswith("M240 46L352 46")
    value = next(e for e in elements(root, "text") if e.text == "50%")
    assert value.get("x") == "360"


def test_a_reference_is_a_dashed_line_with_its_label():
    bars = [Bar("Wijkteam", figure(7.4, 64))]
    with translation.override("nl"):
        root = parse(
            bar_chart(
                bars,
                chart_id="c",
                title="T",
                kind="mean",
                reference=7.2,
                reference_label="Alle aanbieders",
            )
        )
    line = next(e for e in elements(root, "line") if e.get("class") == "chart-reference")

    # (7.2 - 1) / 9 * 560 + 16 = 401.78
    assert line.get("x1") == line.get("x2") == "401.78"
    assert line.get("stroke-dasharray")
    assert "Alle aanbieders: 7,2" in texts(root)


# Hidden cells.


def test_a_hidden_bar_has_no_rect_or_whisker_and_says_te_weinig_reacties():
    bars = [
        Bar("Wijkteam", share(0.5), 0.4, 0.6),
        Bar("Pleegzorg", figure(0.8765, 7, share=True), 0.81, 0.93),
        Bar("Jeugd-GGZ", share(0.25), 0.2, 0.3),
    ]
    with translation.override("nl"):
        root = parse(bar_chart(bars, chart_id="c", title="T"))

    assert len(elements(root, "rect")) == 2
    whiskers = [e for e in elements(root, "path") if e.get("class") == "chart-whisker"]
    assert len(whiskers) == 2
    assert texts(root).count("te weinig reacties") == 1


def test_a_hidden_cell_leaks_none_of_its_numbers():
    def chart(hidden: Cell, low=None, high=None) -> str:
        bars = [Bar("Wijkteam", share(0.5)), Bar("Pleegzorg", hidden, low, high)]
        return bar_chart(bars, chart_id="c", title="T")

    with translation.override("nl"):
        small = chart(figure(0.8765, 7, share=True), 0.81, 0.93)
        other = chart(figure(0.1, 3, share=True))
        few_for_percent = chart(Cell(None, 25, False, FEW_FOR_PERCENT, kind="share"), 0.2, 0.9)
        words = texts(parse(small))

    assert words.count("te weinig reacties") == 1
    # Whatever was hidden, and whatever interval came with it, the chart is the same.
    assert small == other == few_for_percent
    assert sorted(set(words)) == sorted(
        {
            "Wijkteam",
            "Pleegzorg",
            "50%",
            "te weinig reacties",
            "0%",
            "20%",
            "40%",
            "60%",
            "80%",
            "100%",
        }
    )
    for leak in ("88%", "87,65", "0.8765", "81%", "93%", "25 "):
        assert leak not in small


def test_a_hidden_mean_leaks_none_of_its_numbers_in_the_trend():
    points = [
        TrendPoint("2025-H1", figure(7.0, 50)),
        TrendPoint("2025-H2", figure(9.87, 4), 9.5, 9.99),
    ]
    with translation.override("nl"):
        svg = trend_chart(points, chart_id="c", title="T", kind="mean")
    with translation.override("en"):
        svg_en = trend_chart(points, chart_id="c", title="T", kind="mean")

    for leak in ("9,9", "9,87", "9,5", "9,99"):
        assert leak not in svg
    for leak in ("9.9", "9.87", "9.5", "9.99"):
        assert leak not in svg_en
    assert "te weinig reacties" in svg


def test_hidden_counts_do_not_move_the_axis():
    shown = suppress_breakdown([47, 20]).cells
    root = parse(
        bar_chart(
            [Bar("A", shown[0]), Bar("B", shown[1]), Bar("C", Cell(None, None, False, "small"))],
            chart_id="c",
            title="T",
            kind="count",
        )
    )
    ticks = [e.text for e in elements(root, "text") if e.get("class") == "chart-tick"]

    assert ticks[-1] == "50"


# Trend.


def test_the_trend_line_breaks_at_a_hidden_period():
    points = [
        TrendPoint("2023-H1", share(0.5)),
        TrendPoint("2023-H2", share(0.25)),
        TrendPoint("2024-H1", figure(0.6, 5, share=True)),
        TrendPoint("2024-H2", share(0.5)),
        TrendPoint("2025-H1", share(0.25)),
    ]
    root = parse(trend_chart(points, chart_id="c", title="T"))
    lines = [e.get("points") for e in elements(root, "polyline")]

    # Five slots of 112 from x=56: middles at 112, 224, (336), 448, 560. 50 % is y 160, 25 % 220.
    assert lines == ["112,160 224,220", "448,160 560,220"]
    assert len(elements(root, "circle")) == 4


def test_a_lone_shown_period_between_hidden_ones_gets_a_point_but_no_line():
    points = [
        TrendPoint("2024-H2", figure(0.6, 5, share=True)),
        TrendPoint("2025-H1", share(0.5)),
        TrendPoint("2025-H2", figure(0.6, 5, share=True)),
    ]
    root = parse(trend_chart(points, chart_id="c", title="T"))

    assert elements(root, "polyline") == []
    assert len(elements(root, "circle")) == 1


def test_the_last_shown_point_is_emphasised_by_size_and_bold_value():
    points = [
        TrendPoint("2025-H1", share(0.5)),
        TrendPoint("2025-H2", share(0.75)),
        TrendPoint("2026-H1", figure(0.6, 5, share=True)),
    ]
    root = parse(trend_chart(points, chart_id="c", title="T"))
    circles = elements(root, "circle")

    assert [circle.get("r") for circle in circles] == ["4.5", "7"]
    values = {e.text: e.get("font-weight") for e in elements(root, "text")}
    assert values["75%"] == "700"
    assert values["50%"] is None


def test_trend_whiskers_span_the_interval_on_the_value_axis():
    points = [TrendPoint("2025-H2", figure(5.5, 40), 4.6, 6.4)]
    root = parse(trend_chart(points, chart_id="c", title="T", kind="mean"))
    whisker = next(e for e in elements(root, "path") if e.get("class") == "chart-whisker")

    # One slot of 560: x = 336. 4.6 is 240 * 3.6 / 9 = 96 above the bottom (280): y 184;
    # 6.4 is 144 above it: y 136.
    assert whisker.get("d").startswith("M336 184L336 136")


# Text: numbers, language and the description.


def test_means_show_a_decimal_comma_in_dutch_and_a_point_in_english():
    bars = [Bar("Wijkteam", figure(7.4, 64))]
    with translation.override("nl"):
        dutch = texts(parse(bar_chart(bars, chart_id="c", title="T", kind="mean")))
    with translation.override("en"):
        english = texts(parse(bar_chart(bars, chart_id="c", title="T", kind="mean")))

    assert "7,4" in dutch
    assert "7.4" in english


def test_the_generated_description_names_the_highest_and_lowest_bar():
    bars = [
        Bar("Wijkteam", share(0.63)),
        Bar("Jeugd-GGZ", share(0.41)),
        Bar("Pleegzorg", figure(0.9, 4, share=True)),
        Bar("Dagbesteding", share(0.77)),
    ]
    with translation.override("nl"):
        desc = parse(bar_chart(bars, chart_id="c", title="T")).find(SVG + "desc").text

    assert desc == (
        "Staafdiagram met 4 groepen. Het hoogst is Dagbesteding met 77%. "
        "Het laagst is Jeugd-GGZ met 41%. Bij 1 groep waren te weinig reacties."
    )


def test_the_generated_trend_description_gives_the_last_highest_and_lowest_value():
    points = [
        TrendPoint("2024-H2", share(0.5)),
        TrendPoint("2025-H1", share(0.75)),
        TrendPoint("2025-H2", share(0.6)),
        TrendPoint("2026-H1", figure(0.6, 5, share=True)),
    ]
    with translation.override("nl"):
        desc = parse(trend_chart(points, chart_id="c", title="T")).find(SVG + "desc").text

    assert desc == (
        "Lijn over 4 perioden, van 2024-H2 tot en met 2026-H1. "
        "De laatste uitkomst is 60% in 2025-H2. "
        "Het hoogst was 75% in 2025-H1, het laagst 50% in 2024-H2. "
        "In 1 periode waren te weinig reacties."
    )


def test_empty_charts_say_there_are_no_figures():
    with translation.override("nl"):
        bar = parse(bar_chart([], chart_id="a", title="T"))
        trend = parse(trend_chart([], chart_id="b", title="T"))

    assert "Er zijn geen cijfers." in texts(bar)
    assert "Er zijn geen cijfers." in texts(trend)


# Colours.


def test_the_contrast_formula_matches_known_values():
    assert contrast_on_white("#000000") == pytest.approx(21)
    assert contrast_on_white("#ffffff") == pytest.approx(1)
    assert contrast_on_white("#777777") == pytest.approx(4.48, abs=0.01)


def test_bars_and_lines_have_3_to_1_and_text_4_5_to_1_contrast_on_white():
    assert contrast_on_white(charts.BAR_COLOUR) >= 3
    assert contrast_on_white(charts.LINE_COLOUR) >= 3
    assert contrast_on_white(charts.REFERENCE_COLOUR) >= 4.5  # also the reference's label
    assert contrast_on_white(charts.TEXT_COLOUR) >= 4.5
    assert contrast_on_white(charts.MUTED_TEXT_COLOUR) >= 4.5


def test_every_drawn_colour_that_carries_information_meets_its_contrast():
    bars = three_bars() + [Bar("Verborgen", figure(0.5, 3, share=True))]
    points = [
        TrendPoint("2025-H1", share(0.5), 0.4, 0.6),
        TrendPoint("2025-H2", share(0.6)),
        TrendPoint("2026-H1", figure(0.6, 5, share=True)),
    ]
    for svg in (
        bar_chart(bars, chart_id="a", title="T", reference=0.5, reference_label="R"),
        trend_chart(points, chart_id="b", title="T"),
    ):
        root = parse(svg)
        for text in elements(root, "text"):
            assert contrast_on_white(text.get("fill")) >= 4.5
        for shape in elements(root, "rect") + elements(root, "circle"):
            assert contrast_on_white(shape.get("fill")) >= 3
        marks = elements(root, "polyline") + elements(root, "path") + elements(root, "line")
        for mark in marks:
            if mark.get("class") in {"chart-line", "chart-whisker", "chart-reference"}:
                assert contrast_on_white(mark.get("stroke")) >= 3


# Template tags and the figure.


def test_the_template_tags_render_the_charts_unescaped():
    template = Template(
        "{% load charts %}{% bar_chart bars chart_id='b' title=title %}"
        "{% trend_chart points chart_id='t' title='Trend' kind='share' as chart %}[{{ chart }}]"
    )
    html = template.render(
        Context(
            {
                "bars": three_bars(),
                "points": [TrendPoint("2025-H2", share(0.5))],
                "title": "A & B",
            }
        )
    )

    assert html.startswith("<svg ")
    assert '<title id="b-title">A &amp; B</title>' in html
    assert html.count("<svg ") == 2
    assert '[<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert '<title id="t-title">Trend</title>' in html


def rendered_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [
            re.sub(r"\s+", " ", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def test_the_figure_shows_the_chart_with_a_table_of_the_same_numbers():
    bars = [
        Bar("Wijkteam", share(0.63, 120), 0.5449, 0.7051),
        Bar("Pleegzorg", figure(0.5, 6, share=True), 0.2, 0.8),
        Bar(NASTY, share(0.37, 41)),
    ]
    with translation.override("nl"):
        chart = bar_chart(bars, chart_id="nut", title="Kan verder")
        html = render_to_string(
            "feedback/charts/_figure.html", {"chart": chart, "caption": "Kan verder", "rows": bars}
        )

    assert html.count("<figure") == 1
    assert '<figcaption class="chart-caption">Kan verder</figcaption>' in html
    assert str(chart) in html
    assert "<caption>De cijfers bij: Kan verder</caption>" in html
    assert html.count('<th scope="col"') == 4
    assert html.count('<th scope="row">') == 3
    assert "<script>" not in html
    assert rendered_rows(html) == [
        ["Wijkteam", "63%", "120", "54-71%"],
        ["Pleegzorg", "te weinig reacties", "", "-"],
        [
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#x27;y&#x27;",
            "37%",
            "41",
            "-",
        ],
    ]
    assert "Bij te weinig reacties laten we een getal niet zien." in html


def test_the_figure_shows_periods_and_mean_intervals_with_a_decimal_comma():
    points = [
        TrendPoint("2025-H1", figure(7.34, 80), 7.08, 7.61),
        TrendPoint("2025-H2", figure(7.5, 90)),
    ]
    with translation.override("nl"):
        html = render_to_string(
            "feedback/charts/_figure.html",
            {
                "chart": trend_chart(points, chart_id="t", title="T", kind="mean"),
                "caption": "C",
                "rows": points,
            },
        )

    assert ">Periode</th>" in html
    assert ">Gemiddeld cijfer</th>" in html
    assert rendered_rows(html) == [
        ["2025-H1", "7,3", "80", "7,1-7,6"],
        ["2025-H2", "7,5", "90", "-"],
    ]
    assert "te weinig reacties" not in html
