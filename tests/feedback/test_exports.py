"""CSV and XLSX downloads of the dashboards: public, for staff and for a provider's own people.

Personas (who can do what):
- `client` alone: an anonymous visitor; downloads the public files, is sent to the login page
  for the staff files.
- `member`: works for "Eigen Zorg BV"; downloads its own figures beside those of all providers.
- `policy`: a policy officer with feedback.view_provider; downloads every provider's figures.
- `outsider`: signed in without a role; the staff files are refused (403).
"""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from feedback import exports, publish
from feedback.choices import AgeBand, District
from feedback.models import Provider
from feedback.synthetic import seed_synthetic_feedback
from tests.feedback.helpers import answers
from youth_panel.exports import safe_text

pytestmark = pytest.mark.django_db

PUBLIC_CSV = "/cijfers/export.csv"
PUBLIC_XLSX = "/cijfers/export.xlsx"
STAFF_CSV = "/cijfers/intern/export.csv"
STAFF_XLSX = "/cijfers/intern/export.xlsx"
HEADER = [
    "periode",
    "indeling",
    "groep",
    "cijfer",
    "soort",
    "waarde",
    "aantal reacties",
    "95%-interval laag",
    "95%-interval hoog",
]
REFERENCE = ["alle aanbieders: waarde", "alle aanbieders: aantal reacties"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HIDDEN = "te weinig reacties"
OWN_ONLY = "Je kunt alleen de cijfers van je eigen organisatie zien."


def read_csv(response) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """The notes above the table, the header and the rows of a downloaded CSV."""
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    blank = lines.index([])
    header = lines[blank + 1]
    rows = [dict(zip(header, line, strict=False)) for line in lines[blank + 2 :]]
    return [line[0] for line in lines[:blank]], header, rows


def read_xlsx(response):
    """The one sheet of a downloaded workbook, with every cell loaded."""
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Cijfers"]
    return workbook["Cijfers"]


def csv_cells(response) -> list[str]:
    text = response.content.decode("utf-8")[1:]
    return [cell for line in csv.reader(io.StringIO(text), delimiter=";") for cell in line]


@pytest.fixture
def synthetic():
    """The demo data: 400 synthetic cases over four half-years."""
    seed_synthetic_feedback(now=datetime.date(2026, 11, 1), cases=400)


@pytest.fixture
def two_providers():
    """Eigen Zorg BV: 41 answers, all 8. Ander BV: 40 answers, all 3. Together 5.56."""
    own = Provider.objects.create(name="Eigen Zorg BV")
    other = Provider.objects.create(name="Ander BV")
    answers([8] * 41, provider=own)
    answers([3] * 40, provider=other, district=District.CENTRUM)
    return own, other


def _user(username: str):
    return get_user_model().objects.create_user(username, password="geheim-wachtwoord-1")


@pytest.fixture
def member(two_providers):
    """Works for Eigen Zorg BV."""
    user = _user("medewerker")
    two_providers[0].members.add(user)
    return user


@pytest.fixture
def policy(db):
    """May compare providers."""
    user = _user("beleid")
    user.user_permissions.add(Permission.objects.get(codename="view_provider"))
    return user


@pytest.fixture
def outsider(db):
    """Signed in, no role."""
    return _user("buitenstaander")


def by_group(rows, key_label: str, period: str) -> dict[str, dict[str, str]]:
    return {
        row["groep"]: row for row in rows if row["cijfer"] == key_label and row["periode"] == period
    }


# --- public files -------------------------------------------------------------------------


def test_the_public_csv_has_a_row_per_indicator_group_and_period(synthetic, client):
    response = client.get(PUBLIC_CSV, {"periode": "2025-H2", "indeling": "age_band"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="jeugdstem-cijfers-2025-H2-age_band.csv"'
    )
    assert response["Cache-Control"] == "public, max-age=300"
    notes, header, rows = read_csv(response)
    assert notes[0] == "Cijfers van Jeugdstem over de tweede helft van 2025"
    assert any(note.endswith("Aantallen zijn afgerond op 5.") for note in notes)
    assert "Waar een getal verborgen is, staat er: te weinig reacties." in notes
    assert header == HEADER
    mark = [row for row in rows if row["cijfer"] == "Gemiddeld rapportcijfer"]
    assert [(row["periode"], row["indeling"], row["groep"]) for row in mark] == [
        ("2024-H2", "Alles", "Totaal"),
        ("2025-H1", "Alles", "Totaal"),
        ("2025-H2", "Alles", "Totaal"),
        *[("2025-H2", "Leeftijd", str(label)) for label in AgeBand.labels],
        ("2026-H1", "Alles", "Totaal"),
    ]
    assert {row["soort"] for row in mark} == {"gemiddelde"}
    board = publish.build(public=True, period="2025-H2", split="age_band")
    assert len(rows) == sum(len(block.trend) + len(block.groups) for block in board.blocks)
    total = board.blocks[0].figure.cell
    [row] = [r for r in mark if r["periode"] == "2025-H2" and r["groep"] == "Totaal"]
    assert row["waarde"] == f"{total.value:.1f}".replace(".", ",")
    assert row["aantal reacties"] == str(total.n)


def test_public_csv_counts_are_multiples_of_five(synthetic, client):
    counted = 0
    for split in publish.PUBLIC_SPLITS:
        _notes, _header, rows = read_csv(client.get(PUBLIC_CSV, {"indeling": split}))
        for row in rows:
            if row["aantal reacties"]:
                assert int(row["aantal reacties"]) % 5 == 0, row
                counted += 1
            else:
                assert row["waarde"] == HIDDEN
                assert row["95%-interval laag"] == row["95%-interval hoog"] == ""
    assert counted > 50


def test_a_group_of_three_never_shows_in_the_public_files(client):
    answers([8] * 40, district=District.OUDORP)
    answers([1, 1, 2], district=District.CENTRUM)

    response = client.get(PUBLIC_CSV, {"indeling": "district"})
    _notes, _header, rows = read_csv(response)
    groups = by_group(rows, "Gemiddeld rapportcijfer", "2026-H1")
    # 324 / 43 = 7.53 over 43 answers, rounded to 45.
    assert (groups["Totaal"]["waarde"], groups["Totaal"]["aantal reacties"]) == ("7,5", "45")
    for district in ("Centrum", "Oudorp"):  # Oudorp hidden too, or Centrum follows from it
        assert [groups[district][c] for c in HEADER[5:]] == [HIDDEN, "", "", ""]
    seven = by_group(rows, "Rapportcijfer 7 of hoger", "2026-H1")
    assert (seven["Totaal"]["waarde"], seven["Totaal"]["aantal reacties"]) == ("93", "45")
    text = response.content.decode()
    assert not re.search(r";(3|40|43);", text)
    assert "1,3" not in text and "7,53" not in text

    sheet = read_xlsx(client.get(PUBLIC_XLSX, {"indeling": "district"}))
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert 3 not in values and 40 not in values and 43 not in values
    assert not any(isinstance(v, float) and round(v, 1) == 1.3 for v in values)
    assert 45 in values and 7.5 in values


def test_the_public_xlsx_has_numbers_as_numbers_and_no_formula(synthetic, client):
    response = client.get(PUBLIC_XLSX, {"periode": "2026-H1", "indeling": "respondent"})

    assert response["Content-Type"] == exports.XLSX_TYPE
    assert response["Content-Disposition"] == (
        'attachment; filename="jeugdstem-cijfers-2026-H1-respondent.xlsx"'
    )
    sheet = read_xlsx(response)
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert sheet["A1"].value == "Cijfers van Jeugdstem over de eerste helft van 2026"
    header_row = next(row for row in sheet.iter_rows(values_only=True) if row[0] == "periode")
    assert list(header_row) == HEADER
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] == "2026-H1"]
    shown = [row for row in rows if row[5] != HIDDEN]
    assert shown and all(isinstance(row[6], int) and row[6] % 5 == 0 for row in shown)
    assert all(isinstance(row[5], int | float) for row in shown)
    hidden = [row for row in rows if row[5] == HIDDEN]
    assert hidden and all(row[6:9] == (None, None, None) for row in hidden)


