"""Counted mode pages: hosts print single-use codes, participants type theirs on the phone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from youth_panel import counted, views
from youth_panel.models import PollSession
from youth_panel.polls import VoteError

SLIPS_PER_SHEET = 16  # 2 columns of 8 on an A4 page
QR_SYMBOL_ID = "slip-qr"


class CodesForm(forms.Form):
    """How many codes the host wants to print."""

    number = forms.IntegerField(
        label=_("Hoeveel codes wil je maken?"),
        min_value=1,
        max_value=counted.MAX_CODES_AT_ONCE,
        initial=32,
        help_text=_("Eén code per deelnemer. Op een A4 passen 16 codes. Je kunt later meer maken."),
    )


class EnterCodeForm(forms.Form):
    """The code from the participant's slip of paper."""

    code = forms.CharField(
        label=_("Jouw code"),
        max_length=30,
        help_text=_("De code staat op je papiertje, bijvoorbeeld ABCD-EFGH. Kleine letters mogen."),
    )


def _qr_symbol(url: str) -> SafeString:
    """The QR code as an SVG <symbol>, drawn once and shown on every slip with <use>.

    Two thousand inline copies of the same QR code would make a page of many megabytes.
    """
    # Our own markup from the qrcode library, not user input.
    svg = ET.fromstring(views.qr_svg(url))  # noqa: S314
    path = next(element for element in svg.iter() if element.tag.endswith("path"))
    symbol = ET.Element("symbol", {"id": QR_SYMBOL_ID, "viewBox": svg.get("viewBox", "")})
    ET.SubElement(symbol, "path", {"d": path.get("d", "")})
    # Safe: built from the library's path data; the URL is ours.
    return mark_safe(ET.tostring(symbol, encoding="unicode"))


def _code_counts(session: PollSession) -> dict:
    made = session.codes.count()
    return {"made": made, "used": session.codes.filter(used_at__isnull=False).count()}


@require_http_methods(["GET", "POST"])
@views.host_page
def codes(request: HttpRequest, session: PollSession) -> HttpResponse:
    """Make codes and show them once, as slips to print and cut (hosts only).

    The plain codes exist only in this response: the database keeps their hashes.
    """
    is_counted = session.mode == PollSession.Mode.COUNTED
    form = CodesForm(request.POST or None)
    if request.method == "POST" and is_counted and form.is_valid():
        plain = counted.issue_codes(session, form.cleaned_data["number"])
        enter_url = request.build_absolute_uri(
            reverse("polls:enter_code", args=[session.join_code])
        )
        slips = [counted.format_code(code) for code in plain]
        context = {
            "session": session,
            "sheets": [
                slips[i : i + SLIPS_PER_SHEET] for i in range(0, len(slips), SLIPS_PER_SHEET)
            ],
            "count": len(slips),
            "qr_symbol": _qr_symbol(enter_url),
            "qr_symbol_id": QR_SYMBOL_ID,
            "short_url": enter_url.split("://", 1)[-1],
        }
        return render(request, "youth_panel/codes.html", context)
    context = {"session": session, "form": form, "is_counted": is_counted, **_code_counts(session)}
    status = 400 if request.method == "POST" else 200
    return render(request, "youth_panel/codes.html", context, status=status)


@require_http_methods(["GET", "POST"])
@views.session_page
def enter_code(request: HttpRequest, session: PollSession) -> HttpResponse:
    """A phone in a counted session types its paper code; then on to the question."""
    phone_url = reverse("polls:phone", args=[session.join_code])
    if session.mode != PollSession.Mode.COUNTED:
        return HttpResponseRedirect(phone_url, status=303)
    bound_pk = counted.bound_code_pk(request.COOKIES, session)
    context = {
        "session": session,
        "phone_url": phone_url,
        "signed_in": request.user.is_authenticated,
        "has_code": bound_pk is not None,
    }
    if request.user.is_authenticated:
        # A signed-in member votes with the account: using a code as well would waste it.
        return render(request, "youth_panel/enter_code.html", context)
    form = EnterCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                poll_code = counted.redeem(session, form.cleaned_data["code"], bound_pk=bound_pk)
            except VoteError as exc:
                form.add_error("code", exc.message)
            else:
                response = HttpResponseRedirect(phone_url, status=303)
                counted.set_code_cookie(response, request, session, poll_code)
                return response
        status = 400
    return render(request, "youth_panel/enter_code.html", {**context, "form": form}, status=status)
