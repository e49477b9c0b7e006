"""Turn a pasted draft text into chapters and numbered paragraphs, and store it as a version.

The format, kept as plain as possible for staff who paste from a word processor:

- A line that starts with "# " starts a chapter: "# 7. Een sterke sociale basis". A number at
  the start of the heading ("7." or "7") becomes the chapter number; without one, the chapter
  gets the next number. Chapter numbers must go up.
- Everything else is text. Paragraphs are separated by one or more empty lines; a single line
  break stays inside the paragraph. Paragraphs are numbered per chapter: 7.1, 7.2, ...
- Text before the first chapter heading is not allowed (say which chapter it belongs to).

Each published change of the text becomes a new DraftVersion with its own chapters and
paragraphs; older versions and the comments made on them stay as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

MAX_CHAPTERS = 100
MAX_PARAGRAPHS_PER_CHAPTER = 300
MAX_TITLE_LENGTH = 300
MAX_SOURCE_LENGTH = 500_000

_HEADING = re.compile(r"^#[ \t]+(?:(?P<number>\d{1,3})\.?(?:[ \t]+|$))?(?P<title>.*)$")


@dataclass
class ParsedChapter:
    """A chapter as read from the text, before it is stored."""

    number: int
    title: str
    paragraphs: list[str] = field(default_factory=list)


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def parse_draft(text: str) -> list[ParsedChapter]:
    """Read chapters and paragraphs from `text`; raise ValidationError with all problems."""
    text = _normalise(text or "")
    errors: list[str] = []
    if len(text) > MAX_SOURCE_LENGTH:
        raise ValidationError(
            _("De tekst is te lang. Het mag hoogstens %(max)s tekens zijn.")
            % {"max": f"{MAX_SOURCE_LENGTH:,}".replace(",", ".")}
        )
    chapters: list[ParsedChapter] = []
    block: list[str] = []

    def close_block() -> None:
        if block:
            chapters[-1].paragraphs.append("\n".join(block).strip())
            block.clear()

    for line_number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        match = _HEADING.match(line.strip())
        if match:
            if chapters:
                close_block()
            title = match["title"].strip()
            number = int(match["number"]) if match["number"] else None
            previous = chapters[-1].number if chapters else 0
            if not title:
                errors.append(_("Regel %(line)s: de kop heeft geen titel.") % {"line": line_number})
            elif len(title) > MAX_TITLE_LENGTH:
                errors.append(_("Regel %(line)s: de kop is te lang.") % {"line": line_number})
            if number is None:
                number = previous + 1
            elif number <= previous:
                errors.append(
                    _(
                        "Regel %(line)s: hoofdstuk %(number)s komt na hoofdstuk %(previous)s. "
                        "De nummers moeten oplopen."
                    )
                    % {"line": line_number, "number": number, "previous": previous}
                )
            chapters.append(ParsedChapter(number=number, title=title))
        elif not line.strip():
            if chapters:
                close_block()
        elif not chapters:
            errors.append(
                _(
                    "Regel %(line)s: er staat tekst voor de eerste kop. Begin met een kop, "
                    "bijvoorbeeld: # 1. Inleiding"
                )
                % {"line": line_number}
            )
            break
        else:
            block.append(line)
    if chapters:
        close_block()
    if text.strip() and not chapters and not errors:
        errors.append(
            _("Er staat geen kop in de tekst. Begin met een kop, bijvoorbeeld: # 1. Inleiding")
        )
    if len(chapters) > MAX_CHAPTERS:
        errors.append(
            _("Er zijn te veel hoofdstukken (hoogstens %(max)s).") % {"max": MAX_CHAPTERS}
        )
    for chapter in chapters:
        if len(chapter.paragraphs) > MAX_PARAGRAPHS_PER_CHAPTER:
            errors.append(
                _("Hoofdstuk %(number)s heeft te veel alinea's (hoogstens %(max)s).")
                % {"number": chapter.number, "max": MAX_PARAGRAPHS_PER_CHAPTER}
            )
    if errors:
        raise ValidationError(errors)
    return chapters


def sync_version(page, when=None):
    """Store the page's draft text as a new version when it differs from the latest one.

    Returns the new DraftVersion, or None when nothing changed (or the text is empty).
    """
    from consultations import phases
    from consultations.models import Chapter, DraftVersion, Paragraph

    source = _normalise(page.draft_text or "").strip()
    if not source:
        return None
    with transaction.atomic():
        latest = (
            DraftVersion.objects.select_for_update()
            .filter(consultation=page)
            .order_by("-number")
            .first()
        )
        if latest is not None and latest.source_text == source:
            return None
        parsed = parse_draft(source)
        version = DraftVersion.objects.create(
            consultation=page,
            number=(latest.number + 1) if latest else 1,
            source_text=source,
            published_at=when or phases.now(),
        )
        for position, item in enumerate(parsed):
            chapter = Chapter.objects.create(
                version=version, number=item.number, title=item.title, position=position
            )
            Paragraph.objects.bulk_create(
                Paragraph(chapter=chapter, number=index, text=text)
                for index, text in enumerate(item.paragraphs, start=1)
            )
    return version
