"""Downloads of the dashboards as CSV and XLSX: public (/cijfers/export.csv) and for staff.

The public files hold the public dashboard (suppressed, counts rounded). The staff files need a
login: staff who may compare providers get every split and any provider (?aanbieder=<pk>); a
provider's own people get their own organisation's figures beside those of all providers. A
provider member who asks for another provider gets their own figures and a line saying so, as
on the dashboard: the file never shows whether the other provider has figures.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from feedback import exports, publish
from feedback.models import Provider
from feedback.rules import can_see_all_providers, providers_for

CSV_TYPE = "text/csv; charset=utf-8"


def _download(sheet: exports.Sheet, suffix: str) -> HttpResponse:
    if suffix == "csv":
        response = HttpResponse(exports.csv_text(sheet), content_type=CSV_TYPE)
    else:
        response = HttpResponse(exports.xlsx_bytes(sheet), content_type=exports.XLSX_TYPE)
    # The name holds only periods, split keys and a provider number: no free text.
    response["Content-Disposition"] = f'attachment; filename="{sheet.name}.{suffix}"'
    return response


@require_safe
@cache_control(public=True, max_age=300)
def public_csv(request: HttpRequest) -> HttpResponse:
    """The public dashboard as CSV."""
    return _download(exports.public_sheet(publish.from_query(request.GET, public=True)), "csv")


@require_safe
@cache_control(public=True, max_age=300)
def public_xlsx(request: HttpRequest) -> HttpResponse:
    """The public dashboard as XLSX."""
    return _download(exports.public_sheet(publish.from_query(request.GET, public=True)), "xlsx")


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in (else to the login page), and staff or working for a provider (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not (can_see_all_providers(user) or providers_for(user).exists()):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _chosen_provider(
    request: HttpRequest, allowed: QuerySet[Provider]
) -> tuple[Provider | None, str | None]:
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
    """The dashboard this user may download, with a message when the question was changed."""
    if can_see_all_providers(request.user):
        provider, problem = _chosen_provider(request, Provider.objects.all())
        if problem:  # for them no provider is someone else's: it does not exist
            problem = gettext("Deze aanbieder kennen we niet.")
    else:
        own = providers_for(request.user).order_by("name")
        provider, problem = _chosen_provider(request, own)
        provider = provider or own.first()
    board = publish.from_query(request.GET, public=False, provider=provider)
    if problem:
        board.problems.insert(0, problem)
    return board


@require_safe
@staff_required
@cache_control(private=True, no_store=True)
def staff_csv(request: HttpRequest) -> HttpResponse:
    """A staff or provider dashboard as CSV."""
    return _download(exports.staff_sheet(staff_board(request)), "csv")


@require_safe
@staff_required
@cache_control(private=True, no_store=True)
def staff_xlsx(request: HttpRequest) -> HttpResponse:
    """A staff or provider dashboard as XLSX."""
    return _download(exports.staff_sheet(staff_board(request)), "xlsx")
