"""Demo consultation: the draft chapters 7-10 of the vision, open for comments from partners,
with the per-chapter feedback of a care provider from the participation trail (Bijlage 2)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from wagtail.models import Site

from consultations import phases
from consultations.groups import ensure_groups
from consultations.models import (
    Comment,
    ConsultationIndexPage,
    ConsultationPage,
    Organisation,
)

INDEX_SLUG = "inspraak"
SLUG = "concept-visie-jeugd"
CHAPTER_FILES = [
    "07-sterke-sociale-basis.yaml",
    "08-stevig-lokaal-team.yaml",
    "09-specialistische-zorg.yaml",
    "10-duurzaam-betaalbaar.yaml",
]
CARE_PROVIDER = "Kop-Zorg BV"
# (chapter, paragraph or None for the whole chapter, text) from Bijlage 2, shortened.
FEEDBACK = [
    (
        7,
        3,
        "We missen de hoe. Het zijn mooie uitgangspunten, en iedereen is het ermee eens. Maar ze "
        "staan al zeker 10 jaar op de agenda, en toch lukt het niet. Ligt er een andere aanpak "
        "klaar?",
    ),
    (
        8,
        None,
        "Ook binnen de sociale wijkteams is te weinig kennis over autisme en adhd. Kennis delen "
        "kan hulpvragen voorkomen. Wij denken graag mee en bieden die kennis aan.",
    ),
    (
        9,
        3,
        "Zo licht mogelijk: daar zijn we het mee eens. Maar de kwaliteit moet goed blijven. Kijk "
        "steeds naar wat een gezin nodig heeft, niet alleen naar zo licht mogelijk.",
    ),
    (
        10,
        None,
        "Alles in dit hoofdstuk snappen we, maar het blijven punten en geen acties. Wij lezen "
        "graag concrete plannen: kennis delen, hulpvragen eerder zien, preventie. Wat maakt dit "
        "keer het verschil?",
    ),
]


def _plain(markdown_text: str) -> list[str]:
    """The ordinary paragraphs of a Markdown text (no headings, lists or sources)."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", markdown_text or ""):
        block = " ".join(block.split())
        if block and not block.startswith(("#", "-", "*", "|")):
            paragraphs.append(block)
    return paragraphs


def draft_text(directory: Path | None = None) -> str:
    """Chapters 7-10 of the vision as a draft: summary, understanding, goals, activities."""
    directory = Path(directory or settings.DEMO_CONTENT_DIR) / "vision"
    parts = []
    for name in CHAPTER_FILES:
        data = yaml.safe_load((directory / name).read_text(encoding="utf-8"))
        paragraphs = [" ".join(data["summary"].split())]
        for key in ("understanding", "goals"):
            paragraphs.extend(_plain((data.get(key) or {}).get("text", ""))[:1])
        paragraphs.extend(_plain((data.get("activities") or {}).get("intro", ""))[:1])
        parts.append(f"# {data['number']}. {data['title']}\n\n" + "\n\n".join(paragraphs))
    return "\n\n".join(parts) + "\n"


def seed_demo_consultation() -> str:
    """Make the demo consultation once (a second call changes nothing); return a line."""
    ensure_groups()
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return "No default site: demo consultation skipped."
    home = site.root_page
    index = ConsultationIndexPage.objects.child_of(home).first()
    if index is not None and ConsultationPage.objects.child_of(index).filter(slug=SLUG).exists():
        return "Demo consultation already present."
    now = phases.now()
    with transaction.atomic():
        if index is None:
            index = ConsultationIndexPage(
                title="Inspraak",
                slug=INDEX_SLUG,
                intro="<p>Hier leest u teksten van de gemeente en zegt u wat u ervan vindt.</p>",
                show_in_menus=True,
            )
            home.add_child(instance=index)
            index.save_revision().publish()
        page = ConsultationPage(
            title="Concept visie Jeugd: reageer per hoofdstuk",
            slug=SLUG,
            summary=(
                "Dit is de conceptversie van de visie Jeugd. Werkt u bij een organisatie? "
                "Zeg dan per hoofdstuk of alinea wat u ervan vindt."
            ),
            audience=ConsultationPage.Audience.STAKEHOLDERS,
            opens_at=now - datetime.timedelta(days=7),
            closes_at=now + datetime.timedelta(days=28),
            moderation=ConsultationPage.Moderation.BEFORE,
            draft_text=draft_text(),
        )
        index.add_child(instance=page)
        page.save_revision().publish()  # stores version 1 (consultations.signals)
        version = page.current_version()
        organisation, _ = Organisation.objects.get_or_create(
            name=CARE_PROVIDER, defaults={"kind": Organisation.Kind.CARE_PROVIDER}
        )
        for chapter_number, paragraph_number, text in FEEDBACK:
            chapter = version.chapters.get(number=chapter_number)
            paragraph = (
                chapter.paragraphs.get(number=paragraph_number) if paragraph_number else None
            )
            Comment.objects.create(
                consultation=page,
                version=version,
                chapter=chapter,
                paragraph=paragraph,
                organisation=organisation,
                text=text,
                status=Comment.Status.PUBLISHED,
            )
    return f"Demo consultation at {page.url}: {len(FEEDBACK)} comments from {CARE_PROVIDER}."
