"""The Jongerenpanel admin screen and the Uitnodigen view.

Personas (who can do what):
- `policy_officer`: group Beleidsmedewerkers; sees the members (never their contact details)
  and invites them.
- `moderator`: group Moderators; in the admin, but no rights on the panel.
- `admin`: superuser; may look, but not even a superuser adds, changes or deletes members here.
- `member` (16-17, Oudorp), `confirmed_child` (12-15, parent confirmed, Oudorp),
  `waiting_member` (12-15, waits for a parent, De Rijp), `gone_member` (18-23, unsubscribed,
  Huiswaard): the panel. Only `member` and `confirmed_child` get invitations.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from consultations.models import ConsultationIndexPage, ConsultationPage
from consultations.rules import MODERATORS_GROUP, POLICY_GROUP
from tests.youth_panel.conftest import make_running_poll
from youth_panel import panel
from youth_panel.models import PanelInvitation, PanelMember, PollSession
from youth_panel.wagtail_hooks_panel import POLL_ENDED, STAKEHOLDERS_ONLY

AGE = PanelMember.AgeBand
LIST = reverse("jongerenpanel:index")
INVITE = reverse("jongerenpanel:invite")
# Members' addresses end in this domain; it must never show up on a staff screen.
MEMBER_DOMAIN = "jongeren.test"


def _user(username: str, **fields):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@{MEMBER_DOMAIN}", **fields
    )


def _member(username: str, age_band: str, district: str, **fields) -> PanelMember:
    member = panel.join(_user(username), age_band=age_band, district=district)
    if fields:
        PanelMember.objects.filter(pk=member.pk).update(**fields)
        member.refresh_from_db()
    return member


def _staff(username: str, group: str):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@gemeente.test", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def policy_officer(db):
    return _staff("beleid", POLICY_GROUP)


@pytest.fixture
def moderator(db):
    return _staff("moderator", MODERATORS_GROUP)


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser(
        username="admin", email="admin@gemeente.test", password="geheim-wachtwoord"
    )


@pytest.fixture
def member(db):
    return _member("lid-zoe", AGE.AGE_16_17, "Oudorp", school_type="havo")


@pytest.fixture
def confirmed_child(db):
    return _member("lid-kind", AGE.AGE_12_15, "Oudorp", parent_confirmed_at=timezone.now())


@pytest.fixture
def waiting_member(db):
    return _member("lid-jong", AGE.AGE_12_15, "De Rijp", parent_email=f"ouder@{MEMBER_DOMAIN}")


@pytest.fixture
def gone_member(db):
    return _member("lid-weg", AGE.AGE_18_23, "Huiswaard", unsubscribed_at=timezone.now())


@pytest.fixture
def panel_members(member, confirmed_child, waiting_member, gone_member):
    return [member, confirmed_child, waiting_member, gone_member]


@pytest.fixture
def poll(db) -> PollSession:
    return make_running_poll("Wat vind jij van de buurt?", {"single": "Goed\nSlecht"})


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


def _shown(html: str, member: PanelMember) -> bool:
    """Whether the list links to this member's detail page."""
    return reverse("jongerenpanel:inspect", args=[member.pk]) in html


# --- access -----------------------------------------------------------------------------------


def test_policy_staff_get_the_panel_rights_after_migrate(db):
    rights = set(
        Group.objects.get(name=POLICY_GROUP).permissions.values_list("codename", flat=True)
    )
    assert {"view_panelmember", "invite_panelmember"} <= rights
    assert not {"add_panelmember", "change_panelmember", "delete_panelmember"} & rights


@pytest.mark.parametrize("url", [LIST, INVITE])
def test_staff_without_the_right_are_sent_back_to_the_dashboard(client, moderator, url):
    client.force_login(moderator)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")


def test_a_visitor_is_sent_to_the_admin_login(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_nobody_adds_changes_or_deletes_members_here(client, admin, member):
    client.force_login(admin)
    for action in ("new/", f"edit/{member.pk}/", f"delete/{member.pk}/"):
        assert client.get(LIST + action).status_code == 404, action
        assert client.post(LIST + action).status_code == 404, action
    assert PanelMember.objects.filter(pk=member.pk).exists()
    html = client.get(LIST).content.decode()
    assert "edit/" not in html.split('id="listing-results"')[1]


# --- the list ---------------------------------------------------------------------------------


def test_policy_officer_sees_the_members_without_contact_details(
    client, policy_officer, panel_members
):
    client.force_login(policy_officer)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert all(_shown(html, m) for m in panel_members)
    assert MEMBER_DOMAIN not in html
    assert not any(m.user.username in html for m in panel_members)
    for text in ("Lidnummer", "Wacht op ouder", "Actief", "Afgemeld", "Oudorp", "havo"):
        assert text in html
    assert INVITE in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"age_band": "12-15"}, ["confirmed_child", "waiting_member"]),
        ({"district": "Oudorp"}, ["member", "confirmed_child"]),
        ({"status": "active"}, ["member", "confirmed_child"]),
        ({"status": "waiting"}, ["waiting_member"]),
        ({"status": "unsubscribed"}, ["gone_member"]),
        ({"age_band": "12-15", "status": "active"}, ["confirmed_child"]),
    ],
)
def test_the_list_filters_by_age_band_district_and_status(
    client, policy_officer, panel_members, request, query, expected
):
    client.force_login(policy_officer)
    html = client.get(LIST, query).content.decode()
    wanted = {request.getfixturevalue(name).pk for name in expected}
    assert {m.pk for m in panel_members if _shown(html, m)} == wanted


