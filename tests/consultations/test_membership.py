"""Signed-in users ask to comment for an organisation; staff confirm it in the admin."""

from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data

from consultations.models import Membership
from consultations.rules import can_comment_for, confirmed_organisations


def test_a_signed_in_user_asks_to_join_an_organisation(client, reader, org_a):
    client.force_login(reader)
    url = reverse("consultations:organisations")
    response = client.post(url, {"organisation": org_a.pk})
    assert response.status_code == 303
    again = client.post(url, {"organisation": org_a.pk}, follow=True)
    assert Membership.objects.filter(user=reader).count() == 1
    html = again.content.decode()
    assert "Je had deze organisatie al aangevraagd." in html and "wacht op de gemeente" in html
    assert not confirmed_organisations(reader).exists()


def test_choosing_no_organisation_gives_a_friendly_error(client, reader):
    client.force_login(reader)
    response = client.post(reverse("consultations:organisations"), {"organisation": ""})
    assert "Kies een organisatie." in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("consultations:organisations"))
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_staff_confirm_a_membership_in_the_admin(client, policy_officer, pending_member, org_a):
    membership = Membership.objects.get(user=pending_member)
    client.force_login(policy_officer)
    assert (
        "wacht"
        in client.get(reverse("lidmaatschappen:index"), {"waiting": "true"}).content.decode()
    )
    data = {"user": pending_member.pk, "organisation": org_a.pk, "confirmed": "on"}
    response = client.post(
        reverse("lidmaatschappen:edit", args=(membership.pk,)), nested_form_data(data)
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.confirmed_by == policy_officer and membership.confirmed_at is not None
    assert can_comment_for(pending_member, org_a)


def test_membership_of_a_is_no_right_to_speak_for_b(member_a, org_a, org_b):
    assert can_comment_for(member_a, org_a)
    assert not can_comment_for(member_a, org_b)  # asked, but never confirmed
    assert list(confirmed_organisations(member_a)) == [org_a]


def test_a_stakeholder_cannot_confirm_their_own_membership(client, pending_member):
    membership = Membership.objects.get(user=pending_member)
    client.force_login(pending_member)
    response = client.post(
        reverse("lidmaatschappen:edit", args=(membership.pk,)),
        nested_form_data(
            {
                "user": pending_member.pk,
                "organisation": membership.organisation_id,
                "confirmed": "on",
            }
        ),
    )
    assert response.status_code == 302 and "/beheer/login/" in response["Location"]
    membership.refresh_from_db()
    assert membership.confirmed_at is None
