"""Wagtail admin wiring for the feedback app: providers, danger signals, story moderation,
and the "wij deden" actions.

Single answers are never listed in the admin except here: a signal shows the open answers
that raised it (to designated professionals), and story moderation shows consented stories.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from consultations.models import Comment
from feedback import stories
from feedback.actions import after_save
from feedback.delivery import site_root
from feedback.forms_stories import StoryChoiceForm
from feedback.indicators import INDICATORS
from feedback.models import Action, Provider, SafeguardingFlag, SurveyResponse


class ProviderViewSet(ModelViewSet):
    """The list of providers and CJG teams that staff keep, with who works for them."""

    model = Provider
    icon = "group"
    menu_label = _("Aanbieders")
    add_to_admin_menu = True
    menu_order = 400
    list_display = ["name", "is_cjg", "active"]
    form_fields = ["name", "is_cjg", "active", "members"]
    search_fields = ["name"]


class NoAddView(generic.CreateView):
    """Answers and signals come from the survey only, never by hand."""

    def dispatch(self, request, *args, **kwargs):
        raise Http404


class SafeguardingFlagViewSet(ModelViewSet):
    """Open answers that may signal danger, for the designated professionals (group Signalen)."""

    model = SafeguardingFlag
    icon = "warning"
    menu_label = _("Signalen")
    add_to_admin_menu = True
    menu_order = 410
    list_display = ["matched", "sentiment", "created_on", "handled_at"]
    list_filter = ["handled_at"]
    form_fields = ["note"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "matched",
        "sentiment",
        "created_on",
        "answer_texts",
        "note",
        "handled_at",
    ]
    ordering = ["-created_on"]
    # The reference index would keep a row per signal with a counting id and a timestamp.
    add_to_reference_index = False
    add_view_class = NoAddView


class StoryIndexView(generic.IndexView):
    """Only answers whose writer agreed to be quoted."""

    def get_base_queryset(self):
        return super().get_base_queryset().exclude(story_status="")


class StoryEditView(generic.EditView):
    """Decide whether a consented story may be quoted; other answers cannot be opened."""

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if not obj.story_status:
            raise Http404
        return obj


class StoryAdminForm(WagtailAdminModelForm):
    """Moderation of one story: decide, rewrite without names, and tie it to an indicator.

    The rewrite starts from the two open answers; only the rewrite is ever published.
    """

    story_indicator = forms.ChoiceField(
        label=_("gaat over het cijfer"),
        choices=[("", _("Geen cijfer"))]
        + [(key, indicator.label) for key, indicator in INDICATORS.items()],
        required=False,
        help_text=_("Bij welk cijfer past dit verhaal? Het verhaal staat dan naast dat cijfer."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("story_status")
        if status is not None:
            status.choices = [
                choice
                for choice in SurveyResponse.StoryStatus.choices
                if choice[0] != SurveyResponse.StoryStatus.NONE
            ]
            status.required = True
        if self.instance.pk and not self.instance.story_text and "story_text" in self.fields:
            self.initial["story_text"] = stories.prefill_text(self.instance)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("story_status") == SurveyResponse.StoryStatus.APPROVED:
            if not self.instance.consent_to_quote:
                self.add_error(
                    "story_status",
                    _("De schrijver gaf geen toestemming. Dit verhaal mag niet gebruikt worden."),
                )
            if not (cleaned.get("story_text") or "").strip():
                self.add_error(
                    "story_text",
                    _(
                        "Een verhaal dat gebruikt mag worden, heeft een tekst voor de website "
                        "nodig. Schrijf de tekst zonder namen, plaatsen en scholen."
                    ),
                )
        return cleaned


class StoryViewSet(ModelViewSet):
    """Moderation of consented stories (the only screen that shows a single answer)."""

    model = SurveyResponse
    icon = "openquote"
    menu_label = _("Verhalen")
    add_to_admin_menu = True
    menu_order = 420
    index_view_class = StoryIndexView
    edit_view_class = StoryEditView
    list_display = [
        "most_important_change",
        "what_should_change",
        "story_status",
        "story_text",
        "period",
    ]
    list_filter = ["story_status"]
    ordering = ["story_status", "-period"]
    copy_view_enabled = False
    # The reference index would keep a row per answer with a counting id: answer order.
    add_to_reference_index = False
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("most_important_change", read_only=True),
                    FieldPanel("what_should_change", read_only=True),
                ],
                heading=_("Wat de schrijver antwoordde (nooit openbaar)"),
            ),
            FieldPanel("story_status", widget=forms.RadioSelect),
            FieldPanel("story_text"),
            FieldPanel("story_indicator"),
        ],
        base_form_class=StoryAdminForm,
    )

    add_view_class = NoAddView


# --- Verhaal van het halfjaar -------------------------------------------------------------------


def _story_choice_index(request):
    """Per half-year with stories: how many stories and votes, and staff's choice."""
    if not stories.can_choose(request.user):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "feedback/stories/admin_index.html",
        {
            "page_title": _("Verhaal van het halfjaar"),
            "header_icon": "openquote",
            "rows": stories.overview(),
        },
    )


