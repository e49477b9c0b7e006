"""Wagtail admin wiring for consultations: comments (moderate and answer), organisations,
the memberships that staff confirm, and the results of youth rounds."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button

from consultations import youth
from consultations.comments import record_answer
from consultations.models import (
    MAX_COMMENT_LENGTH,
    Comment,
    ConsultationPage,
    Membership,
    Organisation,
    YouthParticipation,
    YouthResponse,
)

ANSWER_PERMISSION = "consultations.answer_comment"
MODERATE_PERMISSION = "consultations.moderate_comment"


class NoAddView(generic.CreateView):
    """Comments come from the public page only, never by hand."""

    def dispatch(self, request, *args, **kwargs):
        raise Http404


class CommentAdminForm(WagtailAdminModelForm):
    """Moderation and the answer; stamps a first answer and mails the author."""

    def clean(self):
        cleaned = super().clean()
        outcome = cleaned.get("answer_outcome")
        if "answer_reasoning" in self.fields:
            reasoning = (cleaned.get("answer_reasoning") or "").strip()
            if outcome and not reasoning:
                self.add_error("answer_reasoning", _("Schrijf uit waarom de gemeente dit besluit."))
            if reasoning and not outcome:
                self.add_error("answer_outcome", _("Kies wat de gemeente met de reactie doet."))
            for name in ("answer_reasoning", "answer_text_change"):
                if len(cleaned.get(name) or "") > MAX_COMMENT_LENGTH:
                    self.add_error(
                        name,
                        _("Dit is te lang. Het mag hoogstens %(max)s tekens zijn.")
                        % {"max": MAX_COMMENT_LENGTH},
                    )
        return cleaned

    def save(self, commit=True):
        record_answer(self.instance, self.for_user)
        return super().save(commit=commit)


class CommentIndexView(generic.IndexView):
    """The comments with how often readers flagged them."""

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("organisation", "chapter", "paragraph__chapter")
            .annotate(flag_count=Count("flags"))
        )


class CommentViewSet(ModelViewSet):
    """Reacties: moderators publish or hide them; policy staff answer each one."""

    model = Comment
    icon = "comment"
    menu_label = _("Reacties")
    index_view_class = CommentIndexView
    add_view_class = NoAddView
    list_display = [
        "__str__",
        "organisation",
        "status",
        "visibility",
        "answer_outcome",
        Column("flag_count", label=_("Meldingen")),
        "created_at",
    ]
    list_filter = ["consultation", "status", "visibility", "answer_outcome"]
    search_fields = ["text"]
    ordering = ["-created_at"]
    copy_view_enabled = False
    inspect_view_enabled = True
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("consultation", read_only=True),
                    FieldPanel("version", read_only=True),
                    FieldPanel("chapter", read_only=True),
                    FieldPanel("paragraph", read_only=True),
                    FieldPanel("organisation", read_only=True),
                    FieldPanel("author", read_only=True),
                    FieldPanel("visibility", read_only=True),
                    FieldPanel("text", read_only=True),
                ],
                heading=_("De reactie"),
            ),
            FieldPanel("status", widget=forms.RadioSelect, permission=MODERATE_PERMISSION),
            MultiFieldPanel(
                [
                    FieldPanel(
                        "answer_outcome", widget=forms.RadioSelect, permission=ANSWER_PERMISSION
                    ),
                    FieldPanel("answer_reasoning", permission=ANSWER_PERMISSION),
                    FieldPanel("answer_text_change", permission=ANSWER_PERMISSION),
                ],
                heading=_("Antwoord van de gemeente"),
            ),
        ],
        base_form_class=CommentAdminForm,
    )
    # Comments carry a person's words; keep them out of the reference index.
    add_to_reference_index = False


class OrganisationViewSet(ModelViewSet):
    """Organisaties on whose behalf stakeholders comment."""

    model = Organisation
    icon = "group"
    menu_label = _("Organisaties")
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]
    form_fields = ["name", "kind"]
    copy_view_enabled = False


class MembershipFilterSet(WagtailFilterSet):
    """Filter memberships by organisation and whether they wait for confirmation."""

    waiting = django_filters.BooleanFilter(
        field_name="confirmed_at", lookup_expr="isnull", label=_("Wacht op bevestiging")
    )

    class Meta:
        model = Membership
        fields = ["organisation"]


class MembershipIndexView(generic.IndexView):
    """Memberships, waiting ones first."""

    filterset_class = MembershipFilterSet


class MembershipAdminForm(WagtailAdminModelForm):
    """Staff tick "confirmed"; who confirmed and when are recorded."""

    confirmed = forms.BooleanField(
        label=_("Bevestigd: deze persoon werkt bij deze organisatie"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirmed"].initial = self.instance.confirmed_at is not None

    def save(self, commit=True):
        confirmed = self.cleaned_data.get("confirmed")
        if confirmed and self.instance.confirmed_at is None:
            self.instance.confirmed_at = timezone.now()
            self.instance.confirmed_by = self.for_user
        elif not confirmed:
            self.instance.confirmed_at = None
            self.instance.confirmed_by = None
        return super().save(commit=commit)


class MembershipViewSet(ModelViewSet):
    """Lidmaatschappen: who may comment for which organisation, once staff confirm."""

    model = Membership
    icon = "user"
    menu_label = _("Lidmaatschappen")
    index_view_class = MembershipIndexView
    list_display = ["user", "organisation", "requested_at", "confirmed_at"]
    ordering = ["confirmed_at", "-requested_at"]
    copy_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("user"), FieldPanel("organisation"), FieldPanel("confirmed")],
        base_form_class=MembershipAdminForm,
    )
    add_to_reference_index = False


class ConsultationViewSetGroup(ModelViewSetGroup):
    """Inspraak in the admin menu: reacties, organisaties, lidmaatschappen."""

    items = (
        CommentViewSet("reacties"),
        OrganisationViewSet("organisaties"),
        MembershipViewSet("lidmaatschappen"),
    )
    menu_label = _("Inspraak")
    menu_icon = "comment"
    menu_order = 250


@hooks.register("register_admin_viewset")
def register_consultation_viewsets():
    """Inspraak in the admin menu, for staff with rights on comments or memberships."""
    return ConsultationViewSetGroup()


# Youth rounds: the exact results for staff, linked from the consultation page in the admin.

YOUTH_RESULTS_PERMISSION = "consultations.view_youth_results"


def youth_results_view(request, page_id: int):
    """Exact counts, percentages, means and the open answers of a consultation's youth round.

    Stories are only counted here: reading and publishing them is moderation work.
    """
    if not request.user.has_perm(YOUTH_RESULTS_PERMISSION):
        raise PermissionDenied
    page = get_object_or_404(ConsultationPage, pk=page_id).specific
    if not page.has_youth_round:
        raise Http404
    return TemplateResponse(
        request,
        "consultations/admin/youth_results.html",
        {
            "page": page,
            "page_title": _("Uitslag vragen voor jongeren"),
            "page_subtitle": page.title,
            "header_icon": "table",
            "results": youth.results(page, with_texts=True),
            "total": YouthResponse.objects.filter(consultation=page).count(),
            "members": YouthParticipation.objects.filter(consultation=page).count(),
        },
    )


@hooks.register("register_admin_urls")
def register_youth_results_url():
    """The staff results page of a youth round."""
    return [
        path(
            "inspraak/<int:page_id>/jongeren/",
            youth_results_view,
            name="consultations_youth_results",
        )
    ]


@hooks.register("register_page_header_buttons")
def youth_results_button(page, user, view_name, next_url=None):
    """A link to the youth round's results on a consultation with questions."""
    specific = page.specific_deferred
    if (
        isinstance(specific, ConsultationPage)
        and user.has_perm(YOUTH_RESULTS_PERMISSION)
        and specific.has_youth_round
    ):
        yield Button(
            _("Uitslag vragen voor jongeren"),
            reverse("consultations_youth_results", args=(page.pk,)),
            icon_name="table",
            priority=80,
        )