def test_an_empty_selection_gives_a_file_with_a_message(db, client):
    _notes, header, rows = read_csv(client.get(PUBLIC_CSV))

    assert header == HEADER
    assert rows == [{"periode": "Er zijn nog geen antwoorden."}]
    response = client.get(PUBLIC_XLSX)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="jeugdstem-cijfers-leeg-overall.xlsx"'
    )
    values = [row[0] for row in read_xlsx(response).iter_rows(values_only=True)]
    assert values[-2:] == ["periode", "Er zijn nog geen antwoorden."]
    assert "Er zijn nog geen antwoorden om te laten zien." in values


def test_unknown_filters_give_the_latest_figures_with_a_message_line(two_providers, client):
    notes, _header, rows = read_csv(
        client.get(PUBLIC_CSV, {"indeling": "provider", "periode": "1999-H1"})
    )

    assert "Deze indeling kennen we niet. Je ziet nu alle antwoorden samen." in notes
    assert "Over deze periode hebben we geen antwoorden. Je ziet nu de laatste periode." in notes
    assert {row["periode"] for row in rows} == {"2026-H1"}
    assert {row["groep"] for row in rows} == {"Totaal"}
    text = client.get(PUBLIC_CSV, {"indeling": "provider"}).content.decode()
    assert "Eigen Zorg BV" not in text and "Ander BV" not in text


