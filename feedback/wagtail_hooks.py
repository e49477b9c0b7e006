"""Wagtail admin wiring for the feedback app: providers, danger signals, story moderation,
and the "wij deden" actions.

Single answers are never listed in the admin except here: a signal shows the open answers
that raised it (to designated professionals), and story moderation shows consented stories.
"""

from django import forms
from django.http import Http404
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from consultations.models import Comment
from feedback.actions import after_save
from feedback.delivery import site_root
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


class StoryViewSet(ModelViewSet):
    """Moderation of consented stories (the only screen that shows a single answer)."""

    model = SurveyResponse
    icon = "openquote"
    menu_label = _("Verhalen")
    add_to_admin_menu = True
    menu_order = 420
    index_view_class = StoryIndexView
    edit_view_class = StoryEditView
    list_display = ["most_important_change", "what_should_change", "story_status", "period"]
    list_filter = ["story_status"]
    form_fields = ["story_status"]
    ordering = ["story_status", "-period"]
    # The reference index would keep a row per answer with a counting id: answer order.
    add_to_reference_index = False

    add_view_class = NoAddView


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
