"""Consultation pages, draft versions with chapters and paragraphs, organisations and comments.

A draft text is stored as DraftVersion -> Chapter -> Paragraph. A comment points at the chapter
(and, when it is about one paragraph, the paragraph) of the version it was made on, so a later
version never moves or loses it.
"""

from __future__ import annotations

import datetime
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.contrib.routable_page.models import path as subpage
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from consultations import phases
from consultations.drafts import parse_draft
from consultations.phases import Phase
from home.blocks import INLINE_FEATURES
from home.models import CacheablePage

MAX_COMMENT_LENGTH = 5000
MAX_YOUTH_ANSWER_LENGTH = 2000


def _changes_soon(moments: list[datetime.datetime | None]) -> bool:
    """Whether a phase starts within the page cache's lifetime (a cached page would lie)."""
    now = phases.now()
    horizon = now + datetime.timedelta(seconds=settings.PAGE_CACHE_SECONDS)
    return any(moment is not None and now < moment <= horizon for moment in moments)


class ConsultationIndexPage(CacheablePage):
    """The list of consultations (inspraak): open ones first, then announced, then past."""

    intro = RichTextField(_("inleiding"), features=INLINE_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["consultations.ConsultationPage"]
    max_count = 1

    class Meta:
        verbose_name = _("overzicht inspraak")

    def consultations(self) -> list[ConsultationPage]:
        """The live consultations below this page that page privacy hides from nobody."""
        pages = ConsultationPage.objects.live().public().child_of(self)
        return list(pages.order_by("-opens_at", "-pk"))

    def get_context(self, request, *args, **kwargs):
        """Add the consultations grouped by their current phase."""
        context = super().get_context(request, *args, **kwargs)
        groups: dict[str, list[ConsultationPage]] = {phase: [] for phase in phases.ORDER}
        for consultation in self.consultations():
            groups[consultation.phase].append(consultation)
        context["phase_groups"] = [
            (Phase(phase), groups[phase])
            for phase in (Phase.OPEN, Phase.ANNOUNCED, Phase.CLOSED, Phase.ANSWERED)
            if groups[phase]
        ]
        return context

    def serve(self, request, *args, **kwargs):
        """Skip the page cache when a listed consultation changes phase soon."""
        self.page_cache = not any(
            _changes_soon([c.opens_at, c.closes_at, c.answered_at]) for c in self.consultations()
        )
        return super().serve(request, *args, **kwargs)


class ConsultationPageForm(WagtailAdminPageForm):
    """The page editor: a youth question that young people already answered stays."""

    def clean(self):
        cleaned = super().clean()
        questions = self.formsets.get("youth_questions")
        if questions is not None:
            for form in questions.deleted_forms:
                if form.instance.pk and form.instance.answers.exists():
                    self.add_error(
                        None,
                        _(
                            "De vraag '%(question)s' heeft al antwoorden. Daarom kun je hem "
                            "niet weghalen."
                        )
                        % {"question": form.instance.text},
                    )
        return cleaned


class ConsultationPageQuerySet(PageQuerySet):
    """Consultation pages by phase."""

    def open_at(self, when: datetime.datetime) -> ConsultationPageQuerySet:
        """Consultations that take comments at `when`."""
        return self.filter(opens_at__lte=when, closes_at__gt=when).exclude(answered_at__lte=when)


ConsultationPageManager = PageManager.from_queryset(ConsultationPageQuerySet)


class ConsultationPage(RoutablePageMixin, CacheablePage):
    """One consultation round: what it is about, who is asked, its phases and its draft text.

    Sub-pages (consultations.views): the response report at nota/, the versions at versies/,
    the participation trail at verloop/ and the youth round's question set at vragen/.
    """

    class Audience(models.TextChoices):
        """Who is asked."""

        YOUTH_PANEL = "youth_panel", _("Jongerenpanel")
        STAKEHOLDERS = "stakeholders", _("Partners en organisaties")
        EVERYONE = "everyone", _("Iedereen")

    class Moderation(models.TextChoices):
        """When moderators look at a comment."""

        BEFORE = "before", _("Eerst controleren, dan tonen")
        AFTER = "after", _("Meteen tonen, daarna controleren")

    summary = models.TextField(_("samenvatting"), help_text=_("Een of twee korte zinnen (B1)."))
    intro = RichTextField(_("uitleg"), features=INLINE_FEATURES, blank=True)
    audience = models.CharField(
        _("voor wie"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    core_tasks = ParentalManyToManyField(
        "home.CoreTask", blank=True, related_name="consultations", verbose_name=_("kernopgaven")
    )
    opens_at = models.DateTimeField(_("reageren kan vanaf"))
    closes_at = models.DateTimeField(_("reageren kan tot"))
    answered_at = models.DateTimeField(
        _("antwoorden klaar op"),
        null=True,
        blank=True,
        help_text=_("Vanaf dit moment staat de inspraak op 'beantwoord'. Leeg: nog niet bekend."),
    )
    moderation = models.CharField(
        _("controle van reacties"),
        max_length=10,
        choices=Moderation.choices,
        default=Moderation.BEFORE,
    )
    draft_text = models.TextField(
        _("concepttekst"),
        blank=True,
        help_text=_(
            "Plak hier de tekst. Begin elk hoofdstuk met een regel die met # begint, "
            "bijvoorbeeld: # 7. Een sterke sociale basis. Zet een lege regel tussen twee "
            "alinea's. De alinea's krijgen vanzelf een nummer, zoals 7.1 en 7.2. "
            "Publiceer je een veranderde tekst? Dan wordt dat een nieuwe versie. "
            "Reacties op de oude versie blijven bewaard."
        ),
    )

    objects = ConsultationPageManager()
    base_form_class = ConsultationPageForm

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("audience", widget=forms.RadioSelect),
        FieldPanel("core_tasks", widget=forms.CheckboxSelectMultiple),
        MultiFieldPanel(
            [FieldPanel("opens_at"), FieldPanel("closes_at"), FieldPanel("answered_at")],
            heading=_("Fasen"),
        ),
        FieldPanel("moderation", widget=forms.RadioSelect),
        FieldPanel("draft_text"),
        InlinePanel(
            "youth_questions",
            heading=_("Vragen voor jongeren"),
            label=_("Vraag"),
            help_text=_(
                "Jongeren beantwoorden deze vragen op hun telefoon, zonder account of als lid "
                "van het jongerenpanel. Geen vragen: dan is er geen vragenlijst. "
                "Haal geen vraag weg als er al antwoorden zijn: dan zijn die antwoorden weg."
            ),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("draft_text"),
        index.FilterField("opens_at"),
    ]
    parent_page_types = ["consultations.ConsultationIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("inspraak")
        verbose_name_plural = _("inspraak")

    def clean(self) -> None:
        """Phases must follow each other; the draft text must be readable."""
        super().clean()
        errors: dict[str, list] = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = [_("Het einde moet na het begin liggen.")]
        if self.answered_at and self.closes_at and self.answered_at < self.closes_at:
            errors["answered_at"] = [_("De antwoorden komen na het einde van de inspraak.")]
        try:
            parse_draft(self.draft_text)
        except ValidationError as exc:
            errors["draft_text"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def phase_at(self, when: datetime.datetime) -> Phase:
        """The phase at `when`."""
        return phases.phase_at(when, self.opens_at, self.closes_at, self.answered_at)

    @property
    def phase(self) -> Phase:
        """The phase now."""
        return self.phase_at(phases.now())

    def allows(self, action: str) -> bool:
        """Whether the current phase allows `action` (see consultations.phases)."""
        return phases.allows(self.phase, action)

    @property
    def phase_explanation(self) -> str:
        """What the current phase means for a reader, in plain words."""
        return phases.EXPLANATION[self.phase]

    @property
    def announced_at(self) -> datetime.datetime | None:
        """When readers could first see the round: its first publication, or the opening date
        when it was published after that (then it was never announced before it opened)."""
        if self.first_published_at is None:
            return None
        return min(self.first_published_at, self.opens_at)

    def phase_steps(self) -> list[dict]:
        """The four phases with their start dates, marking the current one and past ones."""
        current = self.phase
        position = phases.ORDER.index(current)
        starts = [self.announced_at, self.opens_at, self.closes_at, self.answered_at]
        return [
            {
                "phase": phase,
                "label": phase.label,
                "starts_at": start,
                "current": phase == current,
                "past": index < position,
            }
            for index, (phase, start) in enumerate(zip(phases.ORDER, starts, strict=True))
        ]

    @property
    def takes_draft_comments(self) -> bool:
        """Organisations comment on the draft unless the round is for the youth panel only."""
        return self.audience != self.Audience.YOUTH_PANEL

    def youth_question_list(self) -> list[YouthQuestion]:
        """The youth round's questions in their order; empty when there is no youth round."""
        return list(self.youth_questions.order_by("sort_order", "pk"))

    @property
    def has_youth_round(self) -> bool:
        """Whether young people get a question set in this consultation."""
        return self.youth_questions.exists()

    def current_version(self) -> DraftVersion | None:
        """The newest published version of the draft text."""
        return self.versions.order_by("-number").first()

    def get_context(self, request, *args, **kwargs):
        """Add the draft text, the comments each reader may see, and the comment forms."""
        from consultations.views import consultation_context

        context = super().get_context(request, *args, **kwargs)
        context.update(consultation_context(request, self))
        return context

    def serve(self, request, *args, **kwargs):
        """Skip the page cache when the phase changes soon."""
        self.page_cache = not _changes_soon([self.opens_at, self.closes_at, self.answered_at])
        return super().serve(request, *args, **kwargs)

    def subpage_url(self, name: str, *args) -> str:
        """The URL of one of this page's sub-pages, such as "report"."""
        base = self.url or "/"
        if not base.endswith("/"):
            base += "/"
        return base + self.reverse_subpage(name, args=args).lstrip("/")

    @subpage("nota/", name="report")
    def report_page(self, request):
        """The response report (nota van beantwoording)."""
        from consultations.views import report

        return report(request, self)

    @subpage("versies/", name="versions")
    def versions_page(self, request):
        """What changed in the newest version."""
        from consultations.views import versions

        return versions(request, self)

    @subpage("versies/<int:old>-<int:new>/", name="compare")
    def compare_page(self, request, old: int, new: int):
        """What changed between two versions."""
        from consultations.views import versions

        return versions(request, self, old, new)

    @subpage("vragen/", name="questions")
    def questions_page(self, request):
        """The youth round's question set, answered on a phone; never cached."""
        from consultations.views import questions

        return questions(request, self)

    @subpage("verloop/", name="trail")
    def trail_page(self, request):
        """The participation trail: rounds, who took part, what came in, what was done."""
        from consultations.views import trail

        return trail(request, self)


class DraftVersion(models.Model):
    """One published version of a consultation's draft text."""

    consultation = models.ForeignKey(
        ConsultationPage, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("versie"))
    source_text = models.TextField(_("tekst zoals geplakt"))
    published_at = models.DateTimeField(_("gepubliceerd op"))

    class Meta:
        ordering = ["consultation", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "number"], name="one_number_per_draft_version"
            )
        ]
        verbose_name = _("versie van de concepttekst")
        verbose_name_plural = _("versies van de concepttekst")

    def __str__(self) -> str:
        return _("versie %(number)s") % {"number": self.number}


class Chapter(models.Model):
    """A chapter of one version of the draft text."""

    version = models.ForeignKey(DraftVersion, on_delete=models.CASCADE, related_name="chapters")
    number = models.PositiveSmallIntegerField(_("nummer"))
    title = models.CharField(_("titel"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="one_number_per_chapter")
        ]
        verbose_name = _("hoofdstuk")
        verbose_name_plural = _("hoofdstukken")

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def anchor(self) -> str:
        """The id of this chapter on the consultation page."""
        return f"hoofdstuk-{self.number}"


class Paragraph(models.Model):
    """A numbered paragraph of a chapter (7.3 is paragraph 3 of chapter 7)."""

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="paragraphs")
    number = models.PositiveSmallIntegerField(_("nummer"))
    text = models.TextField(_("tekst"))

    class Meta:
        ordering = ["chapter", "number"]
        constraints = [
            models.UniqueConstraint(fields=["chapter", "number"], name="one_number_per_paragraph")
        ]
        verbose_name = _("alinea")
        verbose_name_plural = _("alinea's")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The paragraph number as readers cite it, such as 7.3."""
        return f"{self.chapter.number}.{self.number}"

    @property
    def anchor(self) -> str:
        """The id of this paragraph on the consultation page."""
        return f"alinea-{self.chapter.number}-{self.number}"


class Organisation(models.Model):
    """An organisation on whose behalf stakeholders comment."""

    class Kind(models.TextChoices):
        """Kinds of organisation, for counts in reports."""

        CARE_PROVIDER = "care_provider", _("Zorgaanbieder")
        SCHOOL = "school", _("School")
        GGD = "ggd", _("GGD")
        YOUTH_WORK = "youth_work", _("Jongerenwerk")
        ADVISORY_COUNCIL = "advisory_council", _("Adviesraad")
        OTHER = "other", _("Anders")

    name = models.CharField(_("naam"), max_length=200, unique=True)
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user works for an organisation; they may comment for it once staff confirm this."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="organisation_memberships",
        verbose_name=_("gebruiker"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisatie"),
    )
    requested_at = models.DateTimeField(_("aangevraagd op"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bevestigd door"),
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_organisation"
            )
        ]
        verbose_name = _("lidmaatschap")
        verbose_name_plural = _("lidmaatschappen")

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation}"

    @property
    def is_confirmed(self) -> bool:
        """Whether staff confirmed this membership."""
        return self.confirmed_at is not None


class CommentQuerySet(models.QuerySet):
    """Comments by who may see them."""

    def public(self) -> CommentQuerySet:
        """Comments that everyone may read."""
        return self.filter(visibility=Comment.Visibility.PUBLIC, status=Comment.Status.PUBLISHED)


class Comment(models.Model):
    """A comment on a chapter or paragraph of a draft version, on behalf of an organisation.

    The staff answer lives on the comment: there is exactly one per comment.
    """

    class Visibility(models.TextChoices):
        """Who may read the comment."""

        PUBLIC = "public", _("Iedereen mag het lezen")
        STAFF_ONLY = "staff_only", _("Alleen de gemeente mag het lezen")

    class Status(models.TextChoices):
        """Moderation."""

        PENDING = "pending", _("Wacht op controle")
        PUBLISHED = "published", _("Zichtbaar")
        HIDDEN = "hidden", _("Verborgen door moderator")

    class Outcome(models.TextChoices):
        """What the municipality did with the comment."""

        TAKEN_OVER = "taken_over", _("Overgenomen")
        PARTLY = "partly", _("Deels overgenomen")
        NOT_TAKEN_OVER = "not_taken_over", _("Niet overgenomen")
        NOTED = "noted", _("Voor kennisgeving aangenomen")

    consultation = models.ForeignKey(
        ConsultationPage,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("inspraak"),
    )
    version = models.ForeignKey(
        DraftVersion, on_delete=models.CASCADE, related_name="comments", verbose_name=_("versie")
    )
    chapter = models.ForeignKey(
        Chapter, on_delete=models.CASCADE, related_name="comments", verbose_name=_("hoofdstuk")
    )
    paragraph = models.ForeignKey(
        Paragraph,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("alinea"),
        help_text=_("Leeg: de reactie gaat over het hele hoofdstuk."),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="comments",
        verbose_name=_("organisatie"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultation_comments",
        verbose_name=_("schrijver"),
    )
    text = models.TextField(_("reactie"))
    visibility = models.CharField(
        _("wie mag het lezen"),
        max_length=12,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
    )
    status = models.CharField(
        _("controle"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # Made when the form is shown: a second post of the same form finds the first comment.
    submission_token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("geplaatst op"), auto_now_add=True)

    answer_outcome = models.CharField(
        _("wat doet de gemeente ermee"), max_length=16, choices=Outcome.choices, blank=True
    )
    answer_reasoning = models.TextField(_("antwoord en uitleg"), blank=True)
    answer_text_change = models.TextField(
        _("verandering in de tekst"),
        blank=True,
        help_text=_("Welke tekst is veranderd door deze reactie? Leeg als er niets veranderde."),
    )
    answered_at = models.DateTimeField(_("beantwoord op"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beantwoord door"),
    )
    author_notified_at = models.DateTimeField(_("schrijver gemaild op"), null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        permissions = [
            ("moderate_comment", _("Mag reacties controleren")),
            ("answer_comment", _("Mag reacties beantwoorden")),
        ]
        verbose_name = _("reactie")
        verbose_name_plural = _("reacties")

    def __str__(self) -> str:
        return f"{self.target_label} – {self.organisation}: {self.text[:60]}"

    @property
    def target_label(self) -> str:
        """What the comment is about: "7.3" or "hoofdstuk 7"."""
        if self.paragraph_id:
            return self.paragraph.label
        return _("hoofdstuk %(number)s") % {"number": self.chapter.number}

    @property
    def is_public(self) -> bool:
        """Whether everyone may read this comment now."""
        return self.visibility == self.Visibility.PUBLIC and self.status == self.Status.PUBLISHED

    @property
    def is_answered(self) -> bool:
        """Whether staff gave an answer."""
        return bool(self.answer_outcome)


class Flag(models.Model):
    """A signed-in reader thinks a comment should not be there (once per reader)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comment_flags"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="one_flag_per_user")
        ]
        verbose_name = _("melding")
        verbose_name_plural = _("meldingen")

    def __str__(self) -> str:
        return f"{self.comment_id}: {self.user_id}"


class ArrivalCount(models.Model):
    """How many visits arrived on one day through one poster channel (a short URL /k/...).

    Only a number per day, target and channel: no cookie, no IP address, nothing about a person.
    """

    class TargetKind(models.TextChoices):
        """What the short URL leads to."""

        CONSULTATION = "consultation", _("Inspraak")
        POLL = "poll", _("Peiling")

    class Channel(models.TextChoices):
        """Where the poster or link hangs; the value is the tag in the short URL."""

        SCHOOL = "school", _("School")
        BUS_SHELTER = "bushokje", _("Bushokje")
        BANNER = "spandoek", _("Spandoek")
        SOCIAL = "social", _("Social media")
        CJG = "cjg", _("CJG")
        OTHER = "anders", _("Anders")

    date = models.DateField(_("datum"))
    target_kind = models.CharField(_("soort"), max_length=20, choices=TargetKind.choices)
    target_id = models.PositiveBigIntegerField(_("nummer"))
    channel = models.CharField(_("kanaal"), max_length=20, choices=Channel.choices)
    count = models.PositiveIntegerField(_("aantal"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["date", "target_kind", "target_id", "channel"],
                name="one_arrival_count_per_day_target_channel",
            )
        ]
        verbose_name = _("aantal bezoeken via een kanaal")
        verbose_name_plural = _("aantallen bezoeken via een kanaal")

    def __str__(self) -> str:
        return f"{self.date} {self.target_kind} {self.target_id} {self.channel}: {self.count}"


# Youth rounds: one question set per consultation, kept as questions on the page itself.
# A consultation without questions has no youth round; a second round is a second consultation.


class YouthQuestion(Orderable):
    """One question of a consultation's youth round, edited in the page editor."""

    class Kind(models.TextChoices):
        """The kinds of question."""

        OPEN = "open", _("Open vraag")
        SINGLE = "single", _("Eén keuze")
        MULTIPLE = "multiple", _("Meer keuzes")
        SCALE = "scale", _("Schaal 1 tot 5")
        STORY = "story", _("Vertel je verhaal")

    CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)
    MAX_OPTION_LENGTH = 200

    page = ParentalKey(ConsultationPage, on_delete=models.CASCADE, related_name="youth_questions")
    text = models.CharField(_("vraag"), max_length=300)
    explanation = models.CharField(
        _("uitleg bij de vraag"),
        max_length=300,
        blank=True,
        help_text=_("Kort. Bijvoorbeeld bij een schaal: 1 is helemaal niet, 5 is heel erg."),
    )
    kind = models.CharField(_("soort vraag"), max_length=10, choices=Kind.choices)
    options_text = models.TextField(
        _("antwoorden"),
        blank=True,
        help_text=_("Eén antwoord per regel. Alleen bij één keuze en meer keuzes."),
    )
    max_choices = models.PositiveSmallIntegerField(
        _("hoeveel keuzes mag je maken"), default=2, help_text=_("Alleen bij meer keuzes.")
    )
    required = models.BooleanField(
        _("verplicht"),
        default=False,
        help_text=_("Aan: de vraag moet beantwoord worden. Uit: je mag hem overslaan."),
    )

    panels = [
        FieldPanel("text"),
        FieldPanel("kind"),
        FieldPanel("explanation"),
        FieldPanel("options_text"),
        FieldPanel("max_choices"),
        FieldPanel("required"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("vraag voor jongeren")
        verbose_name_plural = _("vragen voor jongeren")

    def __str__(self) -> str:
        return self.text

    def options(self) -> list[str]:
        """The answers to choose from, one per line of options_text."""
        return [line.strip() for line in self.options_text.splitlines() if line.strip()]

    def clean(self) -> None:
        """Choice questions need at least two answers, each short enough to store."""
        super().clean()
        if self.kind in self.CHOICE_KINDS:
            options = self.options()
            if len(options) < 2:
                raise ValidationError(
                    {"options_text": _("Zet minstens twee antwoorden neer, één per regel.")}
                )
            if len(set(options)) < len(options):
                raise ValidationError(
                    {"options_text": _("Elk antwoord mag er maar één keer staan.")}
                )
            if any(len(option) > self.MAX_OPTION_LENGTH for option in options):
                raise ValidationError(
                    {
                        "options_text": _("Een antwoord mag hoogstens %(max)s tekens zijn.")
                        % {"max": self.MAX_OPTION_LENGTH}
                    }
                )
        if self.kind == self.Kind.MULTIPLE and not 1 <= self.max_choices <= len(self.options()):
            raise ValidationError(
                {"max_choices": _("Kies een getal van 1 tot het aantal antwoorden.")}
            )


class YouthResponse(models.Model):
    """One filled-in question set. Nothing about who sent it: no user, no age, no time of day.

    The id is random, so the order of rows says nothing about the order of arrival either.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultation = models.ForeignKey(
        ConsultationPage,
        on_delete=models.CASCADE,
        related_name="youth_responses",
        verbose_name=_("inspraak"),
    )
    submitted_on = models.DateField(_("ingevuld op"))
    # Made when the form is shown: a second post of the same form finds the first response.
    submission_token = models.UUIDField(unique=True, editable=False)

    class Meta:
        permissions = [
            ("view_youth_results", _("Mag de uitslag van de vragen voor jongeren zien")),
        ]
        verbose_name = _("ingevulde vragenlijst")
        verbose_name_plural = _("ingevulde vragenlijsten")

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.submitted_on}"


class YouthAnswer(models.Model):
    """The answer to one question in one response (a multiple-choice answer is one row per
    chosen answer)."""

    class StoryStatus(models.TextChoices):
        """Whether a story may be shown: only with consent, and only after moderation."""

        NONE = "", _("Geen verhaal om te tonen")
        PENDING = "pending", _("Wacht op controle")
        PUBLISHED = "published", _("Zichtbaar")
        HIDDEN = "hidden", _("Verborgen door moderator")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(YouthResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(YouthQuestion, on_delete=models.CASCADE, related_name="answers")
    choice = models.CharField(_("gekozen antwoord"), max_length=200, blank=True)
    number = models.PositiveSmallIntegerField(_("cijfer op de schaal"), null=True, blank=True)
    text = models.TextField(_("tekst"), blank=True)
    story_consent = models.BooleanField(_("verhaal mag anoniem gebruikt worden"), default=False)
    story_status = models.CharField(
        _("controle van het verhaal"),
        max_length=10,
        choices=StoryStatus.choices,
        default=StoryStatus.NONE,
        blank=True,
    )

    class Meta:
        verbose_name = _("antwoord van een jongere")
        verbose_name_plural = _("antwoorden van jongeren")

    def __str__(self) -> str:
        return f"{self.question_id}: {self.choice or self.number or self.text[:40]}"


class YouthParticipation(models.Model):
    """A panel member filled in a consultation's question set: that they did, never what.

    The unique constraint makes it once per member, even when posts arrive at the same moment.
    Only the day is stored, so that it cannot be matched to a response by its time.
    """

    consultation = models.ForeignKey(
        ConsultationPage,
        on_delete=models.CASCADE,
        related_name="youth_participations",
        verbose_name=_("inspraak"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="youth_round_participations",
        verbose_name=_("account"),
    )
    took_part_on = models.DateField(_("meegedaan op"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "user"], name="one_youth_response_per_member"
            )
        ]
        verbose_name = _("deelname aan vragen voor jongeren")
        verbose_name_plural = _("deelnames aan vragen voor jongeren")

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.user_id}"
