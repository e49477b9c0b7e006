"""Deleting an account leaves no personal data behind (issue 7, item 9).

For each kind of account (a young person in the youth panel, a stakeholder who commented for an
organisation, a staff member) the real deletion path runs: 'Mijn gegevens' > 'Verwijderen' for
participants, the Wagtail admin's user delete for staff (staff cannot delete themselves). Then
every column of every table (get_models, link tables included) is searched for the person's
e-mail addresses, names and other words that are theirs, and for ids pointing to the account:
foreign keys, generic object ids, 'user:<id>' poll voters and login sessions. Only what the
privacy register (docs/privacy-register.toml) keeps on purpose may stay: a stakeholder's comment
text, kept for the consultation record without its author.
"""

from __future__ import annotations

import datetime
import json
import tomllib
import uuid
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.consultations.conftest import (  # noqa: F401  (fixtures)
    clock,
    consultation,
    index_page,
    make_consultation,
)
from tests.feedback.test_stories import make_story

ROOT = Path(__file__).resolve().parents[2]
# Kept on purpose (privacy register): the comment stays in the consultation record, the author
# link is emptied (consultations.Comment retention). Only the text the person wrote may remain.
KEPT = {"consultations.Comment.text"}


def _register() -> dict:
    with (ROOT / "docs" / "privacy-register.toml").open("rb") as file:
        return tomllib.load(file)


# Keys under which Wagtail's JSON (saved page versions, log data) stores an account id.
USER_KEYS = {"owner", "locked_by", "user", "user_id", "uploaded_by_user", "requested_by"}


