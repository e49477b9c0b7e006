"""The dashboards as CSV and XLSX files: the published figures of feedback.publish, nothing else.

A file is a few lines of explanation (what the period is, that counts are rounded, that hidden
numbers read "te weinig reacties", any message about the question), an empty line, the header
and one row per indicator x (all answers | a group of the split) x period: the chosen period
with its groups, the other half-years with their overall figure (the trend). Values carry the
precision of the dashboard and the API (feedback.api.figure_json).

Every text cell goes through youth_panel.exports.safe_text(), which drops the characters XML
forbids and then applies feedback.delivery.safe_csv_cell(), in the CSV and the XLSX alike: a
label or provider name that starts with =, +, -, @, a tab or a carriage return (also after a
dropped control character) stays text. In the XLSX every text cell is stored as a string, so
the workbook holds no formula at all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from feedback import indicators, publish, stories
from feedback.api import figure_json
from feedback.delivery import safe_csv_row
from feedback.suppression import one_decimal
from feedback.templatetags.suppression import suppression_note
from youth_panel.exports import XLSX_TYPE, safe_text

__all__ = ["XLSX_TYPE", "Sheet", "csv_text", "public_sheet", "staff_sheet", "xlsx_bytes"]

Value = str | int | float | None

HIDDEN = _("te weinig reacties")
NO_ANSWERS = _("Er zijn nog geen antwoorden.")
HIDDEN_NOTE = _("Waar een getal verborgen is, staat er: te weinig reacties.")
INTERNAL_NOTE = _("Alleen voor intern gebruik. Deel dit bestand niet.")
COLUMNS = (
    _("periode"),
    _("indeling"),
    _("groep"),
    _("cijfer"),
    _("soort"),
    _("waarde"),
    _("aantal reacties"),
)
# "95%" as a parameter: a bare % in a message id would read as a format sign.
INTERVAL_COLUMNS = (_("%(level)s-interval laag"), _("%(level)s-interval hoog"))
LEVEL = "95%"
REFERENCE_COLUMNS = (_("alle aanbieders: waarde"), _("alle aanbieders: aantal reacties"))
KIND_LABELS = {indicators.SHARE: _("percentage"), indicators.MEAN: _("gemiddelde")}


@dataclass
class Sheet:
    """One export: explanation lines, a header and the rows, and the file name without suffix."""

    notes: list[str]
    header: list[str]
    rows: list[list[Value]]
    name: str
    widths: list[int] = field(default_factory=list)


def _values(figure: publish.Figure) -> list[Value]:
    """waarde, aantal reacties, laag, hoog: percentages for shares, one decimal for means."""
    data = figure_json(figure)
    if not data["shown"]:
        return [str(HIDDEN), None, None, None]
    if figure.cell.kind == indicators.SHARE:

        def percent(x):
            return None if x is None else round(x * 100)

        return [data["percent"], data["n"], percent(data["low"]), percent(data["high"])]
    return [data["value"], data["n"], data["low"], data["high"]]


def _rows(board: publish.Dashboard, with_reference: bool) -> list[list[Value]]:
    overall_label = str(indicators.SPLITS["overall"].label)
    total_label = str(indicators.TOTAL_LABEL)
    split_label = str(board.split_label)
    rows: list[list[Value]] = []
    for block in board.blocks:
        kind = str(KIND_LABELS.get(block.kind, block.kind))
        label = str(block.label)
        for period, figure in block.trend:
            row = [period, overall_label, total_label, label, kind, *_values(figure)]
            if with_reference:
                reference = block.reference if period == board.period else None
                row += _values(reference)[:2] if reference else [None, None]
            rows.append(row)
            if period != board.period:
                continue
            for group in block.groups:
                row = [period, split_label, str(group.label), label, kind, *_values(group.figure)]
                if with_reference:
                    row += [None, None]
                rows.append(row)
    if not rows:
        rows.append([str(NO_ANSWERS)])
    return rows


def _title(board: publish.Dashboard) -> str:
    if board.period:
        return gettext("Cijfers van Jeugdstem over de %(period)s") % {
            "period": stories.half_year_label(board.period)
        }
    return gettext("Cijfers van Jeugdstem")


def _name(board: publish.Dashboard, prefix: str) -> str:
    parts = [prefix, board.period or "leeg", board.split]
    if board.provider is not None:
        parts.append(f"aanbieder-{board.provider.pk}")
    return "-".join(parts)


def _notes(board: publish.Dashboard, extra: list[str | Promise]) -> list[str]:
    notes = [_title(board), *map(str, extra), suppression_note(public=board.public)]
    notes.append(str(HIDDEN_NOTE))
    if board.synthetic:
        notes.append(str(publish.SYNTHETIC_NOTE))
    notes += [str(problem) for problem in board.problems]
    return notes


def _header() -> list[str]:
    """The column titles in the active language."""
    return [*map(str, COLUMNS), *(str(column) % {"level": LEVEL} for column in INTERVAL_COLUMNS)]


def public_sheet(board: publish.Dashboard) -> Sheet:
    """The public dashboard as an export (counts rounded, hidden cells as text)."""
    return Sheet(
        notes=_notes(board, []),
        header=_header(),
        rows=_rows(board, with_reference=False),
        name=_name(board, "jeugdstem-cijfers"),
        widths=[10, 16, 24, 40, 12, 18, 16, 12, 12],
    )


def staff_sheet(board: publish.Dashboard) -> Sheet:
    """A staff dashboard as an export; a provider's own figures get the all-providers column."""
    extra: list[str | Promise] = [INTERNAL_NOTE]
    if board.provider is not None:
        extra.append(gettext("Aanbieder: %(name)s") % {"name": board.provider.name})
    with_reference = board.provider is not None
    header = _header()
    if with_reference:
        header += [str(column) for column in REFERENCE_COLUMNS]
    return Sheet(
        notes=_notes(board, extra),
        header=header,
        rows=_rows(board, with_reference=with_reference),
        name=_name(board, "jeugdstem-cijfers-intern"),
        widths=[10, 16, 30, 40, 12, 18, 16, 12, 12, 18, 18],
    )


