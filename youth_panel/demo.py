"""A ready demo poll about the youth panel's questions from the participation trail."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from youth_panel.models import PollQuestion, PollSession

DEMO_TITLE = "Vind je je weg naar ondersteuning?"
DEMO_CODE = "JPRA26"
Kind = PollQuestion.Kind
QUESTIONS = [
    ("Vind je je weg naar ondersteuning?", Kind.YES_NO, ""),
    (
        "Waar ga je heen als je hulp nodig hebt? Kies er hoogstens twee.",
        Kind.MULTIPLE,
        "Huisarts\nJongerenpunt\nCJG\nSchool of mentor\nVrienden of familie\nInternet of een app",
    ),
    ("Hoe makkelijk is het om hulp te vinden?", Kind.SCALE, ""),
    (
        "Waar moet informatie over hulp te zien zijn? Zet in volgorde.",
        Kind.RANKING,
        "Op school\nIn bushokjes\nOp banners langs de weg\nOnline en op social media",
    ),
    ("Welk woord past bij hulp vragen?", Kind.WORDS, ""),
    ("Wil je mee blijven denken over de volgende stappen?", Kind.YES_NO, ""),
]


def seed_demo_poll(host_username: str = "beheer") -> str:
    """Make the demo poll once (a second call changes nothing) and return a line about it."""
    if PollSession.objects.filter(join_code=DEMO_CODE).exists():
        return f"Demo poll {DEMO_CODE} already present."
    with transaction.atomic():
        session = PollSession.objects.create(title=DEMO_TITLE, join_code=DEMO_CODE)
        for order, (text, kind, options_text) in enumerate(QUESTIONS):
            PollQuestion.objects.create(
                session=session,
                sort_order=order,
                text=text,
                kind=kind,
                options_text=options_text,
                max_choices=2,
            )
        host = get_user_model().objects.filter(username=host_username).first()
        if host is not None:
            session.hosts.add(host)
    return (
        f"Demo poll {DEMO_CODE}: {len(QUESTIONS)} questions, control at /p/{DEMO_CODE}/bediening/."
    )
