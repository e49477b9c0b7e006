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


# The staff answer per chapter, written from what the final vision did with this feedback:
# its introduction ("Het proces") summarises it, and Bijlage 2 says the vision updates the
# existing policy and that improvements are made concrete in an implementation programme.
# chapter number: (outcome, reasoning, text change)
ANSWERS = {
    7: (
        Comment.Outcome.PARTLY,
        "Dank u wel. U vraagt naar de hoe. De visie Jeugd is een actualisering van het beleid "
        "dat er al is. Wat goed gaat, blijft zo. Wat beter moet, maken we de komende tijd "
        "concreet in een uitvoeringsprogramma. Uw aanbod om kennis te delen, bijvoorbeeld over "
        "autisme, past bij de kernactiviteit Samenwerking in de visie: partners gebruiken "
        "meer dan nu elkaars expertise.",
        "In hoofdstuk 1 (Het proces) staat uw feedback nu samengevat: 'Gebrek aan de hoe' en "
        "'Samenwerking en kennisdeling: er is behoefte aan betere samenwerking, niet alleen "
        "tussen professionals maar ook met vrijwilligers en de sociale basis. Hiervoor is extra "
        "kennis nodig, vooral over specifieke doelgroepen (zoals autisme/ADHD).'",
    ),
    8: (
        Comment.Outcome.PARTLY,
        "We zijn het met u eens: het lokale team en de sociale basis hebben meer kennis nodig, "
        "en preventie is belangrijk. In dit hoofdstuk zetten we in op meer samenwerking tussen "
        "jeugdhulp en de sociale basis, en op elkaar en elkaars mogelijkheden kennen. Hoe we "
        "kennis delen, maken we concreet in het uitvoeringsprogramma.",
        "In hoofdstuk 1 (Het proces) staat nu: 'Tekortschietende kennis in lokale teams: de "
        "sociale basis mist vaak voldoende kennis om passende ondersteuning te bieden aan "
        "bepaalde doelgroepen. Preventie en kennisverspreiding worden gezien als noodzakelijke "
        "speerpunten.'",
    ),
    9: (
        Comment.Outcome.TAKEN_OVER,
        "We zijn het met u eens. Zo licht mogelijk mag niet ten koste gaan van kwaliteit en "
        "maatwerk. De visie zegt daarom: passende zorg, zo licht als mogelijk, zo zwaar als "
        "nodig. Het CJG maakt een goede inschatting van de juiste zorg, zodat een gezin meteen "
        "de passende hulp krijgt.",
        "In hoofdstuk 1 (Het proces) staat nu: 'Zorgvuldige afweging tussen licht en passend: "
        "hoewel zo licht mogelijk een goed uitgangspunt is, moet dit niet ten koste gaan van "
        "kwaliteit en maatwerk. De juiste zorg moet leidend blijven, niet per se de minst "
        "intensieve vorm.'",
    ),
    10: (
        Comment.Outcome.NOTED,
        "U vraagt om concrete plannen. De visie zegt waar we naartoe willen; de acties staan er "
        "nog niet in. Die maken we de komende tijd concreet in een uitvoeringsprogramma. Het "
        "programma Grip op Jeugd en Wmo zet de inzichten uit financiën, beleid, uitvoering en "
        "data om in concrete sturingsmogelijkheden: voor de korte termijn (2025-2026) "
        "verbeteringen die we invoeren, en scenario's voor de lange termijn.",
        "In hoofdstuk 1 (Het proces) staat nu: 'Wens tot actie en concrete plannen: er is "
        "behoefte aan echte verandering, met duidelijke actiepunten en samenwerking tussen "
        "aanbieders. Suggesties zijn o.a. kennisdeling, vroegsignalering en preventieve inzet "
        "concreet maken in actieplannen.'",
    ),
}


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


def answer_demo_comments(page: ConsultationPage) -> int:
    """Give the care provider's unanswered demo comments their answer; return how many."""
    comments = Comment.objects.filter(
        consultation=page, organisation__name=CARE_PROVIDER, answer_outcome=""
    ).select_related("chapter")
    answered = 0
    for comment in comments:
        if comment.chapter.number not in ANSWERS:
            continue
        outcome, reasoning, text_change = ANSWERS[comment.chapter.number]
        comment.answer_outcome = outcome
        comment.answer_reasoning = reasoning
        comment.answer_text_change = text_change
        comment.answered_at = phases.now()
        comment.save(
            update_fields=[
                "answer_outcome",
                "answer_reasoning",
                "answer_text_change",
                "answered_at",
            ]
        )
        answered += 1
    return answered


