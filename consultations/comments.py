"""Placing, flagging and answering comments: plain functions that the views and admin call."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from consultations import phases
from consultations.models import Chapter, Comment, ConsultationPage, Flag, Organisation, Paragraph

logger = logging.getLogger(__name__)


class TokenTaken(Exception):
    """The form's token belongs to someone else's comment: the form must be sent afresh."""


@dataclass(frozen=True)
class Target:
    """What a comment is about: a chapter, or one paragraph of it."""

    chapter: Chapter
    paragraph: Paragraph | None = None

    @property
    def key(self) -> str:
        """The form's name for this target: "a12" (paragraph) or "h3" (chapter)."""
        return f"a{self.paragraph.pk}" if self.paragraph else f"h{self.chapter.pk}"

    @property
    def label(self) -> str:
        """How readers cite it."""
        if self.paragraph:
            return self.paragraph.label
        return str(self.chapter)

    @property
    def anchor(self) -> str:
        """The id on the consultation page."""
        return self.paragraph.anchor if self.paragraph else self.chapter.anchor


def find_target(consultation: ConsultationPage, key: str) -> Target | None:
    """The chapter or paragraph `key` names, in any version of this consultation."""
    kind, number = (key or "")[:1], (key or "")[1:]
    if not number.isdigit() or len(number) > 18:
        return None
    if kind == "a":
        paragraph = (
            Paragraph.objects.select_related("chapter__version")
            .filter(pk=int(number), chapter__version__consultation=consultation)
            .first()
        )
        return Target(paragraph.chapter, paragraph) if paragraph else None
    if kind == "h":
        chapter = (
            Chapter.objects.select_related("version")
            .filter(pk=int(number), version__consultation=consultation)
            .first()
        )
        return Target(chapter) if chapter else None
    return None


def place_comment(
    *,
    user,
    consultation: ConsultationPage,
    target: Target,
    organisation: Organisation,
    text: str,
    visibility: str,
    token: uuid.UUID,
) -> tuple[Comment, bool]:
    """Store a comment once per form token; return it and whether it is new.

    The caller checked the phase and that the user may comment for the organisation.
    """
    existing = Comment.objects.filter(submission_token=token).first()
    if existing is not None:
        if existing.author_id != user.pk:
            raise TokenTaken
        return existing, False
    status = (
        Comment.Status.PENDING
        if consultation.moderation == ConsultationPage.Moderation.BEFORE
        else Comment.Status.PUBLISHED
    )
    try:
        with transaction.atomic():
            comment = Comment.objects.create(
                consultation=consultation,
                version=target.chapter.version,
                chapter=target.chapter,
                paragraph=target.paragraph,
                organisation=organisation,
                author=user,
                text=text,
                visibility=visibility,
                status=status,
                submission_token=token,
            )
    except IntegrityError:
        # The same form arrived twice at once: the other request stored it.
        existing = Comment.objects.get(submission_token=token)
        if existing.author_id != user.pk:
            raise TokenTaken from None
        return existing, False
    return comment, True


def flag_comment(user, comment: Comment) -> bool:
    """Record that `user` flags `comment`; False when they had flagged it before."""
    try:
        with transaction.atomic():
            _, created = Flag.objects.get_or_create(comment=comment, user=user)
    except IntegrityError:
        return False
    return created


def record_answer(comment: Comment, user) -> None:
    """Stamp a first answer with who and when, and mail the author once it is stored."""
    if not comment.answer_outcome or comment.answered_at is not None:
        return
    comment.answered_at = phases.now()
    comment.answered_by = user
    if comment.author_notified_at is None:
        pk = comment.pk
        transaction.on_commit(lambda: notify_author(Comment.objects.get(pk=pk)))


def notify_author(comment: Comment) -> bool:
    """Mail the author that their comment has an answer (plain Dutch text); True when sent."""
    author = comment.author
    if author is None or not author.email or comment.author_notified_at is not None:
        return False
    consultation = comment.consultation.specific
    context = {
        "comment": comment,
        "consultation": consultation,
        "url": f"{consultation.full_url or ''}#reactie-{comment.pk}",
        "outcome": comment.get_answer_outcome_display(),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("consultations/email/answer_subject.txt", context).strip()
        body = render_to_string("consultations/email/answer_message.txt", context)
    try:
        mail.send_mail(
            settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
            body,
            None,
            [author.email],
        )
    except Exception:
        # The answer is saved and shown on the site; a failed mail must not undo that.
        logger.exception("answer mail for comment %s failed", comment.pk)
        return False
    Comment.objects.filter(pk=comment.pk).update(author_notified_at=phases.now())
    return True
