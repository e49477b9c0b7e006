"""Consultation fixtures: a frozen clock, a consultation with a draft, organisations, personas.

Personas (who can do what):
- `member_a`: confirmed member of organisation A; comments for A only.
- `pending_member`: asked to join A, not yet confirmed; cannot comment.
- `reader`: signed in, no organisation; reads and flags.
- `policy_officer`: group Beleidsmedewerkers; answers comments in the admin.
- `moderator`: group Moderators; publishes or hides comments, cannot answer.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import Site

from consultations import phases
from consultations.models import (
    ConsultationIndexPage,
    ConsultationPage,
    Membership,
    Organisation,
)
from consultations.rules import MODERATORS_GROUP, POLICY_GROUP

DRAFT = """# 7. Een sterke sociale basis

Jongeren vinden steun in hun eigen omgeving.

We maken de sociale basis sterker.
Samen met partners.

De gemeente verbindt partijen.

# 8. Een stevig lokaal team

Het CJG is de plek voor hulp dichtbij.
"""

START = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)


class Clock:
    """A clock that tests set and move."""

    def __init__(self, now: datetime.datetime):
        self.now = now

    def __call__(self) -> datetime.datetime:
        return self.now

    def move(self, **delta) -> None:
        """Move the clock forward."""
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Frozen time for phases: START, moved by tests."""
    frozen = Clock(START)
    monkeypatch.setattr(phases, "now", frozen)
    return frozen


@pytest.fixture
def index_page(db) -> ConsultationIndexPage:
    """The consultations index below the home page."""
    home = Site.objects.get(is_default_site=True).root_page
    index = ConsultationIndexPage(title="Inspraak", slug="inspraak")
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


@pytest.fixture
def make_consultation(index_page, clock):
    """Make and publish a consultation; it opens a day before START and closes 2 weeks after."""

    def make(**fields) -> ConsultationPage:
        defaults = {
            "title": "Concept visie Jeugd",
            "slug": f"concept-{ConsultationPage.objects.count() + 1}",
            "summary": "Zeg wat u van de tekst vindt.",
            "audience": ConsultationPage.Audience.STAKEHOLDERS,
            "opens_at": START - datetime.timedelta(days=1),
            "closes_at": START + datetime.timedelta(days=14),
            "moderation": ConsultationPage.Moderation.AFTER,
            "draft_text": DRAFT,
        }
        page = ConsultationPage(**{**defaults, **fields})
        index_page.add_child(instance=page)
        page.save_revision().publish()
        return ConsultationPage.objects.get(pk=page.pk)

    return make


@pytest.fixture
def consultation(make_consultation) -> ConsultationPage:
    """An open consultation, moderated after publication."""
    return make_consultation()


@pytest.fixture
def org_a(db) -> Organisation:
    return Organisation.objects.create(name="Zorg A", kind=Organisation.Kind.CARE_PROVIDER)


@pytest.fixture
def org_b(db) -> Organisation:
    return Organisation.objects.create(name="School B", kind=Organisation.Kind.SCHOOL)


def _user(username: str, **extra):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", **extra
    )


@pytest.fixture
def member_a(org_a, org_b):
    """Confirmed for A; also asked for B, which staff did not confirm."""
    user = _user("lid-a")
    Membership.objects.create(user=user, organisation=org_a, confirmed_at=timezone.now())
    Membership.objects.create(user=user, organisation=org_b)
    return user


@pytest.fixture
def pending_member(org_a):
    user = _user("wacht")
    Membership.objects.create(user=user, organisation=org_a)
    return user


@pytest.fixture
def reader(db):
    return _user("lezer")


@pytest.fixture
def policy_officer(db):
    user = _user("beleid", is_staff=True)
    user.groups.add(Group.objects.get(name=POLICY_GROUP))
    return user


@pytest.fixture
def moderator(db):
    user = _user("moderator", is_staff=True)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user
