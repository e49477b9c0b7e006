"""Wagtail admin for the youth panel: who is in it, without contact details, and invitations.

Staff look at members and invite them; they never add, change or delete a member here, because
members keep their own data (youth_panel.panel). Rights: "youth_panel.view_panelmember" for the
list and "youth_panel.invite_panelmember" for invitations (both for Beleidsmedewerkers, see
migration 0007).
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from youth_panel import panel
from youth_panel.models import PanelMember, PollSession, district_choices

# --- who may do what ---------------------------------------------------------------------------


class PanelMemberPermissionPolicy(ModelPermissionPolicy):
    """Look and invite with the right permission; adding, changing or deleting: nobody here.

    The viewset has no pages for those actions; this policy also keeps Wagtail from offering
    them, even to a superuser.
    """

    MEMBERS_ONLY = frozenset({"add", "change", "delete"})

    def user_has_permission(self, user, action):
        return action not in self.MEMBERS_ONLY and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action not in self.MEMBERS_ONLY]
        if not allowed:
            return get_user_model().objects.none()
        return super().users_with_any_permission(allowed)


# Registered before the viewset is, so that it never falls back to the plain model policy.
register_permission_policy(PanelMember, PanelMemberPermissionPolicy(PanelMember))


# --- status and counts -------------------------------------------------------------------------


class Status(models.TextChoices):
    """Where a member stands, derived from the dates on PanelMember."""

    WAITING = "waiting", _("Wacht op ouder")
    ACTIVE = "active", _("Actief")
    UNSUBSCRIBED = "unsubscribed", _("Afgemeld")


_CONFIRMED = Q(needs_parent=False) | Q(parent_confirmed_at__isnull=False)
_SUBSCRIBED = Q(unsubscribed_at__isnull=True)
STATUS_FILTERS: dict[Status, Q] = {
    Status.WAITING: _SUBSCRIBED & ~_CONFIRMED,
    Status.ACTIVE: _SUBSCRIBED & _CONFIRMED,
    Status.UNSUBSCRIBED: ~_SUBSCRIBED,
}


def member_status(member: PanelMember) -> Status:
    """Unsubscribed beats waiting: an unsubscribed member gets nothing, parent or not."""
    if member.unsubscribed_at is not None:
        return Status.UNSUBSCRIBED
    if member.is_waiting:
        return Status.WAITING
    return Status.ACTIVE


def status_label(member: PanelMember) -> str:
    """The status in words, for the list and the detail page."""
    return member_status(member).label


def panel_counts() -> dict:
    """Counts for the top of the list: everyone, per status, and active members per age band."""
    members = PanelMember.objects.order_by()
    per_status = members.aggregate(
        **{status.value: Count("pk", filter=rule) for status, rule in STATUS_FILTERS.items()}
    )
    per_band = dict(
        members.filter(STATUS_FILTERS[Status.ACTIVE])
        .values_list("age_band")
        .annotate(count=Count("pk"))
    )
    return {
        "total": members.count(),
        "active": per_status[Status.ACTIVE],
        "waiting": per_status[Status.WAITING],
        "unsubscribed": per_status[Status.UNSUBSCRIBED],
        "active_per_age_band": [
            (label, per_band.get(value, 0)) for value, label in PanelMember.AgeBand.choices
        ],
    }


# --- the list and one member -------------------------------------------------------------------


class PanelMemberFilterSet(WagtailFilterSet):
    """Filter by age band, district or village, and status."""

    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, method="filter_status", empty_label=_("Alle")
    )

    class Meta:
        model = PanelMember
        fields = ["age_band", "district"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(STATUS_FILTERS[value])


class PanelMemberIndexView(generic.IndexView):
    """The members without e-mail address or name, counts on top, and a way to invite."""

    filterset_class = PanelMemberFilterSet
    invite_url_name = None

    @cached_property
    def header_buttons(self):
        buttons = super().header_buttons
        if self.invite_url_name and self.user_has_permission("invite"):
            buttons.append(
                HeaderButton(_("Uitnodigen"), url=reverse(self.invite_url_name), icon_name="mail")
            )
        return buttons

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["counts"] = panel_counts()
        return context


class PanelMemberInspectView(generic.InspectView):
    """One member's data without contact details: no account, no parent's address."""

    EXTRA_LABELS = {"status": _("Status"), "invitations": _("Uitnodigingen gekregen")}

    def get_field_label(self, field_name, field):
        if field_name in self.EXTRA_LABELS:
            return self.EXTRA_LABELS[field_name]
        return super().get_field_label(field_name, field)

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        if value is None:
            return "-"
        if isinstance(value, bool):
            return _("ja") if value else _("nee")
        if isinstance(value, datetime.datetime):
            return date_format(timezone.localtime(value), "DATETIME_FORMAT")
        return value

    def get_status_display_value(self):
        return status_label(self.object)

    def get_invitations_display_value(self):
        invitations = self.object.invitations.all()
        return (
            "; ".join(
                f"{invitation.title} ({timezone.localtime(invitation.sent_at):%d-%m-%Y})"
                for invitation in invitations
            )
            or "-"
        )


# --- invitations -------------------------------------------------------------------------------

CHOOSE_FROM_LIST = _("Kies een inspraakronde of een peiling uit de lijst.")
STAKEHOLDERS_ONLY = _(
    "Deze inspraakronde is alleen voor partners en organisaties. "
    "Het jongerenpanel krijgt hiervoor geen uitnodiging."
)
CONSULTATION_CLOSED = _(
    "Deze inspraakronde is nu niet open. Je kunt alleen uitnodigen voor een ronde die open is."
)
POLL_ENDED = _("Deze peiling is afgelopen. Je kunt er niemand meer voor uitnodigen.")


def target_choices(now=None) -> list:
    """The open consultations for the panel or everyone, and the polls that have not ended."""
    from consultations.models import ConsultationPage

    consultations = (
        ConsultationPage.objects.live()
        .open_at(now or timezone.now())
        .exclude(audience=ConsultationPage.Audience.STAKEHOLDERS)
        .order_by("closes_at")
    )
    polls = PollSession.objects.exclude(status=PollSession.Status.ENDED).order_by("-created_at")
    return [
        ("", _("Kies een inspraakronde of een peiling")),
        (_("Inspraakrondes"), [(f"consultation:{page.pk}", page.title) for page in consultations]),
        (
            _("Peilingen"),
            [(f"poll:{poll.pk}", f"{poll.title} ({poll.get_status_display()})") for poll in polls],
        ),
    ]


def resolve_target(key: str, base_url: str) -> panel.Target:
    """The invitation target for "consultation:<pk>" or "poll:<pk>", or a clear refusal.

    panel.consultation_target and panel.poll_target decide; their reasons are for the log, so
    the refusal here says in plain words why.
    """
    from consultations.models import ConsultationPage

    kind, _sep, pk = key.partition(":")
    if not pk.isdigit():
        raise ValidationError(CHOOSE_FROM_LIST)
    if kind == "consultation":
        page = ConsultationPage.objects.filter(pk=pk).first()
        if page is None:
            raise ValidationError(CHOOSE_FROM_LIST)
        try:
            return panel.consultation_target(page, base_url)
        except panel.NotInvitable:
            if page.audience == ConsultationPage.Audience.STAKEHOLDERS:
                raise ValidationError(STAKEHOLDERS_ONLY) from None
            raise ValidationError(CONSULTATION_CLOSED) from None
    if kind == "poll":
        session = PollSession.objects.filter(pk=pk).first()
        if session is None:
            raise ValidationError(CHOOSE_FROM_LIST)
        try:
            return panel.poll_target(session, base_url)
        except panel.NotInvitable:
            raise ValidationError(POLL_ENDED) from None
    raise ValidationError(CHOOSE_FROM_LIST)


class InviteForm(forms.Form):
    """What to invite to and, if wanted, which part of the panel."""

    # A plain field with a list: the list shows what is open now, and the check runs again on
    # sending, because a round can close (or a poll end) in between.
    target = forms.CharField(
        label=_("Waarvoor nodig je het panel uit?"), widget=forms.Select, max_length=40
    )
    age_bands = forms.MultipleChoiceField(
        label=_("Alleen deze leeftijden"),
        choices=PanelMember.AgeBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Kies je niets? Dan nodig je alle leeftijden uit."),
    )
    districts = forms.MultipleChoiceField(
        label=_("Alleen deze wijken en dorpen"),
        choices=district_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Kies je niets? Dan nodig je alle wijken en dorpen uit."),
    )

    def __init__(self, *args, base_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.base_url = base_url
        self.fields["target"].widget.choices = target_choices()

    def clean_target(self) -> panel.Target:
        return resolve_target(self.cleaned_data["target"], self.base_url)

    def invite(self, *, dry_run: bool) -> panel.InviteReport:
        """Count (dry run) or send the invitations; members who had this one are skipped."""
        return panel.invite(
            self.cleaned_data["target"],
            self.base_url,
            age_bands=self.cleaned_data["age_bands"],
            districts=self.cleaned_data["districts"],
            dry_run=dry_run,
        )


class InviteView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Choose and preview with GET (nothing is sent), send with the confirming POST."""

    model = PanelMember
    permission_required = "invite"  # checked on every request, GET and POST alike
    template_name = "youth_panel/admin/invite.html"
    page_title = _("Jongerenpanel uitnodigen")
    header_icon = "mail"
    index_url_name = None
    FIELDS = ("target", "age_bands", "districts")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(PanelMember._meta.verbose_name_plural),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def form(self, data) -> InviteForm:
        return InviteForm(data, base_url=panel.site_root(self.request))

    def get(self, request, *args, **kwargs):
        asked = any(name in request.GET for name in self.FIELDS)
        form = self.form(request.GET if asked else None)
        preview = form.invite(dry_run=True) if asked and form.is_valid() else None
        confirm = [(name, value) for name in self.FIELDS for value in request.GET.getlist(name)]
        return self.render_to_response(
            self.get_context_data(form=form, preview=preview, confirm_fields=confirm)
        )

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, preview=None))
        report = form.invite(dry_run=False)
        title = form.cleaned_data["target"].title
        messages.success(
            request,
            ngettext(
                "%(count)s uitnodiging verstuurd voor ‘%(title)s’.",
                "%(count)s uitnodigingen verstuurd voor ‘%(title)s’.",
                report.sent,
            )
            % {"count": report.sent, "title": title},
        )
        if report.failed:
            messages.error(
                request,
                ngettext(
                    "%(count)s uitnodiging kon niet worden verstuurd. Probeer het later opnieuw.",
                    "%(count)s uitnodigingen konden niet worden verstuurd. "
                    "Probeer het later opnieuw.",
                    report.failed,
                )
                % {"count": report.failed},
            )
        return redirect(self.index_url_name)


