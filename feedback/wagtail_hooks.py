"""Wagtail admin wiring for the feedback app: providers, danger signals, story moderation.

Single answers are never listed in the admin except here: a signal shows the open answers
that raised it (to designated professionals), and story moderation shows consented stories.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from feedback.models import Provider, SafeguardingFlag, SurveyResponse


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