# --- staff files --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(two_providers, client):
    for url in (STAFF_CSV, STAFF_XLSX):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/login/")


def test_signed_in_people_without_a_role_get_a_friendly_refusal(outsider, client):
    client.force_login(outsider)
    for url in (STAFF_CSV, STAFF_XLSX):
        response = client.get(url)
        assert response.status_code == 403
        assert "Je mag deze pagina niet zien" in response.content.decode()


def test_a_provider_member_gets_their_own_figures_beside_all_providers(member, client):
    client.force_login(member)
    own = Provider.objects.get(name="Eigen Zorg BV")

    response = client.get(STAFF_CSV)
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert response["Content-Disposition"] == (
        f'attachment; filename="jeugdstem-cijfers-intern-2026-H1-overall-aanbieder-{own.pk}.csv"'
    )
    notes, header, rows = read_csv(response)
    assert "Aanbieder: Eigen Zorg BV" in notes
    assert "Alleen voor intern gebruik. Deel dit bestand niet." in notes
    assert header == HEADER + REFERENCE
    mark = by_group(rows, "Gemiddeld rapportcijfer", "2026-H1")["Totaal"]
    # Own: 41 answers of 8 (staff counts are exact). All: (328 + 120) / 81 = 5.53.
    assert (mark["waarde"], mark["aantal reacties"]) == ("8,0", "41")
    assert (mark[REFERENCE[0]], mark[REFERENCE[1]]) == ("5,5", "81")
    text = response.content.decode()
    assert "Ander BV" not in text and "3,0" not in text and ";40;" not in text


def test_a_provider_member_asking_for_another_provider_gets_their_own_and_a_message(
    member, two_providers, client
):
    client.force_login(member)
    own, other = two_providers
    _n, _h, own_rows = read_csv(client.get(STAFF_CSV))

    for wanted in (other.pk, 999999, "abc"):
        response = client.get(STAFF_CSV, {"aanbieder": wanted})
        assert response.status_code == 200
        notes, _header, rows = read_csv(response)
        assert rows == own_rows
        assert "Aanbieder: Eigen Zorg BV" in notes
        assert "Ander BV" not in response.content.decode()
    notes, _h, _r = read_csv(client.get(STAFF_CSV, {"aanbieder": other.pk}))
    assert OWN_ONLY in notes
    notes, _h, _r = read_csv(client.get(STAFF_CSV, {"aanbieder": 999999}))
    assert OWN_ONLY in notes, "the same words: nothing tells which providers exist"


def test_a_provider_member_cannot_split_by_provider(member, client):
    client.force_login(member)
    response = client.get(STAFF_XLSX, {"indeling": "provider"})

    sheet = read_xlsx(response)
    values = {cell.value for row in sheet.iter_rows() for cell in row}
    assert "Ander BV" not in values and "Aanbieder" not in values
    groups = {row[2] for row in sheet.iter_rows(values_only=True) if row[0] == "2026-H1"}
    assert groups == {"Totaal"}


