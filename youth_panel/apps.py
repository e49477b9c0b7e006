"""The youth panel (JPRA) and live polls over Channels."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YouthPanelConfig(AppConfig):
    """Youth panel and live polls (filled by the live-polls and consultations issues)."""

    name = "youth_panel"
    verbose_name = _("Jongerenpanel")
