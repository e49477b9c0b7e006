"""Youth panel membership: joining, the parent's confirmation, invitations, unsubscribing,
and a member's own data (see it, take it along, delete it). Plain functions the views and
management commands call.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from youth_panel.models import (
    CONSENT_VERSION,
    PanelInvitation,
    PanelMember,
    PollSession,
    Vote,
)

logger = logging.getLogger(__name__)

_PARENT_SALT = "jeugdstem.youth_panel.parent-link"
_UNSUBSCRIBE_SALT = "jeugdstem.youth_panel.unsubscribe"
# A member can send the parent's mail again, but not more often than this.
PARENT_RESEND_MINUTES = 10


def site_root(request: HttpRequest | None = None) -> str:
    """The public address that links in mails point to, without a trailing slash."""
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or (
        request.build_absolute_uri("/") if request else ""
    )
    return base.rstrip("/")


def _message(subject_template: str, body_template: str, context: dict, to: str, headers=None):
    # Young people and parents get the municipality's language, whatever the sender browses in.
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(subject_template, context)
        body = render_to_string(body_template, context)
    message = mail.EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()),
        body=body,
        to=[to],
        headers=headers or {},
    )
    return message


# --- joining and the parent's confirmation ----------------------------------------------------


def parent_needed(age_band: str) -> bool:
    """Whether a member of this age band waits for a parent (under 16, when the setting is on)."""
    return (
        settings.YOUTH_PANEL_PARENTAL_CONSENT_UNDER_16 and age_band == PanelMember.AgeBand.AGE_12_15
    )


def join(
    user,
    *,
    age_band: str,
    district: str,
    school_type: str = "",
    now: datetime.datetime | None = None,
) -> PanelMember:
    """Make the user a panel member who consents now; joining twice keeps the first profile."""
    now = now or timezone.now()
    member, _created = PanelMember.objects.get_or_create(
        user=user,
        defaults={
            "age_band": age_band,
            "district": district,
            "school_type": school_type,
            "consent_version": CONSENT_VERSION,
            "consented_at": now,
            "needs_parent": parent_needed(age_band),
        },
    )
    return member


def hash_token(token: str) -> str:
    """The keyed hash that is stored instead of the parent's link token."""
    return salted_hmac(_PARENT_SALT, token, algorithm="sha256").hexdigest()


def link_days() -> int:
    """How many days the parent's link works."""
    return settings.YOUTH_PANEL_PARENT_LINK_DAYS


def may_mail_parent(member: PanelMember, now: datetime.datetime | None = None) -> bool:
    """Whether a (new) parent's mail may go out now: not too soon after the last one."""
    if not member.is_waiting:
        return False
    if member.parent_requested_at is None or not member.parent_token_hash:
        return True
    now = now or timezone.now()
    return now - member.parent_requested_at >= datetime.timedelta(minutes=PARENT_RESEND_MINUTES)


def ask_parent(
    member: PanelMember,
    parent_email: str,
    base_url: str,
    now: datetime.datetime | None = None,
) -> bool:
    """Mail the parent a single-use link; an earlier link stops working. True when sent."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    member.parent_email = parent_email
    member.parent_token_hash = hash_token(token)
    member.parent_requested_at = now
    context = {
        "member": member,
        "child_email": member.user.email,
        "url": base_url + reverse("panel:parent_confirm", args=[token]),
        "expires_at": now + datetime.timedelta(days=link_days()),
    }
    message = _message(
        "youth_panel/email/parent_subject.txt",
        "youth_panel/email/parent_message.txt",
        context,
        parent_email,
    )
    try:
        message.send()
    except Exception:
        logger.exception("parent mail for panel member %s failed", member.pk)
        return False
    member.save(update_fields=["parent_email", "parent_token_hash", "parent_requested_at"])
    return True


def find_parent_request(token: str, now: datetime.datetime | None = None) -> PanelMember | None:
    """The waiting member a parent's link belongs to; None when unknown, used or expired."""
    if not token or len(token) > 100:
        return None
    member = (
        PanelMember.objects.select_related("user")
        .filter(parent_token_hash=hash_token(token), parent_confirmed_at__isnull=True)
        .first()
    )
    if member is None or member.parent_requested_at is None:
        return None
    expires_at = member.parent_requested_at + datetime.timedelta(days=link_days())
    if expires_at <= (now or timezone.now()):
        return None
    return member


def confirm_parent(member: PanelMember, now: datetime.datetime | None = None) -> None:
    """The parent agreed: the member gets invitations; the parent's address and link are gone."""
    member.parent_confirmed_at = now or timezone.now()
    member.parent_email = ""
    member.parent_token_hash = ""
    member.save(update_fields=["parent_confirmed_at", "parent_email", "parent_token_hash"])


