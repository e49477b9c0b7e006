"""Close expired codes: saved answers become anonymous answers, contact details go."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from feedback.retention import close_expired


class Command(BaseCommand):
    """`manage.py close_expired`: safe to run daily; a second run finds nothing to do."""

    help = "Submit the saved answers behind expired codes and clear their contact details."

    def handle(self, *args, **options):
        report = close_expired(timezone.now())
        self.stdout.write(f"Saved answers turned into anonymous answers: {report.drafts_submitted}")
        self.stdout.write(f"Contact details cleared: {report.contacts_cleared}")
