"""The dashboards of the learning loop: public (/cijfers/), for a provider's own people
(/feedback/cijfers/) and for staff in the Wagtail admin (/beheer/cijfers/, in
wagtail_hooks_learning). Every figure comes from feedback.publish, which suppresses."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from feedback import publish, stories
from feedback.models import Provider
from feedback.rules import can_see_all_providers, providers_for
from feedback.views_cases import provider_required


def _context(board: publish.Dashboard, *, with_stories: bool) -> dict:
    blocks = []
    for block in board.headline_blocks:
        quotes = stories.for_indicator(block.key) if with_stories else []
        blocks.append({"block": block, "stories": quotes})
    return {
        "dashboard": board,
        "chart_blocks": blocks,
        "split_choices": publish.split_choices(board.public),
        "period_choices": [(p, publish.period_label(p)) for p in board.periods],
        "period_label": publish.period_label(board.period) if board.period else "",
        "synthetic_note": publish.SYNTHETIC_NOTE,
        "min_n": settings.SUPPRESSION_MIN_N,
    }


@require_GET
def public_dashboard(request: HttpRequest) -> HttpResponse:
    """Cijfers for everyone: suppressed, rounded, no providers."""
    board = publish.from_query(request.GET, public=True)
    return render(request, "feedback/insights/public.html", _context(board, with_stories=True))


def chosen_provider(request: HttpRequest, allowed) -> tuple[Provider | None, str | None]:
    """The provider asked for in ?aanbieder=, if the user may see it, else a reason."""
    wanted = (request.GET.get("aanbieder") or "").strip()
    if not wanted:
        return None, None
    if not wanted.isdigit():
        return None, gettext("Deze aanbieder kennen we niet.")
    provider = allowed.filter(pk=int(wanted)).first()
    if provider is None:
        return None, gettext("Je kunt alleen de cijfers van je eigen organisatie zien.")
    return provider, None


def staff_board(request: HttpRequest) -> publish.Dashboard:
    """The non-public dashboard this user may see, with a message when the question was changed:
    staff who see all providers may pick any (or none); a provider's people get their own."""
    if can_see_all_providers(request.user):
        provider, problem = chosen_provider(request, Provider.objects.all())
        if problem:  # for them no provider is someone else's: it does not exist
            problem = gettext("Deze aanbieder kennen we niet.")
    else:
        own = providers_for(request.user).order_by("name")
        provider, problem = chosen_provider(request, own)
        provider = provider or own.first()
    board = publish.from_query(request.GET, public=False, provider=provider)
    if problem:
        board.problems.insert(0, problem)
    return board


@provider_required
@require_GET
def provider_dashboard(request: HttpRequest) -> HttpResponse:
    """A provider's own figures beside the figures of all providers."""
    board = staff_board(request)
    context = _context(board, with_stories=False)
    context["providers"] = providers_for(request.user).order_by("name")
    return render(request, "feedback/insights/provider.html", context)


def staff_dashboard(request: HttpRequest) -> HttpResponse:
    """The admin dashboard: every split, providers included (staff who may see providers)."""
    from django.core.exceptions import PermissionDenied

    if not can_see_all_providers(request.user):
        raise PermissionDenied
    board = staff_board(request)
    context = _context(board, with_stories=False)
    context.update(
        {
            "page_title": _("Cijfers"),
            "header_icon": "table",
            "providers": Provider.objects.order_by("name"),
        }
    )
    return TemplateResponse(request, "feedback/admin/insights.html", context)
