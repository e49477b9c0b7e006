"""The post-case survey and the learning loop."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Post-case survey and learning loop (filled by the survey and learning-loop issues)."""

    name = "feedback"
    verbose_name = _("Feedback")