def test_counts_show_active_members_per_age_band(client, policy_officer, panel_members):
    client.force_login(policy_officer)
    _member("lid-ouder", AGE.AGE_18_23, "Graft")
    response = client.get(LIST, {"district": "Oudorp"})
    counts = response.context["counts"]
    # The counts are for the whole panel, whatever the filter shows.
    assert (counts["total"], counts["active"], counts["waiting"], counts["unsubscribed"]) == (
        5,
        3,
        1,
        1,
    )
    assert counts["active_per_age_band"] == [
        (AGE.AGE_12_15.label, 1),
        (AGE.AGE_16_17.label, 1),
        (AGE.AGE_18_23.label, 1),
    ]
    assert "3 actieve leden." in response.content.decode()


def test_one_member_shows_panel_data_but_no_contact_details(
    client, policy_officer, waiting_member, poll
):
    PanelInvitation.objects.create(member=waiting_member, target="poll:1", title="Buurtpeiling")
    client.force_login(policy_officer)
    response = client.get(reverse("jongerenpanel:inspect", args=[waiting_member.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "De Rijp" in html and "Wacht op ouder" in html and "Buurtpeiling" in html
    assert MEMBER_DOMAIN not in html and waiting_member.user.username not in html


# --- inviting ---------------------------------------------------------------------------------


def test_the_preview_counts_and_sends_nothing(client, policy_officer, panel_members, poll):
    client.force_login(policy_officer)
    page = client.get(INVITE)
    assert page.status_code == 200 and page.context["preview"] is None
    response = client.get(INVITE, {"target": f"poll:{poll.pk}"})
    assert response.status_code == 200
    assert response.context["preview"].sent == 2
    assert "2 panelleden krijgen een uitnodiging" in response.content.decode()
    assert not mail.outbox
    assert not PanelInvitation.objects.exists()


def test_confirming_sends_once_to_confirmed_subscribed_members(
    client, policy_officer, panel_members, member, confirmed_child, poll
):
    client.force_login(policy_officer)
    response = client.post(INVITE, {"target": f"poll:{poll.pk}"})
    assert response.status_code == 302 and response.url == LIST
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [member.user.email, confirmed_child.user.email]
    )
    assert any("2 uitnodigingen verstuurd" in text for text in _messages(response))

    # Again: everyone had it, so nothing new goes out, and the preview says so.
    again = client.post(INVITE, {"target": f"poll:{poll.pk}"})
    assert any("0 uitnodigingen verstuurd" in text for text in _messages(again))
    assert len(mail.outbox) == 2
    preview = client.get(INVITE, {"target": f"poll:{poll.pk}"}).context["preview"]
    assert (preview.sent, preview.already) == (0, 2)


def test_inviting_part_of_the_panel(client, policy_officer, panel_members, confirmed_child, poll):
    client.force_login(policy_officer)
    query = {"target": f"poll:{poll.pk}", "age_bands": ["12-15"], "districts": ["Oudorp"]}
    assert client.get(INVITE, query).context["preview"].sent == 1
    client.post(INVITE, query)
    assert [m.to[0] for m in mail.outbox] == [confirmed_child.user.email]


def test_inviting_to_an_open_consultation(client, policy_officer, member, youth_consultation):
    client.force_login(policy_officer)
    page = client.get(INVITE).content.decode()
    assert f"consultation:{youth_consultation.pk}" in page
    client.post(INVITE, {"target": f"consultation:{youth_consultation.pk}"})
    (message,) = mail.outbox
    assert "Jouw buurt" in message.subject


def test_a_stakeholder_round_is_refused_with_a_clear_message(
    client, policy_officer, member, youth_consultation
):
    ConsultationPage.objects.filter(pk=youth_consultation.pk).update(
        audience=ConsultationPage.Audience.STAKEHOLDERS
    )
    client.force_login(policy_officer)
    assert f"consultation:{youth_consultation.pk}" not in client.get(INVITE).content.decode()
    response = client.post(INVITE, {"target": f"consultation:{youth_consultation.pk}"})
    assert response.status_code == 200
    assert str(STAKEHOLDERS_ONLY) in response.content.decode()
    assert not mail.outbox


def test_an_ended_poll_is_refused_with_a_clear_message(client, policy_officer, member, poll):
    PollSession.objects.filter(pk=poll.pk).update(status=PollSession.Status.ENDED)
    client.force_login(policy_officer)
    response = client.get(INVITE, {"target": f"poll:{poll.pk}"})
    assert response.context["preview"] is None
    assert str(POLL_ENDED) in response.content.decode()
    client.post(INVITE, {"target": f"poll:{poll.pk}"})
    assert not mail.outbox


def test_sending_needs_the_right_on_every_request(client, moderator, member, poll):
    client.force_login(moderator)
    response = client.post(INVITE, {"target": f"poll:{poll.pk}"})
    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert not mail.outbox


def test_sending_needs_the_csrf_token(policy_officer, member, poll):
    client = Client(enforce_csrf_checks=True)
    client.force_login(policy_officer)
    response = client.post(INVITE, {"target": f"poll:{poll.pk}"})
    assert response.status_code == 403
    assert not mail.outbox