def seed_demo_consultation() -> str:
    """Make the demo consultation once (a second call changes nothing); return a line."""
    ensure_groups()
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return "No default site: demo consultation skipped."
    home = site.root_page
    index = ConsultationIndexPage.objects.child_of(home).first()
    existing = ConsultationPage.objects.child_of(index).filter(slug=SLUG).first() if index else None
    if existing is not None:
        seed_demo_youth_round()
        # A demo made before the answers existed gets them now; after that nothing changes.
        answered = answer_demo_comments(existing)
        return "Demo consultation already present." + (
            f" Answered {answered} comments." if answered else ""
        )
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
        answer_demo_comments(page)
    seed_demo_youth_round()
    return (
        f"Demo consultation at {page.url}: {len(FEEDBACK)} comments from {CARE_PROVIDER}, answered."
    )


# The youth round: the guiding questions of the conversation with the youth platform JPRA
# (Bijlage 2, 19 November 2024), as a question set young people answer on their phone.
YOUTH_SLUG = "jongerenpanel-weg-naar-hulp"
YOUTH_QUESTIONS = [
    {
        "kind": "single",
        "text": "Vind je je weg naar hulp of ondersteuning?",
        "explanation": "Bijvoorbeeld als je hulp nodig had, of als je een vraag had.",
        "options_text": "Ja, ik weet waar ik heen kan\nEen beetje\nNee, dat weet ik niet\n"
        "Ik heb nog nooit hulp gezocht",
        "required": True,
    },
    {
        "kind": "open",
        "text": "Wat ging er goed toen je hulp zocht? En wat kan beter?",
    },
    {
        "kind": "multiple",
        "text": "Stel dat je nu hulp nodig hebt. Waar ga je dan naartoe?",
        "explanation": "Met wie ga je praten?",
        "options_text": "De huisarts\nHet jongerenpunt\nHet CJG\n"
        "Iemand op school, zoals je mentor\nFamilie of vrienden\n"
        "Internet of een app, zoals Kwikstart\nIk weet het niet",
        "max_choices": 3,
    },
    {
        "kind": "scale",
        "text": "Hoe belangrijk waren je familie en vrienden daarbij?",
        "explanation": "1 is helemaal niet belangrijk, 5 is heel belangrijk.",
    },
    {
        "kind": "open",
        "text": "Wat wil je de gemeente meegeven voor de visie op jeugd?",
    },
    {
        "kind": "multiple",
        "text": "Wil je blijven meedenken? Hoe doe je dat het liefst?",
        "options_text": "In het jongerenpanel\nMet korte vragen op mijn telefoon\n"
        "In een gesprek op school\nLiever niet",
        "max_choices": 2,
    },
    {
        "kind": "story",
        "text": "Vertel je verhaal: hoe vond jij de weg naar hulp?",
        "explanation": "Je mag dit overslaan. Schrijf geen namen op.",
    },
]


def seed_demo_youth_round() -> str:
    """Make the demo youth round (audience youth panel, open now) once; return a line."""
    from consultations.models import YouthQuestion

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    index = ConsultationIndexPage.objects.child_of(site.root_page).first() if site else None
    if index is None:
        return "No consultations index: demo youth round skipped."
    if ConsultationPage.objects.child_of(index).filter(slug=YOUTH_SLUG).exists():
        return "Demo youth round already present."
    now = phases.now()
    with transaction.atomic():
        page = ConsultationPage(
            title="Jongerenpanel: vind je je weg naar hulp?",
            slug=YOUTH_SLUG,
            summary=(
                "Het jongerenpanel (JPRA) dacht mee over de visie Jeugd. Nu kun jij ook "
                "meedoen. Beantwoord een paar vragen op je telefoon."
            ),
            audience=ConsultationPage.Audience.YOUTH_PANEL,
            opens_at=now - datetime.timedelta(days=1),
            closes_at=now + datetime.timedelta(days=28),
        )
        page.youth_questions = [
            YouthQuestion(sort_order=position, **fields)
            for position, fields in enumerate(YOUTH_QUESTIONS)
        ]
        index.add_child(instance=page)
        page.save_revision().publish()
    return f"Demo youth round at {page.url}: {len(YOUTH_QUESTIONS)} questions."
