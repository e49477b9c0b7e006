"""Who may run a poll session: named predicates for views, sockets and templates."""

from __future__ import annotations

from youth_panel.models import PollSession


def can_host(user, session: PollSession) -> bool:
    """Staff with rights on this session: its hosts, or staff who may change every session."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.has_perm("youth_panel.change_pollsession"):
        return True
    return session.hosts.filter(pk=user.pk).exists()


def can_see_results(user, session: PollSession) -> bool:
    """After the session, results are public when the session says so; hosts always see them."""
    if can_host(user, session):
        return True
    return session.status == PollSession.Status.ENDED and session.results_public
