"""Write waiting answers as anonymous answers: in batches, or when the oldest waited too long."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from feedback.models import SurveyDraft
from feedback.survey import release_answers


class Command(BaseCommand):
    """`manage.py release_answers` (every 15 minutes): safe to run at any time."""

    help = "Release submitted answers in batches (see SURVEY_RELEASE_BATCH)."

    def handle(self, *args, **options):
        waiting = SurveyDraft.objects.filter(submitted=True)
        count = waiting.count()
        deadline = timezone.now() - datetime.timedelta(hours=settings.SURVEY_RELEASE_MAX_HOURS)
        if (
            count >= settings.SURVEY_RELEASE_BATCH
            or waiting.filter(updated_at__lt=deadline).exists()
        ):
            released = release_answers()
            self.stdout.write(f"Released {released} answers.")
        else:
            self.stdout.write(f"{count} answers waiting for a batch; nothing released.")
