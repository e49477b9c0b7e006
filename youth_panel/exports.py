"""Poll results as a spreadsheet (XLSX), with the same columns as the CSV download.

Numbers are real number cells. Every text cell is stored as text (never a formula) and goes
through safe_csv_cell() first, so a label such as "=HYPERLINK(...)" gets the same leading quote
as in the CSV and cannot run when someone edits the cell later.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from feedback.delivery import safe_csv_cell
from youth_panel import polls
from youth_panel.models import PollQuestion, PollSession
from youth_panel.views import host_page

Kind = PollQuestion.Kind
HEADER = ["question", "option", "count", "percent", "average_rank"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cell = str | int | float | None


def result_rows(session: PollSession) -> Iterator[list[Cell]]:
    """One row per option or word: question, option, count, percent, average_rank.

    Words fill option and count; ranking questions fill average_rank only; None is empty.
    """
    for question in session.ordered_questions():
        result = polls.tally(question)
        if question.kind == Kind.WORDS:
            rows = [[word["text"], word["count"], None, None] for word in result["words"]]
        elif question.kind == Kind.RANKING:
            rows = [[row["label"], None, None, row["average_rank"]] for row in result["options"]]
        else:
            rows = [[row["label"], row["count"], row["percent"], None] for row in result["options"]]
        for row in rows:
            yield [question.text, *row]


def safe_text(value: object) -> tuple[str, bool]:
    """Text for a spreadsheet cell, and whether it got the guard quote.

    Characters that XML forbids (NUL and other control characters) go first: text that is a NUL
    and then "=1" would otherwise start with "=" once the NUL is gone.
    """
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    safe = safe_csv_cell(text)
    return safe, safe != text


def results_xlsx_bytes(session: PollSession) -> bytes:
    """The results workbook: one sheet, a header row, then result_rows()."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Uitslag")[:31]
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in result_rows(session):
        row = sheet.max_row + 1
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column)
            if value is None:
                continue
            if isinstance(value, int | float):
                cell.value = value
                continue
            text, guarded = safe_text(value)
            cell.value = text
            # Set the type ourselves: openpyxl guesses "f" (formula) for text starting with "=".
            cell.data_type = "s"
            if guarded:
                # Also tells Excel to keep the cell as text when someone edits it.
                cell.quotePrefix = True
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 50
    sheet.column_dimensions["B"].width = 30
    workbook.properties.creator = "Jeugdstem"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@require_GET
@host_page
def results_xlsx(request: HttpRequest, session: PollSession) -> HttpResponse:
    """Download the results of every question as an Excel file (hosts only)."""
    response = HttpResponse(results_xlsx_bytes(session), content_type=XLSX_TYPE)
    filename = f"peiling-{session.join_code}-uitslag.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
