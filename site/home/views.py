"""Views outside the page tree: language switch, search, health, error pages."""

import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from home.models import GlossaryTerm

SEARCH_MAX_LENGTH = 200


@require_GET
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """Remember the chosen language in a cookie and go back to where the visitor was.

    A plain link instead of Django's POST form: pages stay free of CSRF tokens, so they can
    be cached for anonymous visitors, and choosing a language is harmless to repeat.
    """
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if check_for_language(code) and code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
            httponly=True,
        )
    return response


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Search all live pages and the glossary."""
    # Control characters (NUL among them) break the search backends' query syntax: a 500.
    typed = request.GET.get("q", "")
    query = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in typed)
    query = query.strip()[:SEARCH_MAX_LENGTH]
    pages = Page.objects.none()
    terms = GlossaryTerm.objects.none()
    # A double quote breaks the SQLite full-text query Wagtail builds (a 500 on `"x"y`).
    words = " ".join(query.replace('"', " ").split())
    if words:
        pages = Page.objects.live().public().specific().search(words)
        terms = get_search_backend().search(words, GlossaryTerm)[:5]
    paginator = Paginator(pages, 10)
    try:
        results = paginator.page(request.GET.get("pagina", 1))
    except (PageNotAnInteger, EmptyPage):
        results = paginator.page(1)
    return render(
        request,
        "home/search.html",
        {"query": query, "results": results, "terms": terms, "total": paginator.count},
    )


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Tell a load balancer whether the database and the cache answer."""
    status = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        status["database"] = "error"
    try:
        cache.set("health:probe", 1, timeout=5)
        if cache.get("health:probe") != 1:
            status["cache"] = "error"
    except Exception:  # noqa: BLE001
        status["cache"] = "error"
    healthy = all(value == "ok" for value in status.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **status}, status=200 if healthy else 503
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A 404 page in the site's look and language."""
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """A friendly 500 page; renders without context processors that might fail again."""
    from django.template import loader

    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=500)
