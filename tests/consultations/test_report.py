"""The response report (nota van beantwoording): every published comment with its answer,
grouped by chapter, staff-only ones summarised, with counts; print-ready."""

import pytest

from consultations.models import Comment, Organisation
from consultations.report import response_report


def add_comment(consultation, organisation, chapter, paragraph=None, **fields):
    """A published public comment on chapter (and paragraph) of the current version."""
    version = consultation.current_version()
    chapter_obj = version.chapters.get(number=chapter)
    defaults = {
        "text": "Een reactie.",
        "status": Comment.Status.PUBLISHED,
        "visibility": Comment.Visibility.PUBLIC,
    }
    return Comment.objects.create(
        consultation=consultation,
        version=version,
        chapter=chapter_obj,
        paragraph=chapter_obj.paragraphs.get(number=paragraph) if paragraph else None,
        organisation=organisation,
        **{**defaults, **fields},
    )


@pytest.fixture
def ggd(db):
    return Organisation.objects.create(name="GGD Noord", kind=Organisation.Kind.GGD)


@pytest.fixture
def commented(consultation, org_a, org_b, ggd, member_a):
    """Comments of every kind on the consultation."""
    return {
        "chapter8": add_comment(consultation, org_b, 8, text="Over het lokale team."),
        "para72": add_comment(
            consultation,
            org_a,
            7,
            2,
            author=member_a,
            text="We missen de hoe.",
            answer_outcome=Comment.Outcome.PARTLY,
            answer_reasoning="We schrijven een actieplan.",
            answer_text_change="Alinea 7.4 is nieuw.",
        ),
        "para71": add_comment(consultation, org_a, 7, 1, text="Nog geen antwoord hierop."),
        "staff_only": add_comment(
            consultation,
            ggd,
            7,
            1,
            author=member_a,
            text="Geheime zorg over cijfers.",
            visibility=Comment.Visibility.STAFF_ONLY,
            answer_outcome=Comment.Outcome.TAKEN_OVER,
            answer_reasoning="Interne uitleg die niet openbaar is.",
        ),
        "pending": add_comment(
            consultation, org_b, 7, 3, text="Wacht nog op controle.", status="pending"
        ),
        "hidden": add_comment(consultation, org_b, 7, 3, text="Verborgen tekst.", status="hidden"),
    }


def test_the_report_groups_comments_by_chapter_then_paragraph(consultation, commented):
    chapters = response_report(consultation)["chapters"]
    assert [c.number for c in chapters] == [7, 8]
    seven, eight = chapters
    assert [g.heading for g in seven.groups] == ["Alinea 7.1", "Alinea 7.2"]
    assert [len(g.comments) for g in seven.groups] == [2, 1]
    assert [g.heading for g in eight.groups] == ["Over het hele hoofdstuk"]


def test_pending_and_hidden_comments_are_left_out(client, consultation, commented):
    report = response_report(consultation)
    assert report["total"] == 4
    html = client.get(consultation.subpage_url("report")).content.decode()
    assert "Wacht nog op controle." not in html and "Verborgen tekst." not in html


def test_the_report_counts_answers_and_public_comments_per_kind(consultation, commented):
    report = response_report(consultation)
    outcomes = {row.label: row.count for row in report["outcome_rows"]}
    assert outcomes == {
        "Overgenomen": 1,
        "Deels overgenomen": 1,
        "Niet overgenomen": 0,
        "Voor kennisgeving aangenomen": 0,
        "Nog geen antwoord": 2,
    }
    kinds = {row.label: (row.count, row.extra) for row in report["kind_rows"]}
    # The GGD commented only for staff: its kind is not counted, or it would be recognisable.
    assert kinds == {"Zorgaanbieder": (1, 2), "School": (1, 1)}
    assert report["staff_only_total"] == 1 and report["answered_total"] == 2


def test_the_public_page_shows_answers_and_says_when_there_is_none(client, consultation, commented):
    response = client.get(consultation.subpage_url("report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Nota van beantwoording" in html
    assert "We missen de hoe." in html and "We schrijven een actieplan." in html
    assert "Deels overgenomen" in html and "Alinea 7.4 is nieuw." in html
    assert "Nog geen antwoord" in html
    assert html.index("Hoofdstuk 7.") < html.index("Alinea 7.1") < html.index("Alinea 7.2")
    assert html.index("Alinea 7.2") < html.index("Hoofdstuk 8.")


def test_a_staff_only_comment_is_a_summary_without_author_or_organisation(
    client, consultation, commented
):
    html = client.get(consultation.subpage_url("report")).content.decode()
    assert "Een reactie die alleen voor de gemeente is. Antwoord: Overgenomen" in html
    assert "Geheime zorg" not in html and "Interne uitleg" not in html
    assert "GGD Noord" not in html and "lid-a" not in html
    assert ">GGD<" not in html  # not even its kind


def test_the_report_tables_have_captions_and_header_cells(client, consultation, commented):
    html = client.get(consultation.subpage_url("report")).content.decode()
    assert html.count("<caption ") == 2
    assert '<th scope="col">Antwoord</th>' in html and '<th scope="row">Overgenomen</th>' in html


def test_the_report_shows_html_in_comments_and_answers_as_text(client, consultation, org_a):
    add_comment(
        consultation,
        org_a,
        7,
        1,
        text="<script>alert('x')</script>",
        answer_outcome=Comment.Outcome.NOTED,
        answer_reasoning="<b>vet</b>",
    )
    html = client.get(consultation.subpage_url("report")).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>vet</b>" not in html and "&lt;b&gt;vet&lt;/b&gt;" in html


def test_the_report_is_print_ready_and_the_button_needs_javascript(client, consultation, commented):
    html = client.get(consultation.subpage_url("report")).content.decode()
    assert '<button type="button" class="button" data-print hidden>' in html
    assert "Print of bewaar als PDF" in html and "consultations/print.js" in html
    assert "http://testserver/" in html  # complete addresses for paper


def test_an_empty_report_says_so(client, consultation):
    html = client.get(consultation.subpage_url("report")).content.decode()
    assert "Er zijn nog geen reacties." in html
    assert "Geen reacties op dit hoofdstuk." in html


def test_comments_on_an_older_version_keep_their_version_in_the_report(
    consultation, org_a, commented
):
    consultation.draft_text = "# 7. Een sterke sociale basis\n\nAlleen nog dit."
    consultation.save_revision().publish()
    report = response_report(consultation)
    seven = report["chapters"][0]
    assert [g.heading for g in seven.groups] == ["Alinea 7.1 (versie 1)", "Alinea 7.2 (versie 1)"]
    assert [c.number for c in report["chapters"]] == [7, 8]  # chapter 8 is gone but kept


def test_the_consultation_page_links_to_report_versions_and_trail(client, consultation):
    html = client.get(consultation.url).content.decode()
    for name in ("report", "versions", "trail"):
        assert f'href="{consultation.subpage_url(name)}"' in html
    assert consultation.subpage_url("report").endswith("/nota/")
