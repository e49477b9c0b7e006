"""The youth panel (JPRA): joining, a parent's confirmation, invitations, unsubscribing, own data.

Personas (who can do what):
- `member`: 16 or 17, joined; gets invitations.
- `waiting_member`: 12 to 15, joined; waits for a parent, gets no invitations.
- `other_member`: 18 to 23, joined; their data must never show up for `member`.
- `participant` (tests/conftest.py): signed in, not in the panel.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from consultations.models import (
    Comment,
    ConsultationIndexPage,
    ConsultationPage,
    Organisation,
)
from tests.youth_panel.conftest import make_running_poll
from youth_panel import panel
from youth_panel.models import PanelInvitation, PanelMember, PollSession, Vote

AGE = PanelMember.AgeBand


def _user(username: str, email: str | None = None):
    return get_user_model().objects.create_user(
        username=username, email=email or f"{username}@example.org"
    )


def _member(username: str, age_band: str, district: str = "Oudorp", **fields) -> PanelMember:
    member = panel.join(_user(username), age_band=age_band, district=district)
    if fields:
        PanelMember.objects.filter(pk=member.pk).update(**fields)
        member.refresh_from_db()
    return member


@pytest.fixture
def member(db):
    return _member("lid", AGE.AGE_16_17, "Oudorp", school_type="havo")


@pytest.fixture
def waiting_member(db):
    return _member("jong", AGE.AGE_12_15, "De Rijp")


@pytest.fixture
def other_member(db):
    return _member("ander", AGE.AGE_18_23, "Huiswaard", school_type="mbo")


@pytest.fixture
def poll(db) -> PollSession:
    return make_running_poll("Wat vind jij van de buurt?", {"single": "Goed\nSlecht"})


def _link(message, name: str) -> str:
    """The path of the first link to `name` (a URL name in the panel namespace) in a mail."""
    prefix = reverse(f"panel:{name}", args=["TOKEN"]).replace("TOKEN/", "")
    match = re.search(re.escape(prefix) + r"([^/\s]+)/", message.body)
    assert match, message.body
    return match.group(0)


def _join(client, **data):
    form = {"age_band": "16-17", "district": "Centrum", "school_type": "", "consent": "on"}
    return client.post(reverse("panel:join"), {**form, **data})


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["join", "parent", "my_data", "my_data_json", "delete"])
def test_anonymous_visitor_is_sent_to_login(client, db, name):
    response = client.get(reverse(f"panel:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_panel_page_invites_a_visitor_to_make_an_account(client, db):
    response = client.get(reverse("panel:home"))
    assert response.status_code == 200
    assert reverse("account_signup") in response.content.decode()


# --- joining --------------------------------------------------------------------------------


def test_joining_stores_the_profile_and_the_consent(client, participant):
    client.force_login(participant)
    page = client.get(reverse("panel:join"))
    assert "Wat bewaren we?" in page.content.decode()
    response = _join(client, age_band="18-23", district="Graft", school_type="mbo")
    assert response.status_code == 302 and response.url == reverse("panel:home")
    member = PanelMember.objects.get(user=participant)
    assert (member.age_band, member.district, member.school_type) == ("18-23", "Graft", "mbo")
    assert member.consented_at is not None and member.joined_at is not None
    assert member.consent_version
    assert not member.is_waiting and member.gets_invitations


def test_joining_needs_consent_and_a_district_and_says_so_accessibly(client, participant):
    client.force_login(participant)
    response = _join(client, consent="", district="Amsterdam", age_band="")
    html = response.content.decode()
    assert response.status_code == 200
    assert not PanelMember.objects.exists()
    assert "Zet een vinkje als je mee wilt doen." in html
    assert "Kies een wijk of dorp uit de lijst." in html
    # A radio group is a fieldset with a legend; its error is tied to it.
    assert re.search(r'<fieldset[^>]*aria-describedby="id_age_band_error', html)
    assert "<legend>Hoe oud ben je?</legend>" in html
    assert 'id="id_age_band_error"' in html
    assert re.search(r'<select[^>]*aria-describedby="id_district_error"', html)
    assert 'href="#id_age_band_0"' in html


def test_joining_twice_keeps_the_first_profile(client, member):
    client.force_login(member.user)
    response = _join(client, age_band="18-23")
    assert response.url == reverse("panel:home")
    member.refresh_from_db()
    assert member.age_band == "16-17"


# --- the parent's confirmation --------------------------------------------------------------


def test_under_16_waits_until_a_parent_confirms_with_a_single_use_link(client, participant):
    client.force_login(participant)
    response = _join(client, age_band="12-15")
    assert response.url == reverse("panel:parent")
    member = PanelMember.objects.get(user=participant)
    assert member.is_waiting and not PanelMember.objects.invitable().exists()

    client.post(reverse("panel:parent"), {"parent_email": "ouder@example.org"})
    member.refresh_from_db()
    assert member.parent_email == "ouder@example.org"
    (message,) = mail.outbox
    assert message.to == ["ouder@example.org"]
    assert participant.email in message.body
    link = _link(message, "parent_confirm")
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert token not in member.parent_token_hash  # only a hash is stored
    assert member.parent_token_hash == panel.hash_token(token)

    parent = Client()
    page = parent.get(link)
    assert page.status_code == 200
    assert "Ja, mijn kind mag meedoen" in page.content.decode()
    member.refresh_from_db()
    assert member.is_waiting  # a GET (a mail scanner) confirms nothing

    assert parent.post(link).status_code == 200
    member.refresh_from_db()
    assert not member.is_waiting and member.parent_confirmed_at is not None
    assert member.parent_email == "" and member.parent_token_hash == ""
    assert list(PanelMember.objects.invitable()) == [member]

    assert parent.get(link).status_code == 404  # single use
    assert parent.post(link).status_code == 404


def test_a_wrong_parent_token_is_refused(client, waiting_member):
    panel.ask_parent(waiting_member, "ouder@example.org", "http://testserver")
    response = client.post(reverse("panel:parent_confirm", args=["verkeerd-token"]))
    assert response.status_code == 404
    waiting_member.refresh_from_db()
    assert waiting_member.is_waiting


def test_an_expired_parent_link_is_refused(client, waiting_member):
    panel.ask_parent(waiting_member, "ouder@example.org", "http://testserver")
    link = _link(mail.outbox[0], "parent_confirm")
    PanelMember.objects.filter(pk=waiting_member.pk).update(
        parent_requested_at=timezone.now() - datetime.timedelta(days=14, minutes=1)
    )
    assert client.post(link).status_code == 404
    waiting_member.refresh_from_db()
    assert waiting_member.is_waiting


def test_a_new_parent_mail_replaces_the_old_link(client, waiting_member):
    panel.ask_parent(waiting_member, "ouder@example.org", "http://testserver")
    first = _link(mail.outbox[0], "parent_confirm")
    waiting_member.parent_requested_at -= datetime.timedelta(minutes=11)
    assert panel.may_mail_parent(waiting_member)
    panel.ask_parent(waiting_member, "verzorger@example.org", "http://testserver")
    assert client.post(first).status_code == 404
    assert client.post(_link(mail.outbox[1], "parent_confirm")).status_code == 200


def test_the_parent_mail_cannot_be_sent_again_at_once(client, waiting_member):
    client.force_login(waiting_member.user)
    client.post(reverse("panel:parent"), {"parent_email": "ouder@example.org"})
    client.post(reverse("panel:parent"), {"parent_email": "iemand@example.org"})
    assert len(mail.outbox) == 1


def test_the_own_address_is_not_taken_as_the_parents(client, waiting_member):
    client.force_login(waiting_member.user)
    response = client.post(reverse("panel:parent"), {"parent_email": "JONG@example.org"})
    assert "Dit is je eigen e-mailadres" in response.content.decode()
    assert not mail.outbox


def test_purge_panel_deletes_parent_addresses_after_14_days(waiting_member, member):
    panel.ask_parent(waiting_member, "ouder@example.org", "http://testserver")
    call_command("purge_panel")
    waiting_member.refresh_from_db()
    assert waiting_member.parent_email == "ouder@example.org"
    PanelMember.objects.filter(pk=waiting_member.pk).update(
        parent_requested_at=timezone.now() - datetime.timedelta(days=15)
    )
    call_command("purge_panel")
    waiting_member.refresh_from_db()
    assert waiting_member.parent_email == "" and waiting_member.parent_token_hash == ""
    assert waiting_member.is_waiting


def test_the_parental_step_can_be_switched_off(client, participant, settings):
    settings.YOUTH_PANEL_PARENTAL_CONSENT_UNDER_16 = False
    client.force_login(participant)
    page = client.get(reverse("panel:join"))
    assert "Ben je jonger dan 16?" not in page.content.decode()
    response = _join(client, age_band="12-15")
    assert response.url == reverse("panel:home")
    member = PanelMember.objects.get(user=participant)
    assert not member.needs_parent and member.gets_invitations


# --- invitations ----------------------------------------------------------------------------


def test_invitations_go_only_to_confirmed_subscribed_members(
    member, waiting_member, other_member, poll
):
    PanelMember.objects.filter(pk=other_member.pk).update(unsubscribed_at=timezone.now())
    confirmed_child = _member("kind", AGE.AGE_12_15, parent_confirmed_at=timezone.now())
    target = panel.poll_target(poll, "http://testserver")
    report = panel.invite(target, "http://testserver")
    assert report.sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == [confirmed_child.user.email, member.user.email]
    message = mail.outbox[0]
    assert reverse("polls:phone", args=[poll.join_code]) in message.body
    assert poll.title in message.subject

    # Nobody gets the same invitation twice.
    again = panel.invite(target, "http://testserver")
    assert (again.sent, again.already) == (0, 2)
    assert len(mail.outbox) == 2
    assert PanelInvitation.objects.filter(member=member, target=target.key).count() == 1


def test_invitations_can_be_limited_to_age_bands_and_districts(member, other_member, poll):
    target = panel.poll_target(poll, "http://testserver")
    panel.invite(target, "http://testserver", age_bands=["18-23"])
    assert [m.to[0] for m in mail.outbox] == [other_member.user.email]
    mail.outbox.clear()
    panel.invite(target, "http://testserver", districts=["Oudorp"])
    assert [m.to[0] for m in mail.outbox] == [member.user.email]


def test_every_invitation_has_one_click_unsubscribe_headers(member, poll):
    panel.invite(panel.poll_target(poll, "http://testserver"), "http://testserver")
    (message,) = mail.outbox
    link = _link(message, "unsubscribe")
    assert message.extra_headers["List-Unsubscribe"] == f"<http://testserver{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = message.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_an_ended_poll_is_not_invited_to(poll):
    PollSession.objects.filter(pk=poll.pk).update(status=PollSession.Status.ENDED)
    poll.refresh_from_db()
    with pytest.raises(panel.NotInvitable):
        panel.poll_target(poll, "http://testserver")


@pytest.fixture
def youth_consultation(db):
    home = Site.objects.get(is_default_site=True).root_page
    index = ConsultationIndexPage(title="Inspraak", slug="inspraak")
    home.add_child(instance=index)
    index.save_revision().publish()
    now = timezone.now()
    page = ConsultationPage(
        title="Jouw buurt",
        slug="jouw-buurt",
        summary="Wat vind jij?",
        audience=ConsultationPage.Audience.YOUTH_PANEL,
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=14),
        draft_text="# 7. Een sterke sociale basis\n\nJongeren vinden steun.\n",
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    return ConsultationPage.objects.get(pk=page.pk)


def test_invite_panel_command_invites_to_an_open_consultation(member, youth_consultation):
    call_command("invite_panel", consultation=youth_consultation.pk)
    (message,) = mail.outbox
    assert youth_consultation.url in message.body
    assert "Jouw buurt" in message.subject


def test_invite_panel_command_refuses_a_stakeholder_round(member, youth_consultation):
    from django.core.management.base import CommandError

    ConsultationPage.objects.filter(pk=youth_consultation.pk).update(
        audience=ConsultationPage.Audience.STAKEHOLDERS
    )
    with pytest.raises(CommandError):
        call_command("invite_panel", consultation=youth_consultation.pk)
    assert not mail.outbox


# --- unsubscribing --------------------------------------------------------------------------


def test_unsubscribe_link_asks_first_then_unsubscribes(client, member, poll):
    panel.invite(panel.poll_target(poll, "http://testserver"), "http://testserver")
    link = _link(mail.outbox[0], "unsubscribe")
    page = client.get(link)
    assert page.status_code == 200
    assert "Ja, ik wil geen uitnodigingen meer" in page.content.decode()
    member.refresh_from_db()
    assert member.unsubscribed_at is None  # a GET changes nothing
    assert client.post(link).status_code == 200
    member.refresh_from_db()
    assert member.unsubscribed_at is not None
    assert not PanelMember.objects.invitable().exists()


def test_mail_programs_unsubscribe_with_one_click_post(member):
    link = reverse("panel:unsubscribe", args=[panel.unsubscribe_token(member)])
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(
        link,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.unsubscribed_at is not None


def test_a_forged_unsubscribe_token_is_refused(client, member):
    token = panel.unsubscribe_token(member)[:-2] + "xx"
    assert client.post(reverse("panel:unsubscribe", args=[token])).status_code == 404
    member.refresh_from_db()
    assert member.unsubscribed_at is None


def test_a_member_can_get_invitations_again(client, member):
    panel.unsubscribe(member)
    client.force_login(member.user)
    client.post(reverse("panel:resubscribe"))
    member.refresh_from_db()
    assert member.gets_invitations


# --- own data -------------------------------------------------------------------------------


def _vote(poll: PollSession, user, answer) -> Vote:
    question = poll.ordered_questions()[0]
    return Vote.objects.create(question=question, participant=f"user:{user.pk}", answer=answer)


def _comment(consultation, organisation, user, text: str) -> Comment:
    chapter = consultation.current_version().chapters.get(number=7)
    return Comment.objects.create(
        consultation=consultation,
        version=chapter.version,
        chapter=chapter,
        organisation=organisation,
        author=user,
        text=text,
    )


def test_my_data_shows_the_members_data_and_nobody_elses(client, member, other_member, poll):
    _vote(poll, member.user, "Goed")
    _vote(poll, other_member.user, "Slecht")
    client.force_login(member.user)
    html = client.get(reverse("panel:my_data")).content.decode()
    assert member.user.email in html
    assert "16 of 17 jaar" in html and "Oudorp" in html and "havo" in html
    assert "Wat vind jij van de buurt?" in html and "Goed" in html
    assert other_member.user.email not in html
    assert "Huiswaard" not in html and "Slecht" not in html


def test_my_data_downloads_as_json(client, member, other_member, poll, youth_consultation):
    organisation = Organisation.objects.create(name="Jongerenwerk", kind="youth_work")
    _vote(poll, member.user, "Goed")
    _vote(poll, other_member.user, "Slecht")
    _comment(youth_consultation, organisation, member.user, "Meer plekken om te chillen.")
    _comment(youth_consultation, organisation, other_member.user, "Van een ander.")
    client.force_login(member.user)
    response = client.get(reverse("panel:my_data_json"))
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == member.user.email
    assert data["youth_panel"]["age_band"] == "16-17"
    assert data["youth_panel"]["district"] == "Oudorp"
    assert data["youth_panel"]["consented_at"]
    assert [v["answer"] for v in data["poll_votes"]] == ["Goed"]
    assert [c["text"] for c in data["comments"]] == ["Meer plekken om te chillen."]
    assert other_member.user.email not in response.content.decode()


def test_deleting_asks_first_then_removes_account_and_profile(
    client, member, other_member, poll, youth_consultation
):
    organisation = Organisation.objects.create(name="Jongerenwerk", kind="youth_work")
    vote = _vote(poll, member.user, "Goed")
    comment = _comment(youth_consultation, organisation, member.user, "Meer plekken.")
    user_pk = member.user.pk
    client.force_login(member.user)
    assert "Ja, wis alles" in client.get(reverse("panel:delete")).content.decode()
    assert get_user_model().objects.filter(pk=user_pk).exists()

    response = client.post(reverse("panel:delete"))
    assert response.status_code == 200
    assert not get_user_model().objects.filter(pk=user_pk).exists()
    assert not PanelMember.objects.filter(pk=member.pk).exists()
    # The vote still counts, but nothing ties it to the account any more.
    vote.refresh_from_db()
    assert vote.participant.startswith("gone:") and vote.answer == "Goed"
    # The comment stays with the organisation, without an author.
    comment.refresh_from_db()
    assert comment.author is None and comment.organisation == organisation
    # Signed out; the other member is untouched.
    assert client.get(reverse("panel:my_data")).status_code == 302
    assert PanelMember.objects.filter(pk=other_member.pk).exists()


def test_staff_delete_their_account_through_the_municipality(client, db):
    staff = _user("beheerder")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.post(reverse("panel:delete")).status_code == 403
    assert get_user_model().objects.filter(pk=staff.pk).exists()
