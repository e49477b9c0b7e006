"""The post-case survey and the learning loop."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Post-case survey and learning loop (filled by the survey and learning-loop issues)."""

    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        """Admin hooks kept in their own module (Wagtail only finds wagtail_hooks.py itself)."""
        from feedback import wagtail_hooks_learning  # noqa: F401
