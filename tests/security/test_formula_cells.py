"""Spreadsheet formulas: text that starts with = + - @, a tab, a carriage return or NUL (also
after leading spaces or control characters) never becomes a live formula in any CSV or XLSX
export: the feedback exports (/cijfers/export.csv|xlsx and the staff ones), the poll results,
the SMS export and the case template. One guard does it: feedback.delivery.safe_csv_cell.

Decision (documented in safe_csv_cell): a cell is guarded when it starts with one of those
characters or any control character, or when =, +, - or @ follows leading whitespace or control
characters, because an importer that trims them would see a formula.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from feedback import exports
from feedback.delivery import csv_cell_text, export_sms, safe_csv_cell, safe_phone_cell
from youth_panel.models import PollQuestion, PollSession, Word
from youth_panel.polls import control

TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "\x00"]
# Written out by hand, not taken from the code under test.
SKIPPABLE = " \t\r\n\x00\x01\x0b\x0c\x1f\x7f\u00a0\u2028\u3000"
LEADS = ["", " ", "  ", "\x00", "\n", "\u00a0", " \x00", "\x0b"]

formula_text = st.builds(
    lambda lead, trigger, rest: lead + trigger + rest,
    st.sampled_from(LEADS),
    st.sampled_from(TRIGGERS),
    st.text(max_size=30).map(lambda t: t.replace("\x00", "")),
)
any_text = st.one_of(formula_text, st.text(max_size=30))
# PostgreSQL cannot store NUL, so texts that go through the database use another control character.
stored_text = formula_text.map(lambda text: text.replace("\x00", "\x01"))
FAST = settings(max_examples=150, deadline=None)
WRITERS = settings(max_examples=40, deadline=None)
DB = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def live_formula(cell: str) -> bool:
    """Whether a spreadsheet could run this cell: a control character (tab, CR, NUL, ...) first,
    or =, +, - or @ first or after characters an importer may trim."""
    if cell[:1] and (ord(cell[0]) < 32 or cell[0] == "\x7f"):
        return True
    visible = cell.lstrip(SKIPPABLE)
    # Any other whitespace or control character an importer may trim too (\x1c-\x1f count as
    # whitespace in Python; hypothesis found " \t\x1e=" once SKIPPABLE alone was the rule).
    while visible[:1] and (visible[0].isspace() or ord(visible[0]) < 32):
        visible = visible[1:]
    return visible[:1] in ("=", "+", "-", "@")


def assert_safe_csv(text: str, phones: bool = False) -> int:
    """Every cell of a ;-separated CSV is inert; the number of cells.

    With `phones`, a checked Dutch mobile number (+316 and 8 digits) is allowed: the SMS gateway
    needs it as it is, and a spreadsheet reads it as a number, not a formula.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";")
    cells = [cell for row in reader for cell in row]
    live = [cell for cell in cells if live_formula(cell)]
    if phones:
        live = [cell for cell in live if not re.fullmatch(r"\+316\d{8}", cell)]
    assert live == []
    return len(cells)


def assert_safe_xlsx(content: bytes) -> int:
    """No cell of a workbook is a formula or text that starts one; the number of cells."""
    workbook = load_workbook(io.BytesIO(content))
    count = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is None:
                    continue
                count += 1
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    assert not cell.value.startswith("="), cell.value
                    assert not live_formula(cell.value) or cell.quotePrefix, cell.value
    return count


@FAST
@given(formula_text)
@example(" \t\x1e=")  # found by hypothesis in CI: \x1e is whitespace to Python and importers
def test_a_formula_start_gets_the_guard_quote(text):
    cell = safe_csv_cell(text)
    assert cell == ("'" + text if live_formula(text) else text)
    assert not live_formula(cell)
    assert csv_cell_text(cell) == text  # the case upload reads it back as typed


@FAST
@given(st.text(max_size=40))
def test_no_text_leaves_the_guard_as_a_live_formula_and_plain_text_stays_as_it_is(text):
    cell = safe_csv_cell(text)
    assert not live_formula(cell)
    if not live_formula(text):
        assert cell == text


def test_a_leading_nul_or_space_before_a_formula_is_guarded():
    assert safe_csv_cell("\x00=1+1") == "'\x00=1+1"
    assert safe_csv_cell(' =HYPERLINK("x")') == '\' =HYPERLINK("x")'
    assert safe_csv_cell("\n@SUM(A1)") == "'\n@SUM(A1)"
    assert safe_csv_cell("Hallo = hoi") == "Hallo = hoi"
    assert safe_phone_cell("+31612345678") == "+31612345678"
    assert safe_phone_cell("+31612345678=1") == "'+31612345678=1"