def test_policy_staff_get_every_provider_with_exact_counts(policy, two_providers, client):
    client.force_login(policy)

    _notes, header, rows = read_csv(client.get(STAFF_CSV, {"indeling": "provider"}))
    assert header == HEADER
    groups = by_group(rows, "Gemiddeld rapportcijfer", "2026-H1")
    assert groups["Eigen Zorg BV"]["indeling"] == "Aanbieder"
    assert (groups["Eigen Zorg BV"]["waarde"], groups["Eigen Zorg BV"]["aantal reacties"]) == (
        "8,0",
        "41",
    )
    assert (groups["Ander BV"]["waarde"], groups["Ander BV"]["aantal reacties"]) == ("3,0", "40")
    assert groups["Totaal"]["aantal reacties"] == "81"

    notes, _h, rows = read_csv(client.get(STAFF_CSV, {"aanbieder": two_providers[1].pk}))
    assert "Aanbieder: Ander BV" in notes
    mark = by_group(rows, "Gemiddeld rapportcijfer", "2026-H1")["Totaal"]
    assert (mark["waarde"], mark[REFERENCE[0]]) == ("3,0", "5,5")
    notes, _h, _r = read_csv(client.get(STAFF_CSV, {"aanbieder": 999999}))
    assert "Deze aanbieder kennen we niet." in notes


def test_an_empty_staff_selection_gives_a_file_with_a_message(policy, client):
    client.force_login(policy)
    _notes, _header, rows = read_csv(client.get(STAFF_CSV))
    assert rows == [{"periode": "Er zijn nog geen antwoorden."}]
    sheet = read_xlsx(client.get(STAFF_XLSX))
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


# --- formulas -----------------------------------------------------------------------------

formula_text = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from(FORMULA_STARTS),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=40,
    ),
)


def assert_no_formula_in_csv(response) -> None:
    for cell in csv_cells(response):
        assert not cell.startswith(FORMULA_STARTS), repr(cell)


def assert_no_formula_in_xlsx(response) -> None:
    for row in read_xlsx(response).iter_rows():
        for cell in row:
            assert cell.data_type != "f", repr(cell.value)
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_STARTS), repr(cell.value)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=formula_text)
def test_provider_names_that_look_like_formulas_stay_text(policy, client, name):
    client.force_login(policy)
    with transaction.atomic():
        provider = Provider.objects.create(name=name)
        answers([7] * 12, provider=provider)

        by_provider = {"indeling": "provider"}
        response = client.get(STAFF_CSV, by_provider)
        assert_no_formula_in_csv(response)
        _notes, _header, rows = read_csv(response)
        assert safe_text(name)[0] in {row["groep"] for row in rows}
        response = client.get(STAFF_XLSX, by_provider)
        assert_no_formula_in_xlsx(response)
        labels = {row[2] for row in read_xlsx(response).iter_rows(values_only=True)}
        # XML reads a carriage return back as a line feed.
        assert re.sub("\r\n?", "\n", safe_text(name)[0]) in labels

        own = {"aanbieder": provider.pk}
        assert_no_formula_in_csv(client.get(STAFF_CSV, own))
        assert_no_formula_in_xlsx(client.get(STAFF_XLSX, own))
        transaction.set_rollback(True)


@settings(max_examples=60, deadline=None)
@given(
    text=st.lists(formula_text, min_size=1, max_size=6),
    numbers=st.lists(st.integers(0, 500) | st.floats(0, 10), max_size=3),
)
def test_the_writers_never_write_a_live_formula(text, numbers):
    sheet = exports.Sheet(
        notes=text[:2],
        header=[*text, "n"],
        rows=[[*text, *numbers], [text[0]]],
        name="x",
    )

    class Download:
        content = exports.csv_text(sheet).encode("utf-8")

    for cell in csv_cells(Download):
        assert not cell.startswith(FORMULA_STARTS), repr(cell)
    Download.content = exports.xlsx_bytes(sheet)
    assert_no_formula_in_xlsx(Download)
