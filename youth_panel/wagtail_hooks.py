"""Wagtail admin wiring for live polls: staff create sessions with their questions."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.viewsets.model import ModelViewSet

from youth_panel.models import PollSession


class PollSessionViewSet(ModelViewSet):
    """Peilingen: a title, how votes count, ordered questions, who hosts, public results."""

    model = PollSession
    icon = "list-ul"
    menu_label = _("Peilingen")
    add_to_admin_menu = True
    menu_order = 300
    list_display = ["title", "join_code", "status", "mode"]
    list_filter = ["status", "mode"]
    search_fields = ["title"]
    panels = [
        FieldPanel("title"),
        FieldPanel("mode", widget=forms.RadioSelect),
        MultiFieldPanel(
            [
                FieldPanel("hosts"),
                FieldPanel("results_public"),
                FieldPanel("consultation"),
                FieldPanel("core_tasks"),
            ],
            heading=_("Instellingen"),
        ),
        InlinePanel(
            "questions",
            heading=_("Vragen"),
            label=_("Vraag"),
            panels=[
                FieldPanel("text"),
                FieldPanel("kind"),
                FieldPanel("options_text"),
                FieldPanel("max_choices"),
                FieldPanel("moderate_words"),
            ],
        ),
    ]


@hooks.register("register_admin_viewset")
def register_poll_sessions():
    """Peilingen in the admin menu."""
    return PollSessionViewSet("peilingen")


# Jongerenpanel (members without contact details) and Uitnodigen register their own hooks.
from youth_panel import wagtail_hooks_panel  # noqa: E402, F401
