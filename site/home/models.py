"""Wagtail pages and snippets of the public site: home, the vision, glossary, trail, updates."""

from __future__ import annotations

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from config.pagecache import mark_request_cacheable
from home.blocks import (
    INLINE_FEATURES,
    RICH_TEXT_FEATURES,
    BaseStreamBlock,
    ChapterStreamBlock,
    CoreTaskStreamBlock,
    CoreValueBlock,
    PrincipleBlock,
    SectionBlock,
    StepBlock,
)


class CoreTask(index.Indexed, models.Model):
    """One of the four core tasks (kernopgaven); input and updates are tagged with it."""

    number = models.PositiveSmallIntegerField(_("nummer"), unique=True)
    title = models.CharField(_("titel"), max_length=200)
    short_title = models.CharField(_("korte titel"), max_length=80)
    slug = models.SlugField(_("slug"), unique=True)

    panels = [
        FieldPanel("number"),
        FieldPanel("title"),
        FieldPanel("short_title"),
        FieldPanel("slug"),
    ]
    search_fields = [index.SearchField("title"), index.AutocompleteField("short_title")]

    class Meta:
        ordering = ["number"]
        verbose_name = _("kernopgave")
        verbose_name_plural = _("kernopgaven")

    def __str__(self) -> str:
        return f"{self.number}. {self.short_title}"

    @property
    def page(self) -> CoreTaskPage | None:
        """The live chapter page that describes this core task."""
        return CoreTaskPage.objects.live().filter(core_task=self).first()