def _story_choice(request, half_year: str):
    """The panel's votes and reasons for one half-year; staff choose and publish the story."""
    if not stories.can_choose(request.user):
        raise PermissionDenied
    if not stories.is_half_year(half_year) or not stories.votable(half_year).exists():
        raise Http404
    current = stories.current_choice(half_year)
    initial = (
        {"story": current.story_id, "why": current.why, "published": current.published}
        if current
        else None
    )
    form = StoryChoiceForm(
        request.POST or None, initial=initial, stories=stories.votable(half_year)
    )
    if request.method == "POST" and form.is_valid():
        try:
            chosen = stories.choose(
                half_year,
                form.cleaned_data["story"],
                form.cleaned_data["why"],
                form.cleaned_data["published"],
            )
        except stories.ChoiceRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Het verhaal van het halfjaar is openbaar.")
                if chosen.published
                else _("De keuze is opgeslagen. Het verhaal is nog niet openbaar."),
            )
            return redirect("feedback_story_choice", half_year=half_year)
    label = stories.half_year_label(half_year)
    return TemplateResponse(
        request,
        "feedback/stories/admin_choice.html",
        {
            "page_title": _("Verhaal van het halfjaar: %(half)s") % {"half": label},
            "header_icon": "openquote",
            "half_year": half_year,
            "half_year_label": label,
            "results": stories.results(half_year),
            "current": current,
            "form": form,
            "vote_open": stories.voting_open(half_year),
        },
    )


class StoryChoiceMenuItem(MenuItem):
    """Shown only to story moderators."""

    def is_shown(self, request):
        return stories.can_choose(request.user)


@hooks.register("register_admin_urls")
def register_story_choice_urls():
    """The overview per half-year and the choice page of one half-year."""
    return [
        path(
            "verhaal-van-het-halfjaar/",
            _story_choice_index,
            name="feedback_story_choice_index",
        ),
        path(
            "verhaal-van-het-halfjaar/<str:half_year>/",
            _story_choice,
            name="feedback_story_choice",
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_story_choice_menu_item():
    """Verhaal van het halfjaar in the admin menu, for story moderators."""
    return StoryChoiceMenuItem(
        _("Verhaal van het halfjaar"),
        reverse("feedback_story_choice_index"),
        icon_name="openquote",
        order=425,
    )


@hooks.register("register_admin_viewset")
def register_provider_viewset():
    """Aanbieders in the admin menu."""
    return ProviderViewSet("providers")


@hooks.register("register_admin_viewset")
def register_signals_viewset():
    """Signalen in the admin menu, for those allowed to see them."""
    return SafeguardingFlagViewSet("signalen")


@hooks.register("register_admin_viewset")
def register_story_viewset():
    """Verhalen in the admin menu, for story moderators."""
    return StoryViewSet("verhalen")


# --- Wat we deden -------------------------------------------------------------------------------


def _comment_label(comment: Comment) -> str:
    """A cited comment in the admin list: consultation, chapter or paragraph, and the text."""
    text = Truncator(comment.text).chars(90)
    return f"{comment.consultation.title} · {comment.target_label}: {text}"


def _story_label(response) -> str:
    """A cited story in the admin: its half-year and the text for the website."""
    return f"{response.end_period}: {Truncator(response.story_text).chars(90)}"


class ActionAdminForm(WagtailAdminModelForm):
    """An action: indicators as check boxes, comments with readable labels."""

    indicator_keys = forms.MultipleChoiceField(
        label=_("cijfers"),
        choices=[(key, indicator.label) for key, indicator in INDICATORS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("De cijfers uit de vragenlijst die tot deze actie leidden."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        comments = self.fields.get("comments")
        if comments is not None:
            comments.queryset = Comment.objects.select_related(
                "consultation", "chapter", "paragraph__chapter"
            ).order_by("-created_at")
            comments.label_from_instance = _comment_label
        stories = self.fields.get("stories")
        if stories is not None:
            # Only approved stories with a website text, shown by that text, never the answer.
            stories.queryset = stories.queryset.exclude(story_text="").order_by("-end_period")
            stories.label_from_instance = _story_label


class ActionCreateView(generic.CreateView):
    """Saves the action, then mails the authors of cited comments when it is public."""

    def save_instance(self):
        instance = super().save_instance()
        after_save(instance, site_root(self.request))
        return instance


class ActionEditView(generic.EditView):
    """Saves the action, then mails authors of newly cited comments when it is public."""

    def save_instance(self):
        instance = super().save_instance()
        after_save(instance, site_root(self.request))
        return instance


class ActionViewSet(ModelViewSet):
    """Wat we deden: actions and decisions, linked to the input that led to them."""

    model = Action
    icon = "tick"
    menu_label = _("Wat we deden")
    add_to_admin_menu = True
    menu_order = 430
    add_view_class = ActionCreateView
    edit_view_class = ActionEditView
    list_display = ["title", "status", "published", "planned_on", "done_on"]
    list_filter = ["status", "published", "core_tasks"]
    search_fields = ["title", "description", "heard"]
    ordering = ["-created_at"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("title"),
            FieldPanel("heard"),
            FieldPanel("description"),
            FieldPanel("status", widget=forms.RadioSelect),
            FieldRowPanel(
                [FieldPanel("planned_on"), FieldPanel("started_on"), FieldPanel("done_on")],
                heading=_("Data"),
            ),
            FieldPanel("core_tasks", widget=forms.CheckboxSelectMultiple),
            MultiFieldPanel(
                [
                    FieldPanel("comments"),
                    FieldPanel("poll_sessions", widget=forms.CheckboxSelectMultiple),
                    FieldPanel("indicator_keys"),
                    FieldPanel("stories", widget=forms.CheckboxSelectMultiple),
                ],
                heading=_("Waar het vandaan komt"),
            ),
            FieldPanel(
                "published",
                help_text=_(
                    "Staat de actie voor het eerst openbaar? Dan krijgen de schrijvers van de "
                    "gekozen reacties een e-mail."
                ),
            ),
        ],
        base_form_class=ActionAdminForm,
    )


@hooks.register("register_admin_viewset")
def register_action_viewset():
    """Wat we deden in the admin menu, for policy staff."""
    return ActionViewSet("wat-we-deden")
