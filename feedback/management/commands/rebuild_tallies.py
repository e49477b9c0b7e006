"""Recount the pre-counted indicator tallies from the raw answers, cases and invitations."""

from django.core.management.base import BaseCommand

from feedback import tally


class Command(BaseCommand):
    """`manage.py rebuild_tallies`: after restoring a backup or loading data by hand."""

    help = "Recount the pre-counted indicator tallies from the raw rows."

    def handle(self, *args, **options) -> None:
        """Rebuild and say how many cells were written."""
        cells = tally.rebuild()
        self.stdout.write(f"{cells} cells written.")
