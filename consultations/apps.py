"""Consultation rounds: youth-panel question sets and stakeholder comments on draft texts."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    """Consultations: pages with phases, draft texts, organisations, comments and answers."""

    name = "consultations"
    verbose_name = _("Consultaties")

    def ready(self) -> None:
        from consultations import signals  # noqa: F401
        from consultations.groups import ensure_groups

        post_migrate.connect(ensure_groups, dispatch_uid="consultations-groups")
