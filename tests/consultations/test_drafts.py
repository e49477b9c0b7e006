"""A pasted draft becomes chapters and numbered paragraphs; each published change a version."""

import pytest
from django.core.exceptions import ValidationError

from consultations.drafts import parse_draft, sync_version
from consultations.models import Comment, DraftVersion
from tests.consultations.conftest import DRAFT


def test_headings_start_chapters_and_blank_lines_split_paragraphs():
    chapters = parse_draft(DRAFT)
    assert [(c.number, c.title) for c in chapters] == [
        (7, "Een sterke sociale basis"),
        (8, "Een stevig lokaal team"),
    ]
    assert chapters[0].paragraphs == [
        "Jongeren vinden steun in hun eigen omgeving.",
        "We maken de sociale basis sterker.\nSamen met partners.",
        "De gemeente verbindt partijen.",
    ]
    assert chapters[1].paragraphs == ["Het CJG is de plek voor hulp dichtbij."]


def test_headings_without_a_number_count_on_and_windows_line_ends_work():
    chapters = parse_draft("# Inleiding\r\n\r\nTekst.\r\n\r\n#   Missie\r\n\r\nNog meer.")
    assert [(c.number, c.title, c.paragraphs) for c in chapters] == [
        (1, "Inleiding", ["Tekst."]),
        (2, "Missie", ["Nog meer."]),
    ]


def test_hash_without_a_space_is_text_not_a_heading():
    chapters = parse_draft("# 1. Begin\n\n#hashtag blijft tekst")
    assert chapters[0].paragraphs == ["#hashtag blijft tekst"]


def test_empty_text_has_no_chapters():
    assert parse_draft("  \n\n ") == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("Losse tekst\n\n# 1. Begin", "voor de eerste kop"),
        ("# 3. Drie\n\n# 2. Twee", "De nummers moeten oplopen"),
        ("# 4.\n\nTekst", "geen titel"),
    ],
)
def test_unreadable_drafts_are_refused_with_the_line(text, message):
    with pytest.raises(ValidationError) as caught:
        parse_draft(text)
    assert any(message in m and "Regel" in m for m in caught.value.messages)


def test_publishing_stores_version_one_with_numbered_paragraphs(consultation):
    version = consultation.current_version()
    assert version.number == 1
    labels = [p.label for c in version.chapters.all() for p in c.paragraphs.all()]
    assert labels == ["7.1", "7.2", "7.3", "8.1"]


def test_publishing_the_same_text_again_makes_no_new_version(consultation):
    consultation.save_revision().publish()
    assert DraftVersion.objects.filter(consultation=consultation).count() == 1
    assert sync_version(consultation) is None


def test_a_changed_text_becomes_version_two_and_old_comments_stay(consultation, org_a):
    old = consultation.current_version()
    paragraph = old.chapters.get(number=7).paragraphs.get(number=3)
    comment = Comment.objects.create(
        consultation=consultation,
        version=old,
        chapter=paragraph.chapter,
        paragraph=paragraph,
        organisation=org_a,
        text="Over 7.3",
    )
    consultation.draft_text = "# 7. Een sterke sociale basis\n\nAlleen nog dit."
    consultation.save_revision().publish()
    new = consultation.current_version()
    assert new.number == 2 and new.chapters.get(number=7).paragraphs.count() == 1
    comment.refresh_from_db()
    assert comment.version == old and comment.paragraph.label == "7.3"


def test_the_page_refuses_a_broken_draft_in_the_editor(consultation):
    consultation.draft_text = "Geen kop\n\n# 1. Kop"
    with pytest.raises(ValidationError) as caught:
        consultation.full_clean()
    assert "draft_text" in caught.value.message_dict
