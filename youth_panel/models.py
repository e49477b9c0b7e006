"""Live poll sessions: questions, who may run them, and the votes cast on phones.

A vote belongs to a participant, a random id in a signed cookie (live room) or a panel member's
account; nothing else about the voter is stored. A client-made vote id makes retries idempotent.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

# No 0/O, 1/I/L: a code read from a projector is typed without doubt.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


def new_join_code() -> str:
    """A random 6-character join code from the unambiguous alphabet."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class PollSession(ClusterableModel):
    """A live poll that staff run at a meeting: its questions and where it stands now."""

    class Status(models.TextChoices):
        """Where the session is."""

        DRAFT = "draft", _("Nog niet gestart")
        RUNNING = "running", _("Bezig")
        ENDED = "ended", _("Afgelopen")

    title = models.CharField(_("titel"), max_length=200)
    join_code = models.CharField(
        _("deelnamecode"), max_length=6, unique=True, default=new_join_code
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    current_question = models.ForeignKey(
        "PollQuestion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voting_open = models.BooleanField(_("stemmen kan"), default=False)
    results_visible = models.BooleanField(_("uitslag te zien"), default=False)
    results_public = models.BooleanField(
        _("uitslag openbaar na afloop"),
        default=True,
        help_text=_("Iedereen mag de uitslag zien als de sessie klaar is."),
    )
    core_tasks = ParentalManyToManyField(
        "home.CoreTask", blank=True, related_name="poll_sessions", verbose_name=_("kernopgaven")
    )
    hosts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="hosted_poll_sessions",
        verbose_name=_("gespreksleiders"),
        help_text=_("Zij mogen deze sessie bedienen."),
    )
    # Goes up with every committed change (votes, host actions): clients spot gaps with it.
    version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("peiling")
        verbose_name_plural = _("peilingen")

    def __str__(self) -> str:
        return self.title

    def ordered_questions(self) -> list[PollQuestion]:
        """The questions in their order."""
        return list(self.questions.order_by("sort_order", "pk"))


class PollQuestion(Orderable):
    """One question of a session."""

    class Kind(models.TextChoices):
        """The question types."""

        SINGLE = "single", _("Eén keuze")
        MULTIPLE = "multiple", _("Meer keuzes")
        SCALE = "scale", _("Schaal 1 tot 5")
        WORDS = "words", _("Open woorden (woordwolk)")
        RANKING = "ranking", _("Volgorde")
        YES_NO = "yes_no", _("Ja / nee / weet ik niet")

    session = ParentalKey(PollSession, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(_("vraag"), max_length=300)
    kind = models.CharField(_("soort vraag"), max_length=10, choices=Kind.choices)
    options_text = models.TextField(
        _("antwoorden"),
        blank=True,
        help_text=_("Eén antwoord per regel. Voor eén keuze, meer keuzes en volgorde."),
    )
    max_choices = models.PositiveSmallIntegerField(
        _("hoeveel keuzes mag je maken"), default=2, help_text=_("Alleen bij meer keuzes.")
    )
    moderate_words = models.BooleanField(
        _("woorden eerst controleren"),
        default=False,
        help_text=_("Bij open woorden: een woord komt pas in beeld als iemand het goedkeurt."),
    )

    class Meta(Orderable.Meta):
        verbose_name = _("vraag")
        verbose_name_plural = _("vragen")

    def __str__(self) -> str:
        return self.text


class Vote(models.Model):
    """One participant's answer to one question (replaced while voting is open)."""

    question = models.ForeignKey(PollQuestion, on_delete=models.CASCADE, related_name="votes")
    participant = models.CharField(max_length=64)
    vote_id = models.UUIDField(default=uuid.uuid4, unique=True)
    answer = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "participant"], name="one_vote_per_participant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.answer}"


class Word(models.Model):
    """A word sent to an open-words question, shown in the cloud once allowed."""

    class Status(models.TextChoices):
        """Moderation of one word."""

        SHOWN = "shown", _("In beeld")
        WAITING = "waiting", _("Wacht op controle")
        HIDDEN = "hidden", _("Verborgen")

    question = models.ForeignKey(PollQuestion, on_delete=models.CASCADE, related_name="words")
    text = models.CharField(max_length=40)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SHOWN)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "text"], name="one_row_per_word")
        ]

    def __str__(self) -> str:
        return self.text
