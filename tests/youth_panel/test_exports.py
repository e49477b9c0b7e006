"""The Excel download of poll results: the CSV's columns, real numbers, and never a formula.

Personas: `host` is a signed-in host of the session; `outsider` is signed in but hosts nothing;
`client` is an anonymous browser.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from openpyxl import load_workbook

from tests.youth_panel.conftest import make_running_poll
from youth_panel import polls
from youth_panel.exports import XLSX_TYPE, result_rows, safe_text
from youth_panel.models import PollQuestion, Word

Kind = PollQuestion.Kind
CODE = "XLS234"
URL = f"/p/{CODE}/uitslag.xlsx"
HOSTILE = ['=HYPERLINK("http://example.org","klik")', "+1", "-2", "@x", "=1+1"]


@pytest.fixture
def session(db):
    """A running poll whose labels, words and question texts try to start formulas."""
    options = {
        Kind.SINGLE: "\n".join(HOSTILE),
        Kind.MULTIPLE: "Sport\nMuziek",
        Kind.RANKING: "-Eerste\nTweede",
    }
    poll = make_running_poll("Avond", options, join_code=CODE)
    questions = poll.ordered_questions()
    # Tabs and carriage returns cannot reach a label through the forms (they strip them),
    # but a question text is stored as typed.
    PollQuestion.objects.filter(pk=questions[0].pk).update(text="\tx")
    PollQuestion.objects.filter(pk=questions[1].pk).update(text="\rx")
    # (A NUL cannot be stored on PostgreSQL; safe_text() drops it, tested on its own below.)
    PollQuestion.objects.filter(pk=questions[2].pk).update(text="=1+1")
    words = questions[3]
    Word.objects.create(question=words, text="=cmd|' /c calc'!a0", count=2)
    Word.objects.create(question=words, text="@sum(1)", count=1)
    Word.objects.create(question=words, text="wacht", count=5, status=Word.Status.WAITING)
    polls.cast_vote(poll, questions[0], "a" * 32, "11111111-1111-1111-1111-111111111111", 0)
    return poll


@pytest.fixture
def host(session):
    """A signed-in host of this session."""
    user = get_user_model().objects.create_user("gespreksleider", password="geheim-wachtwoord")
    session.hosts.add(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outsider(session):
    """Signed in, but not a host of this session."""
    user = get_user_model().objects.create_user("buitenstaander", password="geheim-wachtwoord")
    client = Client()
    client.force_login(user)
    return client


def _sheet(response):
    return load_workbook(io.BytesIO(response.content)).active


def test_a_host_downloads_an_xlsx_file_named_after_the_code(host):
    response = host.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert f'filename="peiling-{CODE}-uitslag.xlsx"' in response["Content-Disposition"]


def test_the_sheet_has_the_csv_columns_and_real_numbers(host):
    sheet = _sheet(host.get(URL))
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["question", "option", "count", "percent", "average_rank"]
    assert ["'\tx", "'" + HOSTILE[0], 1, 100, None] in rows
    assert ["'\tx", "Sport", None, None, None] not in rows
    # XML reads a carriage return back as a newline; the guard quote is what matters.
    assert ["'\nx", "Sport", 0, 0, None] in rows
    assert ["'=1+1", "1. Heel slecht", 0, 0, None] in rows
    ranking = [row for row in rows if row[0] == "Vraag 4"]
    assert ranking == [
        ["Vraag 4", "'-Eerste", None, None, None],
        ["Vraag 4", "Tweede", None, None, None],
    ]


def test_no_cell_is_a_formula_and_hostile_text_stays_text(host):
    sheet = _sheet(host.get(URL))
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert cells and all(cell.data_type != "f" for cell in cells)
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    for label in [*HOSTILE, "=cmd|' /c calc'!a0", "@sum(1)"]:
        assert "'" + label in texts
    numbers = [cell for cell in cells if cell.data_type == "n"]
    assert numbers and all(isinstance(cell.value, int | float) for cell in numbers)


def test_only_shown_words_are_exported(host):
    sheet = _sheet(host.get(URL))
    options = [row[1] for row in sheet.iter_rows(values_only=True)]
    assert "'=cmd|' /c calc'!a0" in options and "wacht" not in options


def test_a_ranking_average_is_a_number_cell(session):
    ranking = session.ordered_questions()[4]
    polls.control(session, "next")
    for _step in range(3):
        session = polls.control(session, "next")
    assert session.current_question_id == ranking.pk
    polls.cast_vote(session, ranking, "b" * 32, "22222222-2222-2222-2222-222222222222", [1, 0])
    rows = list(result_rows(session))
    assert ["Vraag 4", "Tweede", None, None, 1.0] in rows


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=SUM(A1)", ("'=SUM(A1)", True)),
        ("+1", ("'+1", True)),
        ("-2", ("'-2", True)),
        ("@x", ("'@x", True)),
        ("\tx", ("'\tx", True)),
        ("\rx", ("'\rx", True)),
        ("\x00=x", ("'=x", True)),
        ("\x00x", ("x", False)),
        ("gewoon", ("gewoon", False)),
    ],
)
def test_safe_text_guards_every_formula_start(raw, expected):
    assert safe_text(raw) == expected


def test_anonymous_visitors_go_to_the_login_page(client, session):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/account/login/")


def test_someone_who_does_not_host_the_session_is_refused(outsider):
    assert outsider.get(URL).status_code == 403


def test_the_results_page_links_to_the_excel_download_for_hosts_only(host, client, session):
    assert URL in host.get(f"/p/{CODE}/uitslag/").content.decode()
    polls.control(session, "end")
    html = client.get(f"/p/{CODE}/uitslag/").content.decode()
    assert "uitslag.xlsx" not in html
