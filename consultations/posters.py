"""Posters with a QR code and a short URL per channel, and counting who arrives through them.

Every consultation and live poll gets a short URL per channel: /k/<code>/<channel>. The code is
"i" plus the page id for a consultation, or the poll's join code (join codes never hold an I, so
the two cannot clash). Opening it adds one to a daily counter for that target and channel and
redirects to the consultation page or the poll's phone page. Nothing else is kept: no cookie,
no IP address, no query string on the target, so the target page stays in the page cache.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from consultations import rules
from consultations.models import ArrivalCount, ConsultationPage
from youth_panel.models import PollSession
from youth_panel.views import find_session, qr_svg

Channel = ArrivalCount.Channel
Kind = ArrivalCount.TargetKind
CONSULTATION_CODE = re.compile(r"[iI](\d{1,18})")
# Link previews (a chat app or social network fetching the link to show a card) are not people.
BOT_AGENTS = ("bot", "crawl", "spider", "facebookexternalhit", "whatsapp", "preview")
RECENT_DAYS = 7


class Size:
    """Paper sizes a poster can be printed on."""

    A4 = "a4"
    A3 = "a3"
    CHOICES = [(A4, _("A4")), (A3, _("A3"))]


@dataclass(frozen=True)
class PosterTarget:
    """A consultation or poll that a poster points to."""

    kind: str
    pk: int
    code: str
    title: str
    join_code: str = ""
    page: ConsultationPage | None = field(default=None, compare=False, repr=False)

    def url(self, request: HttpRequest) -> str:
        """Where an arrival goes: the consultation page or the poll's phone page."""
        if self.page is None:
            return reverse("polls:phone", args=[self.join_code])
        return self.page.get_url(request=request) or "/"


def _consultation_target(page: ConsultationPage) -> PosterTarget:
    return PosterTarget(Kind.CONSULTATION, page.pk, f"i{page.pk}", page.title, page=page)


def _poll_target(session: PollSession) -> PosterTarget:
    return PosterTarget(
        Kind.POLL, session.pk, session.join_code, session.title, join_code=session.join_code
    )


def find_poster_target(code: str) -> PosterTarget | None:
    """The published consultation ("i12") or the poll (its join code) behind a short-URL code."""
    match = CONSULTATION_CODE.fullmatch(code.strip())
    if match:
        page = ConsultationPage.objects.live().filter(pk=int(match.group(1))).first()
        return _consultation_target(page) if page else None
    session = find_session(code)
    return _poll_target(session) if session else None


def poster_targets() -> list[PosterTarget]:
    """What staff can make a poster for: published consultations and polls not yet ended."""
    pages = ConsultationPage.objects.live().order_by("-opens_at", "-pk")
    sessions = PollSession.objects.exclude(status=PollSession.Status.ENDED)
    return [*map(_consultation_target, pages), *map(_poll_target, sessions)]


def channel_from_tag(tag: str) -> str:
    """The channel named by the tag in a short URL; an unknown tag counts as "anders"."""
    tag = tag.strip().lower()
    return tag if tag in Channel.values else Channel.OTHER


def is_link_preview(request: HttpRequest) -> bool:
    """Whether the visitor is a crawler or a chat app fetching a link preview."""
    agent = request.headers.get("User-Agent", "").lower()
    return any(word in agent for word in BOT_AGENTS)


def count_arrival(target: PosterTarget, channel: str, day: datetime.date | None = None) -> None:
    """Add one arrival to today's counter for this target and channel, safe under parallel hits.

    One UPDATE in the database adds the one; only the first arrival of the day creates the row,
    and if two requests create it at once, the loser's insert fails and it updates instead.
    """
    key = {
        "date": day or timezone.localdate(),
        "target_kind": target.kind,
        "target_id": target.pk,
        "channel": channel,
    }
    rows = ArrivalCount.objects.filter(**key)
    if rows.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ArrivalCount.objects.create(**key, count=1)
    except IntegrityError:
        rows.update(count=F("count") + 1)


