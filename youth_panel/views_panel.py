"""Youth panel membership pages (included under /jongerenpanel/, app namespace "panel")."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from youth_panel import panel
from youth_panel.forms_panel import JoinForm, ParentForm
from youth_panel.models import PanelMember


def _message(request, heading: str, *lines: str, status: int = 200):
    return render(
        request,
        "youth_panel/panel/message.html",
        {"heading": heading, "lines": lines},
        status=status,
    )


def _member(request) -> PanelMember | None:
    if not request.user.is_authenticated:
        return None
    return PanelMember.objects.filter(user=request.user).first()


def home(request):
    """What the panel is; for a member: where they stand."""
    return render(request, "youth_panel/panel/home.html", {"member": _member(request)})


@login_required
def join(request):
    """The profile and the consent; under-16s go on to the parent's step when that is needed."""
    if _member(request) is not None:
        return redirect("panel:home")
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = panel.join(
            request.user,
            age_band=form.cleaned_data["age_band"],
            district=form.cleaned_data["district"],
            school_type=form.cleaned_data["school_type"],
        )
        if member.is_waiting:
            return redirect("panel:parent")
        messages.success(request, _("Welkom in het jongerenpanel!"))
        return redirect("panel:home")
    context = {
        "form": form,
        "parental_consent": settings.YOUTH_PANEL_PARENTAL_CONSENT_UNDER_16,
        "link_days": panel.link_days(),
    }
    return render(request, "youth_panel/panel/join.html", context)


@login_required
def parent(request):
    """The parent's e-mail address for a waiting member; sends the parent a link."""
    member = _member(request)
    if member is None:
        return redirect("panel:join")
    if not member.is_waiting:
        return redirect("panel:home")
    may_mail = panel.may_mail_parent(member)
    form = ParentForm(request.POST or None, own_email=request.user.email)
    if request.method == "POST" and may_mail and form.is_valid():
        if panel.ask_parent(member, form.cleaned_data["parent_email"], panel.site_root(request)):
            messages.success(request, _("We hebben je ouder een mail gestuurd."))
            return redirect("panel:home")
        messages.error(request, _("De mail kon niet worden verstuurd. Probeer het later nog eens."))
    context = {"form": form, "may_mail_parent": may_mail, "link_days": panel.link_days()}
    return render(request, "youth_panel/panel/parent.html", context)


@require_http_methods(["GET", "POST"])
def parent_confirm(request, token: str):
    """The parent's link: GET shows what they agree to, POST confirms (once)."""
    member = panel.find_parent_request(token)
    if member is None:
        return _message(
            request,
            _("Deze link werkt niet"),
            _("De link is al gebruikt, te oud of niet helemaal goed overgenomen."),
            _("Heeft u al ja gezegd? Dan hoeft u niets meer te doen."),
            _("Wilt u toch nog ja zeggen? Vraag uw kind dan om een nieuwe mail te sturen."),
            status=404,
        )
    if request.method == "POST":
        panel.confirm_parent(member)
        return _message(
            request,
            _("Dank u wel"),
            _("Uw kind zit nu in het jongerenpanel en krijgt uitnodigingen."),
            _("Uw e-mailadres hebben we gewist."),
        )
    context = {"member": member, "link_days": panel.link_days()}
    return render(request, "youth_panel/panel/parent_confirm.html", context)


# Mail programs send the one-click POST (RFC 8058) without a CSRF token; the signed token in the
# address is what proves the request, and unsubscribing is all it can do.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks to confirm; POST (the button, or the mail program's one click) unsubscribes."""
    member = panel.member_for_unsubscribe(token)
    if member is None:
        return _message(
            request,
            _("Deze link werkt niet"),
            _("Misschien is je account al gewist. Dan krijg je ook geen mails meer."),
            status=404,
        )
    if request.method == "POST":
        panel.unsubscribe(member)
        return _message(
            request,
            _("Je bent afgemeld"),
            _("Je krijgt geen uitnodigingen meer van het jongerenpanel."),
            _("Wil je later toch weer mails? Log dan in en ga naar het jongerenpanel."),
        )
    return render(request, "youth_panel/panel/unsubscribe.html", {"member": member})


@login_required
@require_POST
def resubscribe(request):
    """A member who stopped the invitations wants them again."""
    member = _member(request)
    if member is not None:
        panel.resubscribe(member)
        messages.success(request, _("Je krijgt weer uitnodigingen."))
    return redirect("panel:home")


@login_required
def my_data(request):
    """Everything stored about the signed-in account."""
    context = {"data": panel.collect_data(request.user), "member": _member(request)}
    return render(request, "youth_panel/panel/my_data.html", context)


@login_required
def my_data_json(request):
    """The same data as a JSON download."""
    data = panel.collect_data(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mijn-gegevens-jeugdstem-{day}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_data(request):
    """GET asks to confirm; POST deletes the account and the data that belong to it."""
    if not panel.may_delete_self(request.user):
        return _message(
            request,
            _("Wissen kan hier niet"),
            _("Je account heeft beheerrechten. Vraag een beheerder om het te wissen."),
            status=403,
        )
    if request.method == "POST":
        panel.delete_account(request.user)
        logout(request)
        return _message(
            request,
            _("Je gegevens zijn gewist"),
            _("We hebben je account en je gegevens gewist. Bedankt dat je meedeed!"),
        )
    return render(request, "youth_panel/panel/delete.html")