def purge_parent_addresses(now: datetime.datetime | None = None) -> int:
    """Delete parents' addresses and links older than the link's life; the number of members."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=link_days())
    return (
        PanelMember.objects.filter(parent_requested_at__lte=cutoff)
        .exclude(parent_email="", parent_token_hash="")
        .update(parent_email="", parent_token_hash="")
    )


# --- unsubscribing ----------------------------------------------------------------------------


def unsubscribe_token(member: PanelMember) -> str:
    """A signed token for the member's unsubscribe link; it never expires."""
    return signing.dumps(member.pk, salt=_UNSUBSCRIBE_SALT)


def member_for_unsubscribe(token: str) -> PanelMember | None:
    """The member an unsubscribe token belongs to, or None when it is not ours."""
    try:
        pk = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return PanelMember.objects.filter(pk=pk).first()


def unsubscribe_url(member: PanelMember, base_url: str) -> str:
    """The link at the bottom of every invitation."""
    return base_url + reverse("panel:unsubscribe", args=[unsubscribe_token(member)])


def unsubscribe(member: PanelMember, now: datetime.datetime | None = None) -> None:
    """Stop invitations to this member (again is harmless)."""
    if member.unsubscribed_at is None:
        member.unsubscribed_at = now or timezone.now()
        member.save(update_fields=["unsubscribed_at"])


def resubscribe(member: PanelMember) -> None:
    """Send invitations to this member again."""
    member.unsubscribed_at = None
    member.save(update_fields=["unsubscribed_at"])


# --- invitations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What the panel is invited to: an open consultation or a poll."""

    key: str
    title: str
    url: str
    is_poll: bool


class NotInvitable(Exception):
    """The consultation or poll is not open to the youth panel now."""


def consultation_target(page, base_url: str, now: datetime.datetime | None = None) -> Target:
    """An open consultation for the youth panel or everyone, as an invitation target."""
    from consultations.models import ConsultationPage

    page = page.specific
    now = now or timezone.now()
    if not page.live or not ConsultationPage.objects.filter(pk=page.pk).open_at(now).exists():
        raise NotInvitable(f"consultation {page.pk} is not open")
    if page.audience == ConsultationPage.Audience.STAKEHOLDERS:
        raise NotInvitable(f"consultation {page.pk} is for stakeholders only")
    return Target(
        f"consultation:{page.pk}", page.title, page.full_url or base_url + page.url, False
    )


def poll_target(session: PollSession, base_url: str) -> Target:
    """A poll that has not ended, as an invitation target."""
    if session.status == PollSession.Status.ENDED:
        raise NotInvitable(f"poll {session.join_code} has ended")
    url = base_url + reverse("polls:phone", args=[session.join_code])
    return Target(f"poll:{session.pk}", session.title, url, True)


