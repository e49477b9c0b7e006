"""The phases of a consultation and what each phase allows: declared here, in one place."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    """The phases in their order; each starts at a date on the consultation page."""

    ANNOUNCED = "announced", _("Aangekondigd")
    OPEN = "open", _("Open voor reacties")
    CLOSED = "closed", _("Gesloten")
    ANSWERED = "answered", _("Beantwoord")


ORDER = [Phase.ANNOUNCED, Phase.OPEN, Phase.CLOSED, Phase.ANSWERED]

# What each phase allows. Reading is always allowed; flagging a comment and staff work
# (moderating, answering) do not depend on the phase.
ALLOWS: dict[str, frozenset[str]] = {
    Phase.ANNOUNCED: frozenset(),
    Phase.OPEN: frozenset({"comment", "answer_questions"}),
    Phase.CLOSED: frozenset(),
    Phase.ANSWERED: frozenset(),
}

EXPLANATION = {
    Phase.ANNOUNCED: _("De inspraak begint binnenkort. Je kunt de tekst al lezen."),
    Phase.OPEN: _("Je kunt nu reageren."),
    Phase.CLOSED: _(
        "Reageren kan niet meer. De gemeente leest alle reacties en schrijft op elke reactie "
        "een antwoord."
    ),
    Phase.ANSWERED: _("De gemeente heeft op de reacties geantwoord. Je leest de antwoorden hier."),
}


def now() -> datetime.datetime:
    """The current time; tests replace this to freeze the clock."""
    return timezone.now()


def allows(phase: str, action: str) -> bool:
    """Whether `action` (such as "comment") is allowed in `phase`."""
    return action in ALLOWS[phase]


def phase_at(
    when: datetime.datetime,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    answered_at: datetime.datetime | None,
) -> Phase:
    """The phase at `when`: each phase starts at its date and lasts until the next one."""
    if answered_at is not None and when >= answered_at:
        return Phase.ANSWERED
    if when >= closes_at:
        return Phase.CLOSED
    if when >= opens_at:
        return Phase.OPEN
    return Phase.ANNOUNCED
