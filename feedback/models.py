"""Post-case survey: pseudonymous cases, single-use invitations, anonymous answers.

An answer (SurveyResponse) holds the case's categories and the answers only: no key, column or
timestamp leads back to the invitation, the code, the case reference or a contact detail.
Until it is submitted, a respondent's progress lives in a SurveyDraft tied to the invitation;
submitting copies it into an anonymous SurveyResponse, deletes the draft and burns the code.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from feedback.choices import (
    AgeBand,
    Agreement,
    Channel,
    District,
    EndedRightMoment,
    EndReason,
    FurtherHelp,
    GoalsReached,
    HelpType,
    NoInviteReason,
    Referrer,
    Respondent,
)


class Provider(models.Model):
    """A care provider or CJG team whose closed cases are surveyed; staff keep the list."""

    name = models.CharField(_("naam"), max_length=200, unique=True)
    is_cjg = models.BooleanField(_("CJG of lokaal team"), default=False)
    active = models.BooleanField(_("actief"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="providers",
        verbose_name=_("medewerkers"),
        help_text=_("Zij mogen casussen van deze aanbieder registreren."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("aanbieder")
        verbose_name_plural = _("aanbieders")

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """A closed youth-care case, with pseudonymous metadata only."""

    reference = models.CharField(
        _("casusnummer"),
        max_length=32,
        unique=True,
        help_text=_("Een willekeurig nummer. Nooit een naam, BSN of adres."),
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="cases", verbose_name=_("aanbieder")
    )
    help_type = models.CharField(_("soort hulp"), max_length=32, choices=HelpType.choices)
    referrer = models.CharField(_("verwijzer"), max_length=32, choices=Referrer.choices)
    start_month = models.DateField(_("startmaand"))
    end_month = models.DateField(_("eindmaand"))
    end_reason = models.CharField(_("reden einde"), max_length=32, choices=EndReason.choices)
    district = models.CharField(_("wijk of dorp"), max_length=32, choices=District.choices)
    age_band = models.CharField(_("leeftijd bij einde"), max_length=8, choices=AgeBand.choices)
    channel = models.CharField(_("uitnodigen via"), max_length=8, choices=Channel.choices)
    youth_agreed_parent_invite = models.BooleanField(
        _("jongere (16+) vindt het goed dat de ouder ook een uitnodiging krijgt"), default=False
    )
    no_invite = models.BooleanField(_("niet uitnodigen"), default=False)
    no_invite_reason = models.CharField(
        _("reden niet uitnodigen"), max_length=32, choices=NoInviteReason.choices, blank=True
    )
    synthetic = models.BooleanField(_("demogegevens"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-end_month", "reference"]
        verbose_name = _("casus")
        verbose_name_plural = _("casussen")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_month__gte=models.F("start_month")),
                name="case_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(no_invite=False) | ~models.Q(no_invite_reason=""),
                name="case_no_invite_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class Invitation(models.Model):
    """One respondent's single-use code for one case, stored only as a keyed hash."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="invitations")
    respondent = models.CharField(max_length=8, choices=Respondent.choices)
    code_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    # E-mail address or phone number, kept only until the reminder went out or the code was used.
    contact = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    used = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("uitnodiging")
        verbose_name_plural = _("uitnodigingen")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "respondent"], name="one_invitation_per_respondent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} ({self.get_respondent_display()})"


class SurveyDraft(models.Model):
    """Answers saved so far; after submit, waiting to be released as an anonymous answer.

    Submitted drafts are released together (feedback.survey.release_answers): many answers are
    written in one transaction in random order, so neither time, row order nor PostgreSQL's
    transaction ids tie an answer to the invitation that was burned when it was submitted.
    """

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="draft")
    answers = models.JSONField(default=dict)
    step = models.PositiveSmallIntegerField(default=0)
    submitted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"draft {self.pk}"


def _agreement(label: str) -> models.CharField:
    return models.CharField(label, max_length=4, choices=Agreement.choices, blank=True)


