"""The Wagtail site: home page, the vision, glossary, participation trail and updates."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """Connects the page-cache purge to Wagtail's publishing signals."""

    name = "home"
    verbose_name = _("Website")

    def ready(self) -> None:
        from home import signals  # noqa: F401
