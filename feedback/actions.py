"""Jullie zeiden, wij deden: the public list of actions and the mail to authors of cited comments.

Plain functions that the public view, the admin and the demo call. What a cited comment may show
to the public is decided here, in one place: a public comment links to its consultation page
(never with an author's name), a staff-only comment shows only that it exists, and a comment
that is not (yet) public shows neither text nor link.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from consultations.models import Comment
from feedback import stories
from feedback.delivery import site_root
from feedback.indicators import INDICATORS
from feedback.models import Action, ActionNotice
from home.models import CoreTask
from youth_panel import rules as poll_rules
from youth_panel.models import PollSession

logger = logging.getLogger(__name__)

EXCERPT_WORDS = 30


@dataclass(frozen=True)
class CitedComment:
    """A cited comment as the public may see it: text and link only when it is public."""

    kind: str  # "public", "staff_only" or "not_public"
    url: str = ""
    consultation_title: str = ""
    target_label: str = ""
    excerpt: str = ""


@dataclass(frozen=True)
class CitedPoll:
    """A cited poll: its title, and the link to its results when those are public."""

    title: str
    url: str = ""


@dataclass
class PublicAction:
    """One action with the input that led to it, ready for the public page."""

    action: Action
    comments: list[CitedComment] = field(default_factory=list)
    polls: list[CitedPoll] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    stories: list = field(default_factory=list)  # feedback.stories.PublicStory

    @property
    def has_input(self) -> bool:
        """Whether the action cites any input."""
        return bool(self.comments or self.polls or self.indicators or self.stories)


@dataclass(frozen=True)
class ListedAction:
    """An action in one group; its anchor is "actie-<pk>" where it is first listed."""

    anchor: str
    item: PublicAction


@dataclass
class CoreTaskGroup:
    """The published actions under one core task (or under none: `core_task` is None)."""

    core_task: CoreTask | None
    actions: list[ListedAction]

    @property
    def anchor(self) -> str:
        """The id of this group's heading on the page."""
        return f"kernopgave-{self.core_task.number}" if self.core_task else "overig"


def cited_comment(comment: Comment) -> CitedComment:
    """What the public may see of a cited comment."""
    if comment.visibility == Comment.Visibility.STAFF_ONLY:
        return CitedComment(kind="staff_only")
    consultation = comment.consultation
    if not comment.is_public or not consultation.live:
        return CitedComment(kind="not_public")
    base = consultation.url or ""
    return CitedComment(
        kind="public",
        url=f"{base}#reactie-{comment.pk}" if base else "",
        consultation_title=consultation.title,
        target_label=str(comment.target_label),
        excerpt=Truncator(comment.text).words(EXCERPT_WORDS),
    )


def cited_poll(session: PollSession) -> CitedPoll:
    """A cited poll, linked to its results only when anyone may see them."""
    if poll_rules.can_see_results(AnonymousUser(), session):
        return CitedPoll(session.title, reverse("polls:results", args=[session.join_code]))
    return CitedPoll(session.title)


def public_action(action: Action) -> PublicAction:
    """An action with its cited input in the form the public may see."""
    return PublicAction(
        action=action,
        comments=[cited_comment(comment) for comment in action.comments.all()],
        polls=[cited_poll(session) for session in action.poll_sessions.all()],
        indicators=[
            str(INDICATORS[key].label) for key in action.indicator_keys if key in INDICATORS
        ],
        stories=stories.cited(action),
    )


def published_actions_by_core_task() -> list[CoreTaskGroup]:
    """Published actions per core task, in the order of the core tasks; then those without one.

    An action with two core tasks is listed under both.
    """
    actions = (
        Action.objects.published()
        .order_by("-planned_on", "-first_published_at", "pk")
        .prefetch_related(
            "core_tasks",
            "poll_sessions",
            Prefetch(
                "comments",
                queryset=Comment.objects.select_related(
                    "consultation", "chapter", "paragraph__chapter"
                ).order_by("created_at", "pk"),
            ),
        )
    )
    shown = [public_action(action) for action in actions]
    anchored: set[int] = set()

    def listed(item: PublicAction, suffix: str) -> ListedAction:
        pk = item.action.pk
        anchor = f"actie-{pk}" if pk not in anchored else f"actie-{pk}-{suffix}"
        anchored.add(pk)
        return ListedAction(anchor, item)

    groups = []
    for core_task in CoreTask.objects.order_by("number"):
        under = [
            listed(item, str(core_task.number))
            for item in shown
            if core_task in item.action.core_tasks.all()
        ]
        if under:
            groups.append(CoreTaskGroup(core_task, under))
    rest = [listed(item, "overig") for item in shown if not item.action.core_tasks.all()]
    if rest:
        groups.append(CoreTaskGroup(None, rest))
    return groups


# --- publishing and mail ------------------------------------------------------------------------


