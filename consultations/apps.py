"""Consultation rounds: youth-panel question sets and stakeholder comments on draft texts."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    """Consultations (filled by the consultations issue)."""

    name = "consultations"
    verbose_name = _("Consultaties")
