"""Wagtail admin wiring: the glossary and core tasks as snippets."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from home.models import CoreTask, GlossaryTerm


class GlossaryTermViewSet(SnippetViewSet):
    """Terms of the glossary (Bijlage 1)."""

    model = GlossaryTerm
    icon = "help"
    menu_label = _("Begrippen")
    list_display = ["term", "slug"]
    search_fields = ["term", "definition"]


class CoreTaskViewSet(SnippetViewSet):
    """The four core tasks of the vision."""

    model = CoreTask
    icon = "pick"
    menu_label = _("Kernopgaven")
    list_display = ["number", "short_title", "title"]


class VisionSnippets(SnippetViewSetGroup):
    """Groups the vision's snippets under one menu item."""

    items = (GlossaryTermViewSet, CoreTaskViewSet)
    menu_icon = "doc-full"
    menu_label = _("Visie")
    menu_name = "visie"


register_snippet(VisionSnippets)