def after_save(action: Action, base_url: str = "") -> None:
    """Stamp a first publication and, once the save is committed, mail the cited authors."""
    if not action.published:
        return
    if action.first_published_at is None:
        action.first_published_at = timezone.now()
        Action.objects.filter(pk=action.pk).update(first_published_at=action.first_published_at)
    pk = action.pk
    transaction.on_commit(lambda: notify_cited_authors(Action.objects.get(pk=pk), base_url))


def notify_cited_authors(action: Action, base_url: str = "") -> int:
    """Mail each author of a comment this published action cites, once per comment; the count.

    Comments that a moderator hid are skipped. A notice is stored before the mail goes out, so
    two saves at once cannot both mail; when the mail fails, the notice is removed again and the
    next save tries once more.
    """
    if not action.published:
        return 0
    comments = (
        action.comments.exclude(status=Comment.Status.HIDDEN)
        .exclude(action_notices__action=action)
        .select_related("author", "consultation", "chapter", "paragraph__chapter")
    )
    page_url = (base_url or site_root()) + reverse("actions:list") + f"#actie-{action.pk}"
    sent = 0
    for comment in comments:
        author = comment.author
        if author is None or not author.email:
            continue
        try:
            with transaction.atomic():
                notice = ActionNotice.objects.create(action=action, comment=comment)
        except IntegrityError:
            continue  # another save mailed this author already
        if _send_action_mail(action, comment, author.email, page_url):
            sent += 1
        else:
            notice.delete()
    return sent


def _send_action_mail(action: Action, comment: Comment, address: str, url: str) -> bool:
    """The mail to one author (plain Dutch text); True when sent."""
    context = {
        "action": action,
        "comment": comment,
        "consultation": comment.consultation,
        "status": action.get_status_display(),
        "url": url,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("feedback/actions/email/cited_subject.txt", context).strip()
        body = render_to_string("feedback/actions/email/cited_message.txt", context)
    try:
        mail.send_mail(
            settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
            body,
            None,
            [address],
        )
    except Exception:
        # The action is saved and shown on the site; a failed mail must not undo that.
        logger.exception("action mail for action %s, comment %s failed", action.pk, comment.pk)
        return False
    return True


# --- demo -------------------------------------------------------------------------------------

# Demo actions, each linked to seeded input: (title, description, heard, status, core task slug,
# words that find the cited comments of the demo consultation, poll join code, indicator keys).
_DEMO_ACTIONS = (
    (
        "Meer kennis over autisme en ADHD in de wijkteams",
        "De wijkteams krijgen dit jaar een training over autisme en ADHD. Ouders en jongeren "
        "helpen mee om de training te maken.",
        "Partners zeiden: in de wijkteams is te weinig kennis over autisme en ADHD.",
        "in_progress",
        "stevig-lokaal-team",
        ("autisme",),
        "",
        ["agree_taken_seriously"],
    ),
    (
        "Een plan met acties bij de visie",
        "Bij de nieuwe visie komt een uitvoeringsplan. Daarin staat per kernopgave wat we doen, "
        "wie het doet en wanneer het klaar is.",
        "Partners zeiden: mooie uitgangspunten, maar hoe gaan jullie het doen?",
        "planned",
        "duurzaam-betaalbaar-jeugdstelsel",
        ("We missen de hoe", "geen acties"),
        "",
        [],
    ),
    (
        "De weg naar hulp op één plek",
        "Op de website van het CJG staat nu op één pagina waar je met welke vraag terecht kunt. "
        "Jongeren van de JPRA hebben de tekst getest.",
        "Jongeren zeiden in de peiling: ik weet niet goed waar ik met een vraag heen kan.",
        "done",
        "sterke-sociale-basis",
        (),
        "JPRA26",
        ["carry_on", "response_rate"],
    ),
)


def seed_demo_actions() -> str:
    """Three published demo actions linked to the demo's comments, poll and indicators; once."""
    today = timezone.localdate()
    created = 0
    for title, description, heard, status, slug, words, code, keys in _DEMO_ACTIONS:
        if Action.objects.filter(title=title).exists():
            continue
        action = Action.objects.create(
            title=title,
            description=description,
            heard=heard,
            status=status,
            planned_on=today.replace(day=1),
            started_on=today.replace(day=1) if status != "planned" else None,
            done_on=today if status == "done" else None,
            indicator_keys=keys,
            published=True,
            # Set by hand, so seeding mails nobody (the admin mails on first publication).
            first_published_at=timezone.now(),
        )
        action.core_tasks.set(CoreTask.objects.filter(slug=slug))
        for word in words:
            action.comments.add(*Comment.objects.filter(text__icontains=word))
        if code:
            action.poll_sessions.set(PollSession.objects.filter(join_code=code))
        created += 1
    return f"Demo actions: {created} created."
