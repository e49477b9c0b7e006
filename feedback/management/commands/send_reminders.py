"""Send the one reminder to respondents who have not answered or started."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from feedback.delivery import send_reminders


class Command(BaseCommand):
    """`manage.py send_reminders`: safe to run daily; nobody gets more than one reminder."""

    help = (
        "Mail reminders (with a new code) to e-mail invitations sent more than "
        "SURVEY_REMINDER_AFTER_DAYS ago that were not answered or started. Letters and texts "
        "wait on the providers' batch page."
    )

    def handle(self, *args, **options):
        report = send_reminders(timezone.now())
        self.stdout.write(f"Reminders e-mailed: {report.emailed}")
        if report.failed:
            self.stderr.write(
                f"Reminders that could not be sent (tried again tomorrow): {report.failed}"
            )
        self.stdout.write(f"Reminder letters waiting to be printed: {report.letters_waiting}")
        self.stdout.write(f"Reminder texts waiting for an SMS export: {report.sms_waiting}")