class SurveyResponse(models.Model):
    """One submitted answer: the case's categories and the answers, nothing that identifies."""

    class StoryStatus(models.TextChoices):
        """Where a consented story is in moderation."""

        NONE = "", _("Geen verhaal")
        PENDING = "pending", _("Wacht op controle")
        APPROVED = "approved", _("Mag gebruikt worden")
        REJECTED = "rejected", _("Niet gebruiken")

    # A random key: a counter would reveal the order in which answers came in.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    respondent = models.CharField(_("wie"), max_length=8, choices=Respondent.choices)
    period = models.CharField(_("maand van antwoord"), max_length=7, help_text="YYYY-MM")
    provider = models.ForeignKey(
        Provider, null=True, on_delete=models.SET_NULL, related_name="responses"
    )
    help_type = models.CharField(max_length=32, choices=HelpType.choices)
    end_reason = models.CharField(max_length=32, choices=EndReason.choices)
    district = models.CharField(max_length=32, choices=District.choices)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices)
    end_period = models.CharField(max_length=7, help_text="half-year of the end, e.g. 2026-H1")

    usefulness = models.PositiveSmallIntegerField(_("rapportcijfer"), null=True, blank=True)
    further_help = models.CharField(max_length=20, choices=FurtherHelp.choices, blank=True)
    goals_reached = models.CharField(max_length=4, choices=GoalsReached.choices, blank=True)
    problems_reduced = _agreement(_("problemen minder"))
    better_at_home = _agreement(_("beter thuis"))
    better_at_school = _agreement(_("beter op school of werk"))
    feels_safer = _agreement(_("veiliger"))
    taken_seriously = _agreement(_("serieus genomen"))
    decided_together = _agreement(_("samen besloten"))
    started_fast = _agreement(_("snel genoeg begonnen"))
    ended_right_moment = models.CharField(
        max_length=8, choices=EndedRightMoment.choices, blank=True
    )
    most_important_change = models.TextField(_("belangrijkste verandering"), blank=True)
    what_should_change = models.TextField(_("wat moet anders"), blank=True)
    consent_to_quote = models.BooleanField(_("verhaal mag anoniem gebruikt worden"), default=False)
    parent_consent = models.BooleanField(_("ouder vindt het ook goed"), default=False)
    story_status = models.CharField(
        _("verhaal"),
        max_length=10,
        choices=StoryStatus.choices,
        blank=True,
        default=StoryStatus.NONE,
    )
    # Only this text is ever published, never the two open answers above (feedback.stories).
    story_text = models.TextField(
        _("tekst voor de website"),
        blank=True,
        help_text=_("Haal namen, plaatsen, scholen en andere herkenbare dingen weg."),
    )
    # A key of feedback.indicators.INDICATORS; checked by the moderation form, not by choices,
    # so a renamed indicator label needs no migration.
    story_indicator = models.CharField(_("gaat over het cijfer"), max_length=40, blank=True)
    synthetic = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("antwoord")
        verbose_name_plural = _("antwoorden")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(usefulness__isnull=True)
                | models.Q(usefulness__gte=1, usefulness__lte=10),
                name="usefulness_is_a_mark",
            )
        ]
        indexes = [
            # Public pages look up approved stories (beside each indicator, on the story wall)
            # among a million answers: a small index over the approved ones only.
            models.Index(
                fields=["story_indicator", "end_period"],
                condition=models.Q(story_status="approved"),
                name="approved_story_idx",
            )
        ]
        permissions = [("moderate_story", "Can moderate consented stories")]

    def __str__(self) -> str:
        return f"{self.get_respondent_display()} {self.period}"