# --- writing files --------------------------------------------------------------------------


def _csv_value(value: Value) -> str:
    # Dutch spreadsheets read a decimal comma (the file is ;-separated for the same reason).
    if value is None:
        return ""
    if isinstance(value, float):
        return one_decimal(value)
    if isinstance(value, int):
        return number_format(value)
    return safe_text(value)[0]


def csv_text(sheet: Sheet) -> str:
    """The export as ;-separated CSV with a byte order mark, every cell formula-safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for note in sheet.notes:
        writer.writerow([_csv_value(note)])
    writer.writerow([])
    writer.writerow([_csv_value(title) for title in sheet.header])
    for row in sheet.rows:
        # safe_csv_row() once more: numbers pass unchanged, a text cell is already guarded.
        writer.writerow(safe_csv_row(_csv_value(value) for value in row))
    return out.getvalue()


def _write(sheet_cell, value: Value) -> None:
    if value is None:
        return
    if isinstance(value, int | float):
        sheet_cell.value = value
        if isinstance(value, float):
            sheet_cell.number_format = "0.0"
        return
    text, guarded = safe_text(value)
    sheet_cell.value = text
    # Set the type ourselves: openpyxl guesses "f" (formula) for text starting with "=".
    sheet_cell.data_type = "s"
    if guarded:
        sheet_cell.quotePrefix = True


def xlsx_bytes(sheet: Sheet) -> bytes:
    """The export as a workbook with one sheet: notes, an empty row, the header, the rows."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = gettext("Cijfers")[:31]
    row_number = 1
    for note in sheet.notes:
        _write(ws.cell(row=row_number, column=1), note)
        row_number += 1
    row_number += 1
    for column, title in enumerate(sheet.header, start=1):
        cell = ws.cell(row=row_number, column=column)
        _write(cell, title)
        cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=row_number + 1, column=1)
    for values in sheet.rows:
        row_number += 1
        for column, value in enumerate(values, start=1):
            _write(ws.cell(row=row_number, column=column), value)
    letters = "ABCDEFGHIJK"
    for letter, width in zip(letters, sheet.widths, strict=False):
        ws.column_dimensions[letter].width = width
    workbook.properties.creator = "Jeugdstem"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
