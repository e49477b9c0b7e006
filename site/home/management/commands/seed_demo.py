"""Import the demo content and create the demo staff login."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consultations.demo import seed_demo_consultation
from feedback.actions import seed_demo_actions
from feedback.reports import seed_demo_report
from feedback.stories import seed_demo_stories
from feedback.synthetic import seed_synthetic_feedback
from home.content import ContentError
from home.seed import seed
from youth_panel.demo import seed_demo_poll


class Command(BaseCommand):
    """`manage.py seed_demo [--content DIR]`: safe to run again; unchanged files change nothing."""

    help = "Build the demo site (vision, glossary, updates) from the content files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--content", type=Path, help="content folder (default: the bundled one)"
        )

    def handle(self, *args, **options):
        try:
            report, (username, password) = seed(options.get("content"))
        except ContentError as exc:
            raise CommandError(f"Demo content is broken; nothing was changed.\n{exc}") from exc
        for path in report.created:
            self.stdout.write(f"created  {path}")
        for path in report.updated:
            self.stdout.write(f"updated  {path}")
        if not report.changed:
            self.stdout.write("Nothing to do: the demo content is up to date.")
        # Synthetic closed cases and answers, so the survey and learning loop have data to show.
        self.stdout.write(str(seed_synthetic_feedback()))
        # Approved demo stories with their website text, panel votes and a story of the half-year.
        self.stdout.write(seed_demo_stories())
        # A live poll that the demo staff member can start at once.
        self.stdout.write(seed_demo_poll())
        # An open consultation on the draft vision with the comments of the seed's Bijlage 2.
        self.stdout.write(seed_demo_consultation())
        # "Jullie zeiden, wij deden": actions linked to the demo's comments, poll and figures.
        self.stdout.write(seed_demo_actions())
        # A published half-year report whose analysis is written from the demo figures.
        self.stdout.write(seed_demo_report())
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo staff login (Wagtail admin at /beheer/):\n"
                f"  username: {username}\n  password: {password}"
                + ("" if report.staff_created else "  (unless it was changed since)")
            )
        )