def build_invitation(member: PanelMember, target: Target, base_url: str) -> mail.EmailMessage:
    """The invitation mail, with a one-click unsubscribe (RFC 8058 headers and a link)."""
    stop_url = unsubscribe_url(member, base_url)
    context = {"target": target, "unsubscribe_url": stop_url}
    return _message(
        "youth_panel/email/invitation_subject.txt",
        "youth_panel/email/invitation_message.txt",
        context,
        member.user.email,
        headers={
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


@dataclass
class InviteReport:
    """What one round of invitations did."""

    sent: int = 0
    already: int = 0
    failed: int = 0
    failed_members: list[int] = field(default_factory=list)


def invite(
    target: Target,
    base_url: str,
    *,
    age_bands: list[str] | None = None,
    districts: list[str] | None = None,
    dry_run: bool = False,
) -> InviteReport:
    """Mail every confirmed, subscribed member (optionally of some age bands or districts) once."""
    members = PanelMember.objects.invitable().select_related("user").order_by("pk")
    if age_bands:
        members = members.filter(age_band__in=age_bands)
    if districts:
        members = members.filter(district__in=districts)
    report = InviteReport()
    report.already = members.filter(invitations__target=target.key).count()
    members = members.exclude(invitations__target=target.key)
    if dry_run:
        report.sent = members.count()
        return report
    with mail.get_connection() as connection:
        for member in members.iterator():
            try:
                with transaction.atomic():
                    # Recorded first: a second run at the same time finds the row and skips.
                    PanelInvitation.objects.create(
                        member=member, target=target.key, title=target.title[:255]
                    )
                    message = build_invitation(member, target, base_url)
                    message.connection = connection
                    message.send()
            except IntegrityError:
                report.already += 1
            except Exception:
                logger.exception("panel invitation to member %s failed", member.pk)
                report.failed += 1
                report.failed_members.append(member.pk)
            else:
                report.sent += 1
    return report


# --- a member's own data ----------------------------------------------------------------------


def participant_key(user) -> str:
    """How counted polls store a vote of this account (see youth_panel.counted)."""
    return f"user:{user.pk}"


def collect_data(user) -> dict:
    """Everything stored about this account, for the data page and the JSON download."""
    from allauth.account.models import EmailAddress

    from consultations.models import Comment, Flag, Membership, YouthParticipation
    from feedback.models import StoryVote

    member = PanelMember.objects.filter(user=user).first()
    panel = None
    if member is not None:
        panel = {
            "age_band": member.age_band,
            "age_band_label": str(member.get_age_band_display()),
            "district": member.district,
            "district_label": str(member.get_district_display()),
            "school_type": member.school_type,
            "school_type_label": str(member.get_school_type_display())
            if member.school_type
            else "",
            "consent_version": member.consent_version,
            "consented_at": member.consented_at,
            "joined_at": member.joined_at,
            "parent_must_confirm": member.needs_parent,
            "parent_email": member.parent_email,
            "parent_mailed_at": member.parent_requested_at,
            "parent_confirmed_at": member.parent_confirmed_at,
            "unsubscribed_at": member.unsubscribed_at,
            "invitations": [
                {"title": invitation.title, "sent_at": invitation.sent_at}
                for invitation in member.invitations.all()
            ],
        }
    votes = (
        Vote.objects.filter(participant=participant_key(user))
        .select_related("question__session")
        .order_by("question__session_id", "question__sort_order", "pk")
    )
    comments = (
        Comment.objects.filter(author=user)
        .select_related("consultation", "organisation", "chapter", "paragraph")
        .order_by("created_at")
    )
    return {
        "exported_at": timezone.now(),
        "account": {
            "username": user.username,
            "email": user.email,
            "emails": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user).order_by("pk")
            ],
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "youth_panel": panel,
        "organisations": [
            {
                "organisation": membership.organisation.name,
                "requested_at": membership.requested_at,
                "confirmed_at": membership.confirmed_at,
            }
            for membership in Membership.objects.filter(user=user).select_related("organisation")
        ],
        "poll_votes": [
            {
                "poll": vote.question.session.title,
                "question": vote.question.text,
                "answer": vote.answer,
                "updated_at": vote.updated_at,
            }
            for vote in votes
        ],
        "comments": [
            {
                "consultation": comment.consultation.title,
                "about": str(comment.target_label),
                "organisation": comment.organisation.name,
                "text": comment.text,
                "visibility": str(comment.get_visibility_display()),
                "status": str(comment.get_status_display()),
                "created_at": comment.created_at,
                "answer": str(comment.get_answer_outcome_display())
                if comment.answer_outcome
                else "",
            }
            for comment in comments
        ],
        # That the member filled in a youth round, never what: the answers are not linked.
        "question_sets": [
            {"consultation": taking.consultation.title, "took_part_on": taking.took_part_on}
            for taking in YouthParticipation.objects.filter(user=user)
            .select_related("consultation")
            .order_by("took_part_on")
        ],
        "flags": [
            {"comment": flag.comment_id, "created_at": flag.created_at}
            for flag in Flag.objects.filter(user=user).order_by("created_at")
        ],
        # The story of the half-year the member chose, by its website text, and why.
        "story_votes": [
            {
                "half_year": vote.half_year,
                "story": vote.story.story_text,
                "why": vote.why,
                "updated_at": vote.updated_at,
            }
            for vote in StoryVote.objects.filter(voter=user)
            .select_related("story")
            .order_by("half_year")
        ],
    }


def may_delete_self(user) -> bool:
    """Participants delete their own account; staff accounts go through the municipality."""
    return user.is_authenticated and not (user.is_staff or user.is_superuser)


def delete_account(user) -> None:
    """Delete the account and everything that cascades from it.

    Poll votes are kept but cut loose from the account (a random participant id), so that
    poll results that were already shown do not change. Comments stay with their organisation
    without an author (Comment.author is SET_NULL); organisation memberships, flags, the panel
    profile and its invitation records, and the allauth e-mail addresses are deleted.
    """
    with transaction.atomic():
        votes = list(Vote.objects.filter(participant=participant_key(user)))
        for vote in votes:
            vote.participant = f"gone:{secrets.token_hex(16)}"
        Vote.objects.bulk_update(votes, ["participant"])
        user.delete()
