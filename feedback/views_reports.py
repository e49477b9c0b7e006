"""The half-year reports: the list of public reports and one report, ready to print."""

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers

from feedback import publish, reports


def _absolute(request: HttpRequest, name: str) -> str:
    """A full address, so that a printed report shows where a link goes; "" if not there."""
    try:
        return request.build_absolute_uri(reverse(name))
    except NoReverseMatch:
        return ""


def report_list(request: HttpRequest) -> HttpResponse:
    """The public half-year reports, newest first."""
    return TemplateResponse(
        request,
        "feedback/reports/list.html",
        {
            "reports": [
                (report, reports.period_label(report.period))
                for report in reports.published_reports()
            ]
        },
    )


def report_detail(request: HttpRequest, period: str) -> HttpResponse:
    """One report; staff who may change reports see a draft with ?voorbeeld=1."""
    preview = request.GET.get("voorbeeld") == "1" and reports.can_preview(request.user)
    report = reports.report_for(period, preview=preview)
    if report is None:
        raise Http404
    context = reports.build_context(report)
    response = TemplateResponse(
        request,
        "feedback/reports/detail.html",
        {
            "context": context,
            "report": report,
            "draft": not report.published,
            "method": reports.method_facts(),
            "page_url": request.build_absolute_uri(reverse("reports:detail", args=[period])),
            "synthetic_note": publish.SYNTHETIC_NOTE,
            "actions_url": request.build_absolute_uri(reverse("actions:list")),
            "dashboard_url": _absolute(request, "insights:public"),
        },
    )
    if preview:
        # A draft must never be stored by a cache or found by a search engine.
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex"
    return response
