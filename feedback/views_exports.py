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
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from feedback import exports, publish
from feedback.rules import can_see_all_providers, providers_for
from feedback.views_insights import staff_board

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