# --- the viewset -------------------------------------------------------------------------------


def _inspect_url(member: PanelMember) -> str:
    return reverse("jongerenpanel:inspect", args=(member.pk,))


class PanelMemberViewSet(ModelViewSet):
    """Jongerenpanel: the members by number, age band and district; the invitations."""

    model = PanelMember
    icon = "group"
    menu_label = _("Jongerenpanel")
    add_to_admin_menu = True
    menu_order = 310
    index_view_class = PanelMemberIndexView
    inspect_view_class = PanelMemberInspectView
    index_template_name = "youth_panel/admin/panel_index.html"
    # Never the account or an e-mail address: staff see who takes part, not who it is.
    list_display = [
        TitleColumn(
            "number", label=_("Lidnummer"), accessor="pk", sort_key="pk", get_url=_inspect_url
        ),
        "age_band",
        "district",
        "school_type",
        Column("status", label=_("Status"), accessor=status_label),
        "joined_at",
    ]
    ordering = ["-joined_at"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "age_band",
        "district",
        "school_type",
        "status",
        "joined_at",
        "consent_version",
        "consented_at",
        "needs_parent",
        "parent_requested_at",
        "parent_confirmed_at",
        "unsubscribed_at",
        "invitations",
    ]
    copy_view_enabled = False
    # The reference index would keep a row per member; there is nothing to find there.
    add_to_reference_index = False

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(invite_url_name=self.get_url_name("invite"), **kwargs)

    @property
    def invite_view(self):
        return self.construct_view(InviteView, **self.get_common_view_kwargs())

    def get_urlpatterns(self):
        # Only looking and inviting: no add, edit, delete, copy, history or usage pages at all.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
            path("uitnodigen/", self.invite_view, name="invite"),
        ]

    def get_permissions_to_register(self):
        # Only these two are worth giving a group; the others are refused for everyone.
        return (
            super()
            .get_permissions_to_register()
            .filter(codename__in=["view_panelmember", "invite_panelmember"])
        )


@hooks.register("register_admin_viewset")
def register_panel_members():
    """Jongerenpanel in the admin menu, for staff who may see the panel."""
    return PanelMemberViewSet("jongerenpanel")