@WRITERS
@given(st.lists(any_text, min_size=3, max_size=3), st.lists(any_text, min_size=5, max_size=5))
def test_every_column_of_the_feedback_exports_is_inert(header_and_note, row):
    sheet = exports.Sheet(
        notes=[header_and_note[0]],
        header=[header_and_note[1], header_and_note[2], "n", "p", "x"],
        rows=[[*row[:3], 12, 4.5], row],
        name="test",
    )
    assert assert_safe_csv(exports.csv_text(sheet)) >= 5  # empty strings are empty cells
    assert assert_safe_xlsx(exports.xlsx_bytes(sheet)) >= 5


_codes = (f"F{n:05d}" for n in itertools.count(1))


@pytest.mark.django_db
@DB
@given(st.lists(stored_text, min_size=6, max_size=6))
def test_every_column_of_the_poll_results_csv_and_xlsx_is_inert(admin_client, texts):
    poll = PollSession.objects.create(title=texts[0], join_code=next(_codes))
    single = PollQuestion.objects.create(
        session=poll, sort_order=0, text=texts[1], kind=PollQuestion.Kind.SINGLE,
        options_text=f"x{texts[2]}\n{texts[3]}".lstrip("x").strip("\n") or "=1",
    )  # fmt: skip
    words = PollQuestion.objects.create(
        session=poll, sort_order=1, text=texts[4], kind=PollQuestion.Kind.WORDS
    )
    Word.objects.create(question=words, text=texts[5][:40], count=3)
    control(poll, "start")
    csv_response = admin_client.get(reverse("polls:results_csv", args=[poll.join_code]))
    assert csv_response.status_code == 200, single
    assert assert_safe_csv(csv_response.content.decode("utf-8")) >= 10
    xlsx_response = admin_client.get(reverse("polls:results_xlsx", args=[poll.join_code]))
    assert xlsx_response.status_code == 200
    assert assert_safe_xlsx(xlsx_response.content) >= 10


@pytest.mark.django_db
def test_the_public_and_staff_exports_and_the_case_template_are_inert(admin_client):
    for name in ("public_csv", "staff_csv"):
        response = admin_client.get(reverse(f"insights_exports:{name}"))
        assert response.status_code == 200, name
        assert assert_safe_csv(b"".join(response).decode("utf-8")) > 0
    for name in ("public_xlsx", "staff_xlsx"):
        response = admin_client.get(reverse(f"insights_exports:{name}"))
        assert response.status_code == 200, name
        assert assert_safe_xlsx(b"".join(response)) > 0


@pytest.mark.django_db
def test_every_column_of_the_sms_export_is_inert(make_sms_invitations):
    from feedback.models import Invitation

    text = export_sms(Invitation.objects.all(), "https://x.example", _now())
    assert assert_safe_csv(text, phones=True) >= 2 * (len(make_sms_invitations) + 1)


def _now() -> datetime.datetime:
    from django.utils import timezone

    return timezone.now()


@pytest.fixture
def make_sms_invitations(db):
    """Invitations by SMS whose stored numbers start a formula (a provider's CSV could)."""
    from feedback.choices import AgeBand, Channel, District, EndReason, HelpType, Referrer
    from feedback.models import Case, Invitation, Provider

    provider = Provider.objects.create(name="=cmd|' /C calc'!A0")
    made = []
    for number, contact in enumerate(["=1+1", "+31612345678", "@SUM(1)", "\x01=2", " -3"]):
        case = Case.objects.create(
            reference=f"S-{number}", provider=provider, help_type=HelpType.AMBULANT,
            referrer=Referrer.GP, start_month=datetime.date(2026, 1, 1),
            end_month=datetime.date(2026, 9, 1), end_reason=EndReason.AS_PLANNED,
            district=District.OUDORP, age_band=AgeBand.AGE_12_15, channel=Channel.SMS,
        )  # fmt: skip
        made.append(
            Invitation.objects.create(
                case=case,
                respondent="youth",
                code_hash=f"{number:064d}",
                channel=Channel.SMS,
                contact=contact,
                expires_at=_now() + datetime.timedelta(days=30),
            )  # fmt: skip
        )
    return made
