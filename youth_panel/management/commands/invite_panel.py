"""Invite the youth panel by e-mail to an open consultation or a running poll."""

from django.core.management.base import BaseCommand, CommandError

from youth_panel import panel
from youth_panel.models import DISTRICT_ELSEWHERE, DISTRICTS, PanelMember, PollSession


class Command(BaseCommand):
    """`manage.py invite_panel (--consultation ID | --poll CODE) [--age-band 12-15] [--district X]`.

    Only members who are confirmed (or need no parent) and did not unsubscribe get a mail; nobody
    gets the same invitation twice, so running it again only reaches new members.
    """

    help = "Mail the youth panel an invitation to an open consultation or a poll."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--consultation", type=int, help="page id of an open consultation")
        target.add_argument("--poll", help="join code of a poll that has not ended")
        parser.add_argument(
            "--age-band",
            action="append",
            choices=PanelMember.AgeBand.values,
            help="only this age band (may be given more than once)",
        )
        parser.add_argument(
            "--district",
            action="append",
            choices=[*DISTRICTS, DISTRICT_ELSEWHERE],
            help="only this district or village (may be given more than once)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, send nothing")

    def handle(self, *args, **options):
        base_url = panel.site_root()
        try:
            if options["consultation"] is not None:
                from consultations.models import ConsultationPage

                page = ConsultationPage.objects.filter(pk=options["consultation"]).first()
                if page is None:
                    raise CommandError(f"No consultation with id {options['consultation']}.")
                target = panel.consultation_target(page, base_url)
            else:
                session = PollSession.objects.filter(join_code=options["poll"].upper()).first()
                if session is None:
                    raise CommandError(f"No poll with join code {options['poll']}.")
                target = panel.poll_target(session, base_url)
        except panel.NotInvitable as error:
            raise CommandError(f"Cannot invite: {error}.") from None
        report = panel.invite(
            target,
            base_url,
            age_bands=options["age_band"],
            districts=options["district"],
            dry_run=options["dry_run"],
        )
        prefix = "Would send" if options["dry_run"] else "Sent"
        self.stdout.write(
            f"{prefix} {report.sent} invitations to {target.title!r}; "
            f"{report.already} members had it already; {report.failed} failed."
        )