class SafeguardingFlag(models.Model):
    """An open answer that may signal danger, for the designated professionals to look at."""

    # A random key and a date, not a time: nothing here tells when the answer was submitted.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="flags")
    matched = models.CharField(_("herkende woorden"), max_length=300)
    sentiment = models.FloatField(_("toon van de tekst (-1 tot 1)"), null=True, blank=True)
    created_on = models.DateField(_("gemaakt op"), auto_now_add=True)
    handled_at = models.DateTimeField(_("bekeken op"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("notitie"), blank=True)

    class Meta:
        ordering = ["handled_at", "-created_on"]
        verbose_name = _("signaal")
        verbose_name_plural = _("signalen")

    def __str__(self) -> str:
        return self.matched

    def save(self, *args, **kwargs):
        """A note from a professional means the signal was looked at."""
        from django.utils import timezone

        if self.note and self.handled_at is None:
            self.handled_at = timezone.now()
        super().save(*args, **kwargs)

    @property
    @admin.display(description=_("open antwoorden"))
    def answer_texts(self) -> str:
        """The open answers that raised this signal."""
        return "\n\n".join(
            text
            for text in (self.response.most_important_change, self.response.what_should_change)
            if text
        )


class ResponseAggregate(models.Model):
    """How many answers had each value, kept after the raw answers passed their retention.

    `question` is a SurveyResponse field name, or "_responses" (answers in the cell) or
    "_invitations" (invitations sent for the cell's cases), so rates survive the purge too.
    """

    end_period = models.CharField(max_length=7, help_text="half-year of the end, e.g. 2026-H1")
    respondent = models.CharField(max_length=8, choices=Respondent.choices)
    help_type = models.CharField(max_length=32, choices=HelpType.choices)
    provider = models.ForeignKey(
        Provider, null=True, on_delete=models.SET_NULL, related_name="aggregates"
    )
    district = models.CharField(max_length=32, choices=District.choices)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices)
    synthetic = models.BooleanField(default=False)
    question = models.CharField(max_length=40)
    answer = models.CharField(max_length=20, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bewaard totaal")
        verbose_name_plural = _("bewaarde totalen")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "end_period",
                    "respondent",
                    "help_type",
                    "provider",
                    "district",
                    "age_band",
                    "synthetic",
                    "question",
                    "answer",
                ],
                name="one_aggregate_per_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.end_period} {self.question}={self.answer}: {self.count}"


class ActionStatus(models.TextChoices):
    """Where a "wij deden" action stands."""

    PLANNED = "planned", _("Gepland")
    IN_PROGRESS = "in_progress", _("Bezig")
    DONE = "done", _("Klaar")


class ActionQuerySet(models.QuerySet):
    """Actions by who may see them."""

    def published(self) -> ActionQuerySet:
        """Actions that everyone may read."""
        return self.filter(published=True)


