"""Admin pages "Leergesprekken" (cells, type of help x provider, that scored low twice) and
"Cijfers" (the staff dashboard, feedback.views_insights).

Imported from FeedbackConfig.ready(); staff with the right to see providers may read it.
"""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from feedback import learning

PERMISSION = "feedback.view_provider"


def signals_view(request):
    """The list of flagged cells with both half-years, the reference mark and n."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "feedback/admin/learning_signals.html",
        {
            "page_title": _("Leergesprekken"),
            "header_icon": "warning",
            "signals": learning.signals(),
            "minimum_n": learning.minimum_n(),
        },
    )


class SignalsMenuItem(MenuItem):
    """Shown only to staff who may see provider figures."""

    def is_shown(self, request):
        return request.user.has_perm(PERMISSION)


@hooks.register("register_admin_urls")
def register_signals_url():
    """The page of learning signals and the staff dashboard."""
    from feedback.views_insights import staff_dashboard

    return [
        path("leergesprekken/", signals_view, name="feedback_learning_signals"),
        path("cijfers/", staff_dashboard, name="feedback_insights"),
    ]


@hooks.register("register_admin_menu_item")
def register_signals_menu_item():
    """Leergesprekken in the admin menu."""
    return SignalsMenuItem(
        _("Leergesprekken"),
        reverse("feedback_learning_signals"),
        icon_name="warning",
        order=420,
    )


@hooks.register("register_admin_menu_item")
def register_insights_menu_item():
    """Cijfers (the staff dashboard) in the admin menu."""
    return SignalsMenuItem(_("Cijfers"), reverse("feedback_insights"), icon_name="table", order=410)