class GlossaryTerm(index.Indexed, models.Model):
    """A term from the glossary (Begrippenlijst) that pages and rich text link to."""

    term = models.CharField(_("begrip"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    definition = RichTextField(_("uitleg"), features=[*INLINE_FEATURES, "ol", "ul"])
    also_matches = models.CharField(
        _("ook herkennen als"),
        max_length=300,
        blank=True,
        help_text=_("Andere schrijfwijzen, gescheiden door komma's. Bijvoorbeeld: CJG"),
    )

    panels = [
        FieldPanel("term"),
        FieldPanel("slug"),
        FieldPanel("definition"),
        FieldPanel("also_matches"),
    ]
    search_fields = [
        index.SearchField("term", boost=3),
        index.AutocompleteField("term"),
        index.SearchField("definition"),
    ]

    class Meta:
        ordering = [Lower("term")]
        verbose_name = _("begrip")
        verbose_name_plural = _("begrippen")

    def __str__(self) -> str:
        return self.term

    def get_absolute_url(self) -> str:
        """The term on the live glossary page, or an empty string when there is none."""
        glossary = GlossaryPage.objects.live().first()
        return f"{glossary.url}#{self.anchor}" if glossary else ""

    @property
    def anchor(self) -> str:
        """The id of this term on the glossary page."""
        return f"begrip-{self.slug}"


class CacheablePage(Page):
    """A page that anonymous visitors get from the page cache (see config/pagecache.py)."""

    page_cache = True

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        """Serve the page and mark it cacheable unless it is private or opted out."""
        if self.page_cache and not self.get_view_restrictions().exists():
            mark_request_cacheable(request)
        return super().serve(request, *args, **kwargs)


class HomePage(CacheablePage):
    """The start page: what Jeugdstem is, the way into the vision and the latest updates."""

    intro = RichTextField(_("inleiding"), features=INLINE_FEATURES, blank=True)
    body = StreamField(BaseStreamBlock(), blank=True, verbose_name=_("inhoud"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "home.VisionPage",
        "home.UpdateIndexPage",
        "home.StandardPage",
        "consultations.ConsultationIndexPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("startpagina")

    def get_context(self, request, *args, **kwargs):
        """Add the vision, the core tasks and the three latest updates."""
        context = super().get_context(request, *args, **kwargs)
        context["vision"] = VisionPage.objects.live().descendant_of(self).first()
        context["core_tasks"] = (
            CoreTaskPage.objects.live()
            .descendant_of(self)
            .select_related("core_task")
            .order_by("number")
        )
        context["latest_updates"] = (
            UpdatePage.objects.live().descendant_of(self).order_by("-date", "-pk")[:3]
        )
        return context


class StandardPage(CacheablePage):
    """A plain content page (about, privacy, accessibility statement)."""

    summary = models.TextField(_("samenvatting"), blank=True)
    body = StreamField(BaseStreamBlock(), verbose_name=_("inhoud"))

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = ["home.StandardPage"]

    class Meta:
        verbose_name = _("gewone pagina")


class VisionPage(CacheablePage):
    """The policy vision: foreword, executive summary, mission, core values, leading principles."""

    summary = models.TextField(_("samenvatting"), help_text=_("Een of twee korte zinnen (B1)."))
    foreword = RichTextField(_("voorwoord"), features=RICH_TEXT_FEATURES, blank=True)
    foreword_signed_by = models.CharField(_("ondertekend door"), max_length=200, blank=True)
    executive_summary = StreamField(
        [("section", SectionBlock())], blank=True, verbose_name=_("bestuurssamenvatting")
    )
    mission = RichTextField(_("missie"), features=RICH_TEXT_FEATURES, blank=True)
    core_values = StreamField(
        [("core_value", CoreValueBlock())], blank=True, verbose_name=_("kernwaarden")
    )
    leading_principles = StreamField(
        [("principle", PrincipleBlock())], blank=True, verbose_name=_("leidende principes")
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldPanel("foreword"), FieldPanel("foreword_signed_by")], heading=_("Voorwoord")
        ),
        FieldPanel("executive_summary"),
        FieldPanel("mission"),
        FieldPanel("core_values"),
        FieldPanel("leading_principles"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("foreword"),
        index.SearchField("executive_summary"),
        index.SearchField("mission"),
        index.SearchField("core_values"),
        index.SearchField("leading_principles"),
    ]
    parent_page_types = ["home.HomePage"]
    subpage_types = [
        "home.ChapterPage",
        "home.CoreTaskPage",
        "home.GlossaryPage",
        "home.ParticipationTrailPage",
    ]
    max_count = 1

    class Meta:
        verbose_name = _("visie")

    def get_context(self, request, *args, **kwargs):
        """Add the chapters in their order, as the table of contents."""
        context = super().get_context(request, *args, **kwargs)
        context["chapters"] = self.get_children().live().specific()
        return context


class ChapterBase(CacheablePage):
    """What every chapter of the vision has: a number, a short summary, notes."""

    number = models.PositiveSmallIntegerField(_("hoofdstuknummer"), null=True, blank=True)
    summary = models.TextField(_("samenvatting"), help_text=_("Een of twee korte zinnen (B1)."))
    intro = RichTextField(_("inleiding"), features=RICH_TEXT_FEATURES, blank=True)
    notes = StreamField(
        [("note", blocks.RichTextBlock(features=INLINE_FEATURES, label=_("Voetnoot")))],
        blank=True,
        verbose_name=_("bronnen en voetnoten"),
    )

    parent_page_types = ["home.VisionPage"]
    subpage_types: list[str] = []
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("intro"),
        index.FilterField("number"),
    ]

    class Meta:
        abstract = True

    def get_context(self, request, *args, **kwargs):
        """Add the previous and next chapter for the chapter navigation."""
        context = super().get_context(request, *args, **kwargs)
        siblings = list(self.get_siblings().live().specific())
        position = next(i for i, page in enumerate(siblings) if page.pk == self.pk)
        context["previous_chapter"] = siblings[position - 1] if position > 0 else None
        context["next_chapter"] = siblings[position + 1] if position + 1 < len(siblings) else None
        context["vision"] = self.get_parent().specific
        return context


class ChapterPage(ChapterBase):
    """A chapter of the vision (introduction, mission, context, figures, ...)."""

    body = StreamField(ChapterStreamBlock(), blank=True, verbose_name=_("inhoud"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("number"),
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("notes"),
    ]
    search_fields = [*ChapterBase.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("hoofdstuk")


class CoreTaskPage(ChapterBase):
    """A core-task chapter, structured as understanding, goals and lettered activities."""

    core_task = models.OneToOneField(
        CoreTask,
        on_delete=models.PROTECT,
        related_name="chapter",
        verbose_name=_("kernopgave"),
    )
    body = StreamField(CoreTaskStreamBlock(), blank=True, verbose_name=_("inhoud"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("number"),
        FieldPanel("core_task"),
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("notes"),
    ]
    search_fields = [*ChapterBase.search_fields, index.SearchField("body")]

    class Meta:
        verbose_name = _("hoofdstuk kernopgave")

    def activities(self) -> list:
        """Every activity item of the chapter, in order."""
        return [
            item
            for block in self.body
            if block.block_type == "activities"
            for item in block.value["items"]
        ]


class GlossaryPage(ChapterBase):
    """The glossary (Bijlage 1): every GlossaryTerm snippet, alphabetically, with anchors."""

    content_panels = [
        *Page.content_panels,
        FieldPanel("number"),
        FieldPanel("summary"),
        FieldPanel("intro"),
    ]
    max_count = 1

    class Meta:
        verbose_name = _("begrippenlijst")

    def get_context(self, request, *args, **kwargs):
        """Add the terms grouped by first letter."""
        context = super().get_context(request, *args, **kwargs)
        groups: dict[str, list[GlossaryTerm]] = {}
        for term in GlossaryTerm.objects.all():
            groups.setdefault(term.term[:1].upper(), []).append(term)
        context["term_groups"] = sorted(groups.items())
        return context


class ParticipationTrailPage(ChapterBase):
    """The participation trail (Bijlage 2): who was asked what, and when."""

    steps = StreamField([("step", StepBlock())], blank=True, verbose_name=_("stappen"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("number"),
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("steps"),
    ]
    search_fields = [*ChapterBase.search_fields, index.SearchField("steps")]

    class Meta:
        verbose_name = _("participatietraject")


class UpdateIndexPage(CacheablePage):
    """The list of updates that policy staff publish, newest first, filterable by core task."""

    intro = RichTextField(_("inleiding"), features=INLINE_FEATURES, blank=True)
    per_page = 10

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.UpdatePage"]
    max_count = 1

    class Meta:
        verbose_name = _("overzicht nieuws")

    def get_context(self, request, *args, **kwargs):
        """Add one page of updates, optionally only those about one core task."""
        context = super().get_context(request, *args, **kwargs)
        updates = UpdatePage.objects.live().child_of(self).order_by("-date", "-pk")
        selected = request.GET.get("kernopgave", "")
        core_tasks = CoreTask.objects.all()
        if selected:
            updates = updates.filter(core_tasks__slug=selected)
        paginator = Paginator(updates.prefetch_related("core_tasks"), self.per_page)
        try:
            page_obj = paginator.page(request.GET.get("pagina", 1))
        except (PageNotAnInteger, EmptyPage):
            page_obj = paginator.page(1)
        context.update(page_obj=page_obj, core_tasks=core_tasks, selected_core_task=selected)
        return context


class UpdatePage(CacheablePage):
    """An update from the municipality: what happened, what was done with what people said."""

    date = models.DateField(_("datum"), default=timezone.localdate)
    summary = models.TextField(_("samenvatting"), help_text=_("Een of twee korte zinnen (B1)."))
    body = StreamField(BaseStreamBlock(), verbose_name=_("inhoud"))
    core_tasks = ParentalManyToManyField(
        CoreTask, blank=True, related_name="updates", verbose_name=_("kernopgaven")
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("core_tasks", widget=forms.CheckboxSelectMultiple),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["home.UpdateIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("nieuwsbericht")


class SeedRecord(models.Model):
    """What `seed_demo` last imported for a piece of content, so a re-run changes nothing."""

    key = models.CharField(max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.key
