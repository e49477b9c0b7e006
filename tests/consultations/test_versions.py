"""Readers see per paragraph what changed between versions: a word diff, added and removed
paragraphs, markers on the consultation page; comments stay with their version."""

import pytest

from consultations.models import Comment
from consultations.versions import (
    ADDED,
    CHANGED,
    DELETE,
    EQUAL,
    INSERT,
    REMOVED,
    SAME,
    compare_texts,
    word_diff,
)

NEW_DRAFT = """# 7. Een sterke sociale basis

Jongeren vinden steun in hun eigen omgeving.

We maken de sociale basis samen sterker.
Samen met partners.

# 8. Een stevig lokaal team

Het CJG is de vaste plek voor hulp dichtbij!

Nieuw: een inloop op elke school.
"""


def ops(segments):
    return [(s.op, s.text) for s in segments]


def changes(segments):
    """The changed pieces without the spaces around them."""
    return [(s.op, s.text.strip()) for s in segments if s.op != EQUAL]


def test_an_added_word_is_an_insertion():
    assert changes(word_diff("de plek voor hulp", "de vaste plek voor hulp")) == [(INSERT, "vaste")]


def test_a_removed_word_is_a_deletion():
    assert changes(word_diff("de sociale basis sterker", "de basis sterker")) == [
        (DELETE, "sociale")
    ]


def test_changed_words_are_one_deletion_then_one_insertion():
    assert ops(word_diff("Wij doen a b c nu.", "Wij doen x y z nu.")) == [
        (EQUAL, "Wij doen "),
        (DELETE, "a b c"),
        (INSERT, "x y z"),
        (EQUAL, " nu."),
    ]


def test_a_changed_punctuation_mark_is_shown_on_its_own():
    assert ops(word_diff("hulp dichtbij.", "hulp dichtbij!")) == [
        (EQUAL, "hulp dichtbij"),
        (DELETE, "."),
        (INSERT, "!"),
    ]


@pytest.mark.parametrize(
    "old, new",
    [
        ("", "Alles is nieuw."),
        ("Alles is weg.", ""),
        ("Een\ntwee  drie", "Een twee\ndrie vier"),
        ("zelfde tekst", "zelfde tekst"),
    ],
)
def test_the_diff_rebuilds_both_texts(old, new):
    segments = word_diff(old, new)
    assert "".join(s.text for s in segments if s.op != INSERT) == old
    assert "".join(s.text for s in segments if s.op != DELETE) == new


def test_paragraphs_are_matched_by_their_number():
    old = {7: ("Basis", {1: "Een.", 2: "Twee.", 3: "Drie."}), 8: ("Team", {1: "Vier."})}
    new = {7: ("Basis", {1: "Een.", 2: "Twee!"}), 8: ("Het team", {1: "Vier.", 2: "Vijf."})}
    chapters = compare_texts(old, new)
    statuses = {p.label: p.status for c in chapters for p in c.paragraphs}
    assert statuses == {"7.1": SAME, "7.2": CHANGED, "7.3": REMOVED, "8.1": SAME, "8.2": ADDED}
    assert chapters[1].status == CHANGED
    assert changes(chapters[1].title_segments) == [(DELETE, "Team"), (INSERT, "Het team")]
    assert chapters[0].unchanged_labels == ["7.1"]


def test_added_and_removed_chapters_are_listed():
    chapters = compare_texts({1: ("Oud", {1: "Weg."})}, {2: ("Nieuw", {1: "Er bij."})})
    assert [(c.number, c.status) for c in chapters] == [(1, REMOVED), (2, ADDED)]
    assert [p.status for p in chapters[0].paragraphs] == [REMOVED]


@pytest.fixture
def two_versions(consultation, org_a):
    """Version 1 with comments on 7.2 and 7.3; version 2 changes 7.2, drops 7.3, adds 8.2."""
    version = consultation.current_version()
    chapter = version.chapters.get(number=7)
    comments = {
        number: Comment.objects.create(
            consultation=consultation,
            version=version,
            chapter=chapter,
            paragraph=chapter.paragraphs.get(number=number),
            organisation=org_a,
            text=f"Over 7.{number}",
            status=Comment.Status.PUBLISHED,
        )
        for number in (2, 3)
    }
    consultation.draft_text = NEW_DRAFT
    consultation.save_revision().publish()
    assert consultation.current_version().number == 2
    return comments


def test_the_versions_page_shows_the_newest_change_word_by_word(client, consultation, two_versions):
    response = client.get(consultation.subpage_url("versions"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Versie 2 naast versie 1" in html
    assert (
        'sociale basis <ins><span class="visually-hidden">toegevoegd: </span>samen '
        '<span class="visually-hidden"> (einde toegevoegd)</span></ins>sterker' in html
    )
    assert "Alinea 7.3: weggehaald" in html and "<del>" in html
    assert "Alinea 8.2: nieuw" in html and "Nieuw: een inloop op elke school." in html
    assert "Niet veranderd: 7.1" in html
    # The removed paragraph's comment is kept, and the reader is told so.
    assert "Er is 1 reactie op deze alinea in versie 1. Die blijft bewaard." in html


def test_two_named_versions_can_be_compared_and_wrong_ones_are_not_found(
    client, consultation, two_versions
):
    assert client.get(consultation.subpage_url("compare", 1, 2)).status_code == 200
    assert client.get(consultation.subpage_url("compare", 2, 1)).status_code == 404
    assert client.get(consultation.subpage_url("compare", 1, 9)).status_code == 404


def test_with_one_version_there_is_nothing_to_compare(client, consultation):
    html = client.get(consultation.subpage_url("versions")).content.decode()
    assert "Er is nog maar één versie van de tekst." in html


def test_the_consultation_page_marks_changed_and_new_paragraphs(client, consultation, two_versions):
    html = client.get(consultation.url).content.decode()
    compare = consultation.subpage_url("compare", 1, 2)
    assert f'<a href="{compare}#alinea-7-2">Gewijzigd sinds versie 1' in html
    assert f'<a href="{compare}#alinea-8-1">Gewijzigd sinds versie 1' in html
    assert f'<a href="{compare}#alinea-8-2">Nieuw sinds versie 1' in html
    assert f"{compare}#alinea-7-1" not in html  # unchanged


def test_comments_on_a_removed_paragraph_stay_visible_with_their_version(
    client, consultation, two_versions
):
    html = client.get(consultation.url).content.decode()
    assert "Over 7.3" in html and "over 7.3 in versie 1" in html
    assert "Alinea 7.3 staat niet meer in versie 2." in html
    assert "Alinea 7.2 is anders in versie 2." in html


def test_html_in_the_draft_is_escaped_in_the_diff(client, consultation):
    consultation.draft_text = "# 7. Kop\n\nEen <b>oude</b> tekst."
    consultation.save_revision().publish()
    consultation.draft_text = "# 7. Kop <i>\n\nEen <b>nieuwe</b> tekst <script>alert(1)</script>"
    consultation.save_revision().publish()
    html = client.get(consultation.subpage_url("versions")).content.decode()
    assert "<script>alert" not in html and "<b>" not in html and "Kop <i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;" in html and "nieuwe" in html
