"""Admin menu "Halfjaarrapporten": policy staff write the words of the half-year report.

Imported from FeedbackConfig.ready(). The figures are not edited here: the report page takes
them from feedback.publish. The menu shows for everyone with a right on reports (Wagtail's
permission policy); the group Beleidsmedewerkers gets add, change and view in the migration.
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from feedback.models import HalfYearReport


def preview_url(report: HalfYearReport) -> str:
    """The report page as staff see it, also before it is public ("" until the page is live)."""
    try:
        return reverse("reports:detail", args=[report.period]) + "?voorbeeld=1"
    except NoReverseMatch:
        return ""


class ReportEditView(generic.EditView):
    """Editing a report, with a button to look at the page as it will be printed."""

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        url = preview_url(self.object)
        if url:
            buttons.append(
                Button(
                    _("Bekijk het rapport"),
                    url=url,
                    icon_name="view",
                    priority=5,
                    attrs={"target": "_blank", "rel": "noopener"},
                )
            )
        return buttons


class HalfYearReportViewSet(ModelViewSet):
    """Halfjaarrapporten: summary, analysis and policy implications per half-year."""

    model = HalfYearReport
    icon = "doc-full"
    menu_label = _("Halfjaarrapporten")
    add_to_admin_menu = True
    menu_order = 440
    edit_view_class = ReportEditView
    list_display = ["title", "period", "published", "published_at", "updated_at"]
    list_filter = ["published"]
    search_fields = ["title", "summary", "analysis", "implications"]
    ordering = ["-period"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("period"),
            FieldPanel("title"),
            FieldPanel("summary"),
            MultiFieldPanel(
                [FieldPanel("analysis"), FieldPanel("implications")],
                heading=_("Wat zien we, en wat betekent het?"),
            ),
            FieldPanel(
                "published",
                help_text=_(
                    "Zet dit pas aan als het rapport klaar is. Bekijk het eerst met de knop "
                    "‘Bekijk het rapport’ bovenaan."
                ),
            ),
        ]
    )


@hooks.register("register_admin_viewset")
def register_report_viewset():
    """Halfjaarrapporten in the admin menu, for policy staff."""
    return HalfYearReportViewSet("halfjaarrapporten")
