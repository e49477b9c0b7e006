"""Delete case metadata and raw answers past their retention, keeping only the totals."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from feedback.retention import purge


class Command(BaseCommand):
    """`manage.py purge_feedback [--dry-run] [--now YYYY-MM-DD]`: safe daily; all or nothing."""

    help = (
        "Delete cases and raw survey answers older than SURVEY_RETENTION_MONTHS "
        f"({settings.SURVEY_RETENTION_MONTHS}), after adding their counts to the kept totals."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would happen, change nothing"
        )
        parser.add_argument(
            "--now", type=parse_day, help="run as on this day, YYYY-MM-DD (for tests)"
        )

    def handle(self, *args, **options):
        with transaction.atomic():
            report = purge(options.get("now") or timezone.now())
            if options["dry_run"]:
                transaction.set_rollback(True)
        prefix = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(f"Keeping data from {report.cutoff:%Y-%m} on.")
        self.stdout.write(
            f"{prefix}: {report.cases_deleted} cases, {report.invitations_deleted} invitations, "
            f"{report.responses_deleted} answers"
            + (f" (periods {', '.join(report.periods)})" if report.periods else "")
        )
        if report.drafts_submitted:
            self.stdout.write(f"Saved answers submitted first: {report.drafts_submitted}")
        self.stdout.write(
            f"Totals kept: {report.cells_added} new cells, {report.cells_updated} cells added to"
        )
        if not report.changed:
            self.stdout.write("Nothing was past its retention.")


def parse_day(text: str) -> datetime.datetime:
    """YYYY-MM-DD as the start of that day in the site's time zone."""
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--now takes a day as YYYY-MM-DD, not {text!r}.") from None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
