"""Live poll sessions: questions, who may run them, and the votes cast on phones.

A vote belongs to a participant: a random id in a signed cookie (live room mode), or in counted
mode a single-use paper code ("code:<pk>") or a panel member's account ("user:<pk>"); nothing
else about the voter is stored. A client-made vote id makes retries idempotent.
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

    class Mode(models.TextChoices):
        """How strictly votes are counted; the labels say honestly what each mode can promise."""

        LIVE = "live", _("Live in de zaal: één stem per telefoon (niet waterdicht)")
        COUNTED = "counted", _("Geteld: één stem per code of per account")

    title = models.CharField(_("titel"), max_length=200)
    join_code = models.CharField(
        _("deelnamecode"), max_length=6, unique=True, default=new_join_code
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    mode = models.CharField(
        _("manier van stemmen"),
        max_length=10,
        choices=Mode.choices,
        default=Mode.LIVE,
        help_text=_(
            "Live in de zaal: iedereen stemt met de eigen telefoon, zonder inloggen. Dat is snel. "
            "Maar iemand met twee telefoons kan twee keer stemmen. "
            "Geteld: iedereen krijgt een code op papier, of logt in met een account. "
            "Elke code of account stemt maar één keer. Kies dit als de uitslag echt moet kloppen. "
            "Kies de manier voordat de peiling begint."
        ),
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
    consultation = models.ForeignKey(
        "consultations.ConsultationPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="poll_sessions",
        verbose_name=_("inspraakronde"),
        help_text=_("De uitslag hoort dan bij het verslag van deze inspraakronde."),
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
        help_text=_("Eén antwoord per regel. Voor één keuze, meer keuzes en volgorde."),
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


class PollCode(models.Model):
    """A single-use paper code for a counted session: one code is one voter for the session.

    Only a keyed hash of the code is stored; the plain code exists once, on the printed slip.
    """

    session = models.ForeignKey(PollSession, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the code is first typed in; from then on it belongs to that phone.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "code_hash"], name="one_row_per_poll_code")
        ]
        verbose_name = _("stemcode")
        verbose_name_plural = _("stemcodes")

    def __str__(self) -> str:
        return f"{self.session_id}: {self.pk}"


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


# --- Youth panel membership (the JPRA) --------------------------------------------------------

# Where a member lives: the districts of the city of Alkmaar and the villages of the former
# municipalities Graft-De Rijp and Schermer (part of Alkmaar since 2015). Kept here, in one place;
# the stored value is the name itself, so a name that is added later needs no migration.
DISTRICTS: tuple[str, ...] = (
    # The city
    "Centrum",
    "Bergermeer",
    "Daalmeer",
    "De Mare",
    "Hoefplan",
    "Huiswaard",
    "Koedijk",
    "Kooimeer",
    "Oosterhout",
    "Oudorp",
    "Overdie",
    "Vroonermeer",
    # The villages
    "De Rijp",
    "Driehuizen",
    "Graft",
    "Grootschermer",
    "Markenbinnen",
    "Noordeinde",
    "Oost-Graftdijk",
    "Oterleek",
    "Schermerhorn",
    "Stompetoren",
    "West-Graftdijk",
    "Zuidschermer",
)
DISTRICT_ELSEWHERE = "elders"

# Raise when the consent text (youth_panel/_consent.html) changes, so we know who agreed to what.
CONSENT_VERSION = "2025-1"


def district_choices() -> list[tuple[str, str]]:
    """The districts for a form or model field, with "somewhere else" last."""
    return [(name, name) for name in DISTRICTS] + [
        (DISTRICT_ELSEWHERE, _("Ergens anders in de regio Alkmaar"))
    ]


class PanelMemberQuerySet(models.QuerySet):
    """Panel members by what they may receive."""

    def confirmed(self) -> PanelMemberQuerySet:
        """Members who need no parent, or whose parent confirmed."""
        return self.filter(
            models.Q(needs_parent=False) | models.Q(parent_confirmed_at__isnull=False)
        )

    def invitable(self) -> PanelMemberQuerySet:
        """Confirmed members who still want invitations and have an address to send them to."""
        return (
            self.confirmed()
            .filter(unsubscribed_at__isnull=True, user__is_active=True)
            .exclude(user__email="")
        )


class PanelMember(models.Model):
    """A young person in the youth panel: the least we need to invite them and count who took part.

    Under-16s may have to wait for a parent (settings.YOUTH_PANEL_PARENTAL_CONSENT_UNDER_16).
    The parent's address is kept only until the parent confirms, or for YOUTH_PANEL_PARENT_LINK_DAYS
    (purge_panel deletes it after that); of the link only a keyed hash is stored.
    """

    class AgeBand(models.TextChoices):
        """Age in bands, never a birth date."""

        AGE_12_15 = "12-15", _("12 tot en met 15 jaar")
        AGE_16_17 = "16-17", _("16 of 17 jaar")
        AGE_18_23 = "18-23", _("18 tot en met 23 jaar")

    class SchoolType(models.TextChoices):
        """Optional; helps to see whether the panel is a mix of young people."""

        VMBO = "vmbo", _("vmbo")
        HAVO = "havo", _("havo")
        VWO = "vwo", _("vwo")
        MBO = "mbo", _("mbo")
        HBO = "hbo", _("hbo")
        WO = "wo", _("universiteit (wo)")
        OTHER = "anders", _("iets anders, of ik zit niet op school")
        NO_ANSWER = "geen", _("zeg ik liever niet")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="panel_member",
        verbose_name=_("account"),
    )
    age_band = models.CharField(_("leeftijd"), max_length=5, choices=AgeBand.choices)
    district = models.CharField(_("wijk of dorp"), max_length=40, choices=district_choices())
    school_type = models.CharField(
        _("school"), max_length=8, choices=SchoolType.choices, blank=True
    )
    consent_version = models.CharField(_("versie van de toestemmingstekst"), max_length=20)
    consented_at = models.DateTimeField(_("toestemming gegeven op"))
    joined_at = models.DateTimeField(_("lid sinds"), auto_now_add=True)
    # Fixed when joining: whether this member waits for a parent before any invitation.
    needs_parent = models.BooleanField(_("ouder moet bevestigen"), default=False)
    parent_email = models.EmailField(_("e-mailadres ouder"), blank=True)
    parent_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    parent_requested_at = models.DateTimeField(_("ouder gemaild op"), null=True, blank=True)
    parent_confirmed_at = models.DateTimeField(_("ouder bevestigde op"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(
        _("afgemeld voor uitnodigingen op"), null=True, blank=True
    )

    objects = PanelMemberQuerySet.as_manager()

    class Meta:
        ordering = ["-joined_at"]
        permissions = [
            ("invite_panelmember", _("Mag het jongerenpanel uitnodigen")),
        ]
        verbose_name = _("panellid")
        verbose_name_plural = _("panelleden")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} {self.pk}"

    @property
    def is_waiting(self) -> bool:
        """Whether a parent still has to confirm."""
        return self.needs_parent and self.parent_confirmed_at is None

    @property
    def gets_invitations(self) -> bool:
        """Whether invitations go out to this member."""
        return not self.is_waiting and self.unsubscribed_at is None


class PanelInvitation(models.Model):
    """One invitation mail to one member for a consultation or a poll, so nobody gets it twice."""

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="invitations")
    # "consultation:<page pk>" or "poll:<session pk>"
    target = models.CharField(max_length=40)
    title = models.CharField(_("titel"), max_length=255)
    sent_at = models.DateTimeField(_("verstuurd op"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["member", "target"], name="one_invitation_per_target")
        ]
        verbose_name = _("uitnodiging jongerenpanel")
        verbose_name_plural = _("uitnodigingen jongerenpanel")

    def __str__(self) -> str:
        return f"{self.target} -> {self.member_id}"
