"""Delete parents' e-mail addresses that are past YOUTH_PANEL_PARENT_LINK_DAYS."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from youth_panel.panel import purge_parent_addresses


class Command(BaseCommand):
    """`manage.py purge_panel`: safe to run daily, next to purge_feedback."""

    help = (
        "Delete parents' e-mail addresses and links older than YOUTH_PANEL_PARENT_LINK_DAYS "
        f"({settings.YOUTH_PANEL_PARENT_LINK_DAYS} days). Confirmation deletes them at once."
    )

    def handle(self, *args, **options):
        count = purge_parent_addresses(timezone.now())
        self.stdout.write(f"Deleted the parent's address of {count} panel members.")