def arrival_table(target: PosterTarget, today: datetime.date | None = None) -> dict:
    """Arrivals per channel for one target: the last RECENT_DAYS days and in total."""
    since = (today or timezone.localdate()) - datetime.timedelta(days=RECENT_DAYS - 1)
    sums = (
        ArrivalCount.objects.filter(target_kind=target.kind, target_id=target.pk)
        .values("channel")
        .annotate(total=Sum("count"), recent=Sum("count", filter=Q(date__gte=since)))
    )
    found = {row["channel"]: row for row in sums}
    rows = [
        {
            "channel": channel,
            "label": label,
            "recent": found.get(channel, {}).get("recent") or 0,
            "total": found.get(channel, {}).get("total") or 0,
        }
        for channel, label in Channel.choices
    ]
    return {
        "rows": rows,
        "recent": sum(row["recent"] for row in rows),
        "total": sum(row["total"] for row in rows),
        "days": RECENT_DAYS,
    }


def short_path(target: PosterTarget, channel: str) -> str:
    """The short URL's path for a target and channel, such as /k/i12/school."""
    return reverse("arrivals:arrive", kwargs={"code": target.code, "channel": channel})


def _absolute_short_url(request: HttpRequest, target: PosterTarget, channel: str) -> str:
    return request.build_absolute_uri(short_path(target, channel))


def _without_scheme(url: str) -> str:
    """An address as people type it: without https://."""
    return url.split("://", 1)[-1]


def poster_context(request: HttpRequest, doel: PosterTarget, kanaal: str, formaat: str) -> dict:
    """What the poster and the staff's count table show for one target, channel and size."""
    url = _absolute_short_url(request, doel, kanaal)
    arrivals = arrival_table(doel)
    for row in arrivals["rows"]:
        row["short_url_text"] = _without_scheme(_absolute_short_url(request, doel, row["channel"]))
    return {
        "target": doel,
        "channel_label": Channel(kanaal).label,
        "size": formaat,
        "short_url": url,
        "short_url_text": _without_scheme(url),
        "qr": qr_svg(url),
        "join_url_text": _without_scheme(request.build_absolute_uri(reverse("polls:join"))),
        "arrivals": arrivals,
    }


# --- views ----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def arrive(request: HttpRequest, code: str, channel: str) -> HttpResponse:
    """Count one arrival through a poster channel (not for HEAD or link previews), then redirect.

    Never cached: a cached redirect would skip the count.
    """
    target = find_poster_target(code)
    if target is None:
        raise Http404
    if request.method == "GET" and not is_link_preview(request):
        count_arrival(target, channel_from_tag(channel))
    response = HttpResponseRedirect(target.url(request))
    add_never_cache_headers(response)
    return response


class PosterForm(forms.Form):
    """What the poster is for, where it hangs and how big it is."""

    doel = forms.ChoiceField(label=_("Waarvoor is de poster?"))
    kanaal = forms.ChoiceField(
        label=_("Waar hangt of staat de poster?"),
        choices=Channel.choices,
        help_text=_("Zo zie je later via welk kanaal jongeren binnenkomen."),
    )
    formaat = forms.ChoiceField(label=_("Papierformaat"), choices=Size.CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {target.code: target for target in poster_targets()}
        # A link from an ended poll still works: add that one target to the list.
        asked = find_poster_target(str(self.data.get("doel", "")))
        if asked is not None:
            self.targets.setdefault(asked.code, asked)
        consultations = [(t.code, t.title) for t in self.targets.values() if t.kind != Kind.POLL]
        polls = [
            (t.code, _("%(title)s (code %(code)s)") % {"title": t.title, "code": t.join_code})
            for t in self.targets.values()
            if t.kind == Kind.POLL
        ]
        self.fields["doel"].choices = [
            ("", _("Kies …")),
            (_("Inspraak"), consultations),
            (_("Peilingen"), polls),
        ]

    def clean_doel(self) -> PosterTarget:
        """The chosen target itself, not its code."""
        return self.targets[self.cleaned_data["doel"]]


@require_GET
def poster(request: HttpRequest) -> HttpResponse:
    """Staff choose a target, channel and paper size, and print the poster that appears."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not rules.can_make_posters(request.user):
        raise PermissionDenied
    context: dict = {"form": PosterForm()}
    if request.GET.get("doel"):
        data = {"kanaal": Channel.SCHOOL, "formaat": Size.A4, **request.GET.dict()}
        form = PosterForm(data)
        context["form"] = form
        if form.is_valid():
            context.update(poster_context(request, **form.cleaned_data))
    response = render(request, "consultations/poster.html", context)
    add_never_cache_headers(response)
    return response