class Action(models.Model):
    """What the municipality did with what it heard ("jullie zeiden, wij deden").

    An action cites the input that led to it: comments, poll results and indicators. The public
    page (feedback.views_actions) shows published actions per core task.
    """

    title = models.CharField(_("titel"), max_length=200)
    description = models.TextField(
        _("wat we doen"), help_text=_("Schrijf kort en in gewone woorden (B1).")
    )
    heard = models.TextField(
        _("wat we hoorden"),
        blank=True,
        help_text=_("Wat zeiden jongeren, ouders en partners? Schrijf het kort op."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    planned_on = models.DateField(_("gepland op"), null=True, blank=True)
    started_on = models.DateField(_("begonnen op"), null=True, blank=True)
    done_on = models.DateField(_("klaar op"), null=True, blank=True)
    core_tasks = models.ManyToManyField(
        "home.CoreTask", blank=True, related_name="actions", verbose_name=_("kernopgaven")
    )
    comments = models.ManyToManyField(
        "consultations.Comment",
        blank=True,
        related_name="actions",
        verbose_name=_("reacties"),
        help_text=_("De reacties uit de inspraak die tot deze actie leidden."),
    )
    poll_sessions = models.ManyToManyField(
        "youth_panel.PollSession",
        blank=True,
        related_name="actions",
        verbose_name=_("peilingen"),
        help_text=_("De peilingen waarvan de uitslag tot deze actie leidde."),
    )
    stories = models.ManyToManyField(
        "feedback.SurveyResponse",
        blank=True,
        related_name="actions",
        verbose_name=_("verhalen"),
        help_text=_("De verhalen die tot deze actie leidden. Alleen goedgekeurde verhalen."),
        limit_choices_to={"story_status": "approved"},
    )
    indicator_keys = models.JSONField(
        _("cijfers"),
        default=list,
        blank=True,
        help_text=_("De cijfers uit de vragenlijst die tot deze actie leidden."),
    )
    published = models.BooleanField(
        _("openbaar"),
        default=False,
        help_text=_("Alleen openbare acties staan op de pagina 'Wij deden'."),
    )
    first_published_at = models.DateTimeField(_("eerst openbaar op"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_on", "-created_at", "pk"]
        verbose_name = _("actie")
        verbose_name_plural = _("acties")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """Dates follow each other and fit the status; indicator keys must exist."""
        from django.core.exceptions import ValidationError

        from feedback.indicators import INDICATORS

        super().clean()
        errors: dict[str, list] = {}
        if self.planned_on and self.started_on and self.started_on < self.planned_on:
            errors.setdefault("started_on", []).append(_("Begonnen kan niet vóór gepland liggen."))
        if self.started_on and self.done_on and self.done_on < self.started_on:
            errors.setdefault("done_on", []).append(_("Klaar kan niet vóór begonnen liggen."))
        if self.planned_on and self.done_on and self.done_on < self.planned_on:
            errors.setdefault("done_on", []).append(_("Klaar kan niet vóór gepland liggen."))
        if self.done_on and self.status != ActionStatus.DONE:
            errors.setdefault("done_on", []).append(
                _("Een datum 'klaar op' past alleen bij de status 'Klaar'.")
            )
        if self.started_on and self.status == ActionStatus.PLANNED:
            errors.setdefault("started_on", []).append(
                _("Een datum 'begonnen op' past niet bij de status 'Gepland'.")
            )
        keys = self.indicator_keys
        if keys in (None, ""):
            self.indicator_keys = keys = []
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            errors.setdefault("indicator_keys", []).append(_("Kies cijfers uit de lijst."))
        else:
            unknown = [key for key in keys if key not in INDICATORS]
            if unknown:
                errors.setdefault("indicator_keys", []).append(
                    _("Deze cijfers bestaan niet: %(keys)s") % {"keys": ", ".join(unknown)}
                )
            elif len(set(keys)) != len(keys):
                errors.setdefault("indicator_keys", []).append(_("Kies elk cijfer maar één keer."))
        if errors:
            raise ValidationError(errors)


class ActionNotice(models.Model):
    """The author of a cited comment was mailed about this action (once per comment)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notices")
    comment = models.ForeignKey(
        "consultations.Comment", on_delete=models.CASCADE, related_name="action_notices"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bericht over een actie")
        verbose_name_plural = _("berichten over acties")
        constraints = [
            models.UniqueConstraint(fields=["action", "comment"], name="one_notice_per_comment")
        ]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.comment_id}"


class IndicatorTally(models.Model):
    """Pre-counted answers, cases and invitations per period and group, kept up to date as
    they arrive (feedback.tally), so dashboards sum a few thousand rows instead of scanning
    every answer. Holds exactly what the raw counting in feedback.indicators finds; a rebuild
    recomputes it from the raw rows (`manage.py rebuild_tallies`).

    `granularity` and `period`: "half_year" with the end half-year, or "quarter" with the quarter
    of the answer month (answers) or end month (cases). `scope`: 0 counts every provider, a
    provider's pk only that provider. `dim`/`value`: "overall" with "", or one split (help_type,
    district, age_band, provider) and its value ("" for an unknown provider). `respondent` is ""
    for case rows. `question`/`answer` as in ResponseAggregate. Counts only: no person, no text.
    """

    granularity = models.CharField(max_length=9)
    dim = models.CharField(max_length=12)
    scope = models.PositiveIntegerField(default=0)
    synthetic = models.BooleanField(default=False)
    period = models.CharField(max_length=7)
    value = models.CharField(max_length=32, blank=True)
    respondent = models.CharField(max_length=8, blank=True)
    question = models.CharField(max_length=40)
    answer = models.CharField(max_length=20, blank=True)
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("voorgeteld totaal")
        verbose_name_plural = _("voorgetelde totalen")
        constraints = [
            # Its index serves the dashboards' lookups: granularity, dim and scope first.
            models.UniqueConstraint(
                fields=[
                    "granularity",
                    "dim",
                    "scope",
                    "synthetic",
                    "period",
                    "value",
                    "respondent",
                    "question",
                    "answer",
                ],
                name="one_tally_per_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.granularity} {self.period} {self.dim}={self.value} {self.question}"


class StoryVote(models.Model):
    """One voter's pick for the story of a half-year, with why.

    Panel members and story moderators vote; a voter has one vote per half-year and may change
    it until staff publish the choice. Votes and reasons are never shown with a name.
    """

    half_year = models.CharField(_("half jaar"), max_length=7, help_text="e.g. 2026-H1")
    story = models.ForeignKey(
        SurveyResponse,
        on_delete=models.CASCADE,
        related_name="story_votes",
        verbose_name=_("verhaal"),
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="story_votes",
        verbose_name=_("gekozen door"),
    )
    why = models.TextField(_("waarom"), max_length=500)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("keuze voor het verhaal van het halfjaar")
        verbose_name_plural = _("keuzes voor het verhaal van het halfjaar")
        constraints = [
            models.UniqueConstraint(
                fields=["half_year", "voter"], name="one_story_vote_per_half_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.half_year}: {self.story_id}"


class StoryOfHalfYear(models.Model):
    """The story staff chose for a half-year after the panel's votes, with why.

    Public on the story wall once `published`; from then on the panel can no longer vote for
    that half-year.
    """

    half_year = models.CharField(_("half jaar"), max_length=7, unique=True)
    story = models.ForeignKey(
        SurveyResponse,
        on_delete=models.CASCADE,
        related_name="chosen_for",
        verbose_name=_("verhaal"),
    )
    why = models.TextField(_("waarom dit verhaal"))
    published = models.BooleanField(_("openbaar"), default=False)
    published_at = models.DateTimeField(_("openbaar sinds"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-half_year"]
        verbose_name = _("verhaal van het halfjaar")
        verbose_name_plural = _("verhalen van het halfjaar")

    def __str__(self) -> str:
        return self.half_year


class HalfYearReportQuerySet(models.QuerySet):
    """Half-year reports."""

    def published(self) -> HalfYearReportQuerySet:
        """Reports that anyone may read."""
        return self.filter(published=True)


class HalfYearReport(models.Model):
    """The half-year report: the figures come from feedback.publish, the words from staff.

    Staff write the summary, what they see in the figures and what it means for policy; the page
    (feedback.views_reports) adds the published figures of that half-year and the actions.
    """

    period = models.CharField(
        _("half jaar"),
        max_length=7,
        unique=True,
        help_text=_("Schrijf het zo: 2025-H2. Dat is de tweede helft van 2025."),
    )
    title = models.CharField(
        _("titel"),
        max_length=200,
        help_text=_("Bijvoorbeeld: Wat jongeren en ouders vonden van de hulp."),
    )
    summary = models.TextField(
        _("samenvatting"),
        help_text=_("Het belangrijkste in een paar korte zinnen. Schrijf in gewone woorden (B1)."),
    )
    analysis = models.TextField(
        _("wat zien we?"),
        help_text=_(
            "Wat laten de cijfers zien? Noem alleen cijfers die op de pagina staan. "
            "Begin een nieuwe alinea met een lege regel."
        ),
    )
    implications = models.TextField(
        _("wat betekent dit voor het beleid?"),
        help_text=_("Wat gaat de gemeente anders doen, of juist blijven doen? En waarom?"),
    )
    published = models.BooleanField(
        _("openbaar"),
        default=False,
        help_text=_("Alleen openbare rapporten staan op de site."),
    )
    published_at = models.DateTimeField(_("openbaar sinds"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HalfYearReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period"]
        verbose_name = _("halfjaarrapport")
        verbose_name_plural = _("halfjaarrapporten")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Stamp the moment the report first became public."""
        from django.utils import timezone

        if self.published and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """The period is a half-year such as 2025-H2."""
        import re

        from django.core.exceptions import ValidationError

        super().clean()
        if not re.fullmatch(r"\d{4}-H[12]", self.period or ""):
            raise ValidationError({"period": _("Schrijf het half jaar zo: 2025-H1 of 2025-H2.")})
