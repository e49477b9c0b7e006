"""Dutch first: the interface is Dutch unless the visitor chose English with the switch.

The browser's Accept-Language is not used: a Dutch teenager with an English phone still gets
the Dutch site, and can switch. The choice lives in a cookie, which the page cache keys on.
"""

from collections.abc import Callable, Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


def language_from_cookies(cookies: Mapping[str, str]) -> str:
    """The chosen language if it is one we offer, otherwise the default (Dutch)."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return settings.LANGUAGE_CODE


class CookieLocaleMiddleware:
    """Activates the language from the cookie for each request (instead of LocaleMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_from_cookies(request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
