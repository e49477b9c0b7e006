"""Who may do what in consultations: named predicates, used by views and templates alike."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from consultations.models import Comment, ConsultationPage, Organisation

POLICY_GROUP = "Beleidsmedewerkers"  # answer comments, keep organisations, confirm members
MODERATORS_GROUP = "Moderators"  # Wagtail's own group: moderate comments


def confirmed_organisations(user) -> QuerySet[Organisation]:
    """The organisations this user may comment for (staff confirmed the membership)."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user, memberships__confirmed_at__isnull=False
    ).distinct()


def can_comment_for(user, organisation: Organisation) -> bool:
    """A member comments only for an organisation whose membership staff confirmed."""
    return confirmed_organisations(user).filter(pk=organisation.pk).exists()


def may_comment(user, consultation: ConsultationPage) -> bool:
    """Signed in, confirmed for an organisation, and the round takes draft comments.

    The phase is checked separately, so that a late comment gets a clear message.
    """
    return consultation.takes_draft_comments and confirmed_organisations(user).exists()


def can_moderate(user) -> bool:
    """Moderators hide or publish comments."""
    return getattr(user, "is_authenticated", False) and user.has_perm(
        "consultations.moderate_comment"
    )


def can_answer(user) -> bool:
    """Policy staff answer comments."""
    return getattr(user, "is_authenticated", False) and user.has_perm(
        "consultations.answer_comment"
    )


def can_see_all_comments(user) -> bool:
    """Staff who work with comments see staff-only and waiting ones too."""
    return can_moderate(user) or can_answer(user)


def visible_comments(user, consultation: ConsultationPage) -> QuerySet[Comment]:
    """The comments of a consultation this user may read on the public page.

    Everyone reads public, published comments; authors also see their own, marked as such.
    Staff read the rest in the admin, not on the public page.
    """
    comments = Comment.objects.filter(consultation=consultation)
    public = Q(visibility=Comment.Visibility.PUBLIC, status=Comment.Status.PUBLISHED)
    if getattr(user, "is_authenticated", False):
        return comments.filter(public | Q(author=user))
    return comments.filter(public)


def can_flag(user, comment: Comment) -> bool:
    """Anyone signed in may flag a comment they can read publicly."""
    return getattr(user, "is_authenticated", False) and comment.is_public


def can_make_posters(user) -> bool:
    """Staff with access to the Wagtail admin print posters and read the arrival counts."""
    return getattr(user, "is_authenticated", False) and user.has_perm("wagtailadmin.access_admin")
