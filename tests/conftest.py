"""Shared fixtures and personas.

Transactional tests (`transaction=True`) must also ask for `serialized_rollback=True`: the
flush after a plain transactional test re-creates content types, which then clash with the
data that a serialized-rollback test restores.

Personas (who can do what):
- `visitor`: anonymous, reads the public site, gets cached pages.
- `participant`: signed in with an e-mail code; no password, no admin access.
- `staff`: the demo policy officer from `seed_demo`; Wagtail admin, editors and moderators.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from home.seed import seed


@pytest.fixture(autouse=True)
def _clear_cache():
    """Every test starts with an empty cache (pages, glossary terms)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seeded(db):
    """The demo site as `seed_demo` builds it."""
    report, login = seed()
    return report


@pytest.fixture
def staff(seeded):
    """The demo policy officer."""
    return get_user_model().objects.get(username="beheer")


@pytest.fixture
def participant(db):
    """A participant who signed up with an e-mail code."""
    from allauth.account.models import EmailAddress

    user = get_user_model().objects.create_user(username="deelnemer-test", email="sam@example.org")
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