def _user_ids(value) -> set:
    """Account ids stored in JSON under USER_KEYS, at any depth."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in USER_KEYS and isinstance(item, int):
                found.add(item)
            found |= _user_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _user_ids(item)
    return found


def leftovers(user_pk: int, markers: list[str]) -> list[str]:
    """Every place in the database that still holds one of the markers or points to the user."""
    user_model = get_user_model()
    user_type = ContentType.objects.get_for_model(user_model)
    markers = [marker.lower() for marker in markers] + [f"user:{user_pk}"]
    account = (user_type.pk, str(user_pk))
    found = []
    scanned = 0
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        fields = meta.concrete_fields
        names = {field.name for field in fields}
        for obj in model._base_manager.all().iterator():
            for field in fields:
                where = f"{meta.label}.{field.name}"
                value = getattr(obj, field.attname)
                scanned += 1
                if field.is_relation:
                    if field.related_model is user_model and value == user_pk:
                        found.append(f"{where} -> deleted account {user_pk} (row {obj.pk})")
                    continue
                if value is None or where in KEPT:
                    continue
                if isinstance(value, dict | list) and user_pk in _user_ids(value):
                    found.append(f"{where} names deleted account {user_pk} (row {obj.pk})")
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                hits = [marker for marker in markers if marker in text.lower()]
                if hits:
                    found.append(f"{where} holds {hits} (row {obj.pk})")
            # Generic relations: a content type and an object id (admin and Wagtail logs, tags).
            generic = {"content_type", "object_id"} <= names
            if generic and (obj.content_type_id, str(obj.object_id)) == account:
                found.append(f"{meta.label}.object_id -> deleted account (row {obj.pk})")
    for session in Session.objects.all():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_pk):
            found.append(f"sessions.Session {session.session_key[:6]}... is still logged in")
    leftovers.scanned = scanned
    return found


def _two_devices(user) -> tuple[Client, Client]:
    """The person is logged in on a phone and a laptop."""
    phone, laptop = Client(), Client()
    phone.force_login(user)
    laptop.force_login(user)
    return phone, laptop


def _participant(username: str, email: str, **extra):
    user = get_user_model().objects.create_user(username=username, email=email, **extra)
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def young_person(consultation):  # noqa: F811
    """A panel member of 14 whose parent was mailed, with votes, a story vote and answers."""
    from consultations.models import Comment, Flag, YouthParticipation
    from feedback.models import StoryVote
    from youth_panel import panel
    from youth_panel.models import PanelInvitation, PanelMember, PollQuestion, PollSession, Vote

    user = _participant("deelnemer-5e1f0a", "noor.jansen@example.org")
    address = EmailAddress.objects.create(user=user, email="noor.school@example.org")
    EmailConfirmation.objects.create(email_address=address, key="n" * 64, sent=timezone.now())
    member = panel.join(user, age_band=PanelMember.AgeBand.AGE_12_15, district="Oudorp")
    member.parent_email = "ouder.van.noor@example.org"
    member.parent_token_hash = "a" * 64
    member.parent_requested_at = timezone.now()
    member.save()
    PanelInvitation.objects.create(member=member, target="poll:1", title="Poll over de buurt")
    session = PollSession.objects.create(title="Buurtpoll", join_code="NOOR12")
    question = PollQuestion.objects.create(session=session, text="Wat vind jij?", kind="single")
    Vote.objects.create(question=question, participant=panel.participant_key(user), answer="Ja")
    story = make_story("Iemand luisterde echt naar mij.")
    StoryVote.objects.create(
        half_year="2026-H1", story=story, voter=user, why="Noorjanswaarom dit verhaal"
    )
    YouthParticipation.objects.create(
        consultation=consultation, user=user, took_part_on=datetime.date(2026, 3, 2)
    )
    comment = Comment.objects.create(
        consultation=consultation,
        version=consultation.versions.first(),
        chapter=consultation.versions.first().chapters.first(),
        organisation=_organisation(),
        author=_participant("deelnemer-other", "other@example.org"),
        text="Een reactie van iemand anders.",
        submission_token=uuid.uuid4(),
    )
    Flag.objects.create(comment=comment, user=user)
    return user


def _organisation():
    from consultations.models import Organisation

    return Organisation.objects.get_or_create(name="Buurthuis De Brug", kind="other")[0]


@pytest.fixture
def stakeholder(consultation):  # noqa: F811
    """A worker of an organisation, confirmed, who commented and was answered and mailed."""
    from consultations.models import Comment, Membership
    from feedback.models import Action, ActionNotice

    user = get_user_model().objects.create_user(
        username="fatima.bakker",
        email="fatima.bakker@debrug.example.org",
        first_name="Fatima",
        last_name="Bakkerova",
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    organisation = _organisation()
    Membership.objects.create(user=user, organisation=organisation, confirmed_at=timezone.now())
    version = consultation.versions.first()
    comment = Comment.objects.create(
        consultation=consultation,
        version=version,
        chapter=version.chapters.first(),
        organisation=organisation,
        author=user,
        text="Wij zien dat jongeren in de wijk weinig plekken hebben.",
        submission_token=uuid.uuid4(),
    )
    action = Action.objects.create(title="Meer plekken", description="Een nieuwe ruimte.")
    ActionNotice.objects.create(action=action, comment=comment)
    return user


@pytest.fixture
def staff_member(db):
    """A policy officer who did things in the admin and the apps."""
    from django.contrib.admin.models import CHANGE, LogEntry
    from wagtail.models import Page, PageLogEntry
    from wagtail.users.models import UserProfile

    from feedback.models import Case, Provider
    from youth_panel.models import PollSession

    user = get_user_model().objects.create_user(
        username="pietbeleid",
        email="piet.ambtenaarsen@gemeente.example.org",
        password="Zeer-geheim-1234",
        first_name="Piet",
        last_name="Ambtenaarsen",
        is_staff=True,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    UserProfile.get_for_user(user)
    session = PollSession.objects.create(title="Raadspoll", join_code="PIET12")
    session.hosts.add(user)
    provider = Provider.objects.create(name="Zorg Noord")
    provider.members.add(user)
    Case.objects.create(
        reference="Z-1",
        provider=provider,
        help_type="ambulant",
        referrer="gp",
        start_month=datetime.date(2025, 1, 1),
        end_month=datetime.date(2025, 6, 1),
        end_reason="planned",
        district="Oudorp",
        age_band="12-15",
        created_by=user,
    )
    home = Page.objects.get(depth=2).specific
    home.owner = user
    home.locked = True
    home.locked_by = user
    home.locked_at = timezone.now()
    home.save()
    home.save_revision(user=user)
    PageLogEntry.objects.log_action(home, "wagtail.edit", user=user)
    LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(Page),
        object_id=str(home.pk),
        object_repr="Home",
        action_flag=CHANGE,
    )
    return user


def _delete_yourself(user) -> list:
    phone, laptop = _two_devices(user)
    url = reverse("panel:delete")
    assert phone.get(url).status_code == 200
    response = phone.post(url)
    assert response.status_code == 200
    assert get_user_model().objects.filter(pk=user.pk).count() == 0
    # The laptop's session is no longer logged in either.
    assert laptop.get(reverse("panel:my_data")).status_code == 302
    return [phone, laptop]


def test_a_young_person_who_deletes_their_account_leaves_no_personal_data(young_person):
    pk = young_person.pk
    mail.outbox.clear()

    _delete_yourself(young_person)

    markers = ["noor.jansen", "noor.school", "ouder.van.noor", "deelnemer-5e1f0a", "noorjans"]
    assert leftovers(pk, markers) == []
    assert leftovers.scanned > 100
    from consultations.models import Comment, Flag
    from youth_panel.models import Vote

    # The poll result that was shown does not change: the vote stays, without its voter.
    assert Vote.objects.get().participant.startswith("gone:")
    # Someone else's comment that she flagged is still there; the flag is gone.
    assert Comment.objects.count() == 1 and Flag.objects.count() == 0
    assert mail.outbox == []


def test_a_stakeholder_who_deletes_their_account_leaves_only_the_comment_text(stakeholder):
    from consultations.models import Comment, Membership
    from feedback.models import ActionNotice

    pk = stakeholder.pk

    _delete_yourself(stakeholder)

    markers = ["fatima", "bakkerova", "debrug.example.org"]
    assert leftovers(pk, markers) == []
    comment = Comment.objects.get()
    assert comment.author_id is None
    assert comment.text == "Wij zien dat jongeren in de wijk weinig plekken hebben."
    assert Membership.objects.count() == 0
    assert ActionNotice.objects.count() == 1  # says an author was mailed; who is gone


def test_a_staff_member_deleted_in_the_admin_leaves_no_personal_data(staff_member):
    from feedback.models import Case
    from youth_panel.models import PollSession

    pk = staff_member.pk
    admin = get_user_model().objects.create_superuser(
        username="hoofdbeheer", email="hoofd@example.org", password="x"
    )
    client = Client()
    client.force_login(admin)
    # Staff cannot delete themselves on the participants' page.
    own = Client()
    own.force_login(staff_member)
    assert own.post(reverse("panel:delete")).status_code == 403

    response = client.post(reverse("wagtailusers_users:delete", args=[pk]))

    assert response.status_code == 302
    assert get_user_model().objects.filter(pk=pk).count() == 0
    markers = ["piet.ambtenaarsen", "ambtenaarsen", "pietbeleid"]
    assert leftovers(pk, markers) == []
    # What the staff member made stays, without them.
    assert PollSession.objects.get().hosts.count() == 0
    assert Case.objects.get().created_by_id is None


def test_the_register_says_the_comment_text_is_kept_without_its_author_and_votes_lose_the_link():
    register = _register()["models"]

    assert "author link is emptied" in register["consultations.Comment"]["retention"]
    assert "gone:<random>" in register["youth_panel.Vote"]["retention"]
    assert set(KEPT) == {"consultations.Comment.text"}
