"""Send the e-mail invitations that have not gone out yet."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from feedback.delivery import send_unsent_emails


class Command(BaseCommand):
    """`manage.py send_invitations`: safe to run often; each invitation is mailed once."""

    help = "Mail unsent e-mail invitations, each with a fresh code."

    def handle(self, *args, **options):
        sent = send_unsent_emails(timezone.now())
        self.stdout.write(f"E-mail invitations sent: {sent}")
