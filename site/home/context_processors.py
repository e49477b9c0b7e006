"""Template context shared by every page: main navigation and the language switch."""

from django.http import HttpRequest
from django.utils.translation import get_language
from wagtail.models import Site


def site_navigation(request: HttpRequest) -> dict:
    """The home page, its menu children and the other languages to switch to."""
    site = Site.find_for_request(request)
    home = site.root_page if site else None
    menu = home.get_children().live().in_menu() if home else []
    current = get_language()
    from django.conf import settings

    user = getattr(request, "user", None)
    registers_cases = False
    if user is not None and user.is_authenticated:
        from feedback.rules import can_register_cases

        registers_cases = can_register_cases(user)
    # A survey link holds its code in the path: the language switch never repeats it.
    path = request.get_full_path()
    language_next = "/m/" if path.startswith("/m/") else path
    return {
        "language_next": language_next,
        "registers_cases": registers_cases,
        "site_home": home,
        "main_menu": menu,
        "other_languages": [(code, name) for code, name in settings.LANGUAGES if code != current],
    }
