"""Close expired codes: saved answers become anonymous answers, contact details go."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from feedback.delivery import UNSENT_EMAIL_DAYS
from feedback.management.commands.purge_feedback import parse_day
from feedback.retention import close_expired


class Command(BaseCommand):
    """`manage.py close_expired [--now YYYY-MM-DD]`: safe daily; a second run does nothing."""

    help = (
        "Submit the saved answers behind expired codes; clear the contact details of expired "
        "codes, of no-invite cases, and of e-mail invitations still unsent after "
        f"{UNSENT_EMAIL_DAYS} days (those are not tried again)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", type=parse_day, help="run as on this day, YYYY-MM-DD (for tests)"
        )

    def handle(self, *args, **options):
        report = close_expired(options.get("now") or timezone.now())
        self.stdout.write(f"Saved answers turned into anonymous answers: {report.drafts_submitted}")
        self.stdout.write(f"Contact details cleared: {report.contacts_cleared}")
        if report.unsent_given_up:
            self.stdout.write(
                f"Of which e-mails unsent after {UNSENT_EMAIL_DAYS} days, given up: "
                f"{report.unsent_given_up}"
            )
