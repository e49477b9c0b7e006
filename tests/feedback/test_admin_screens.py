"""Signals reach the designated professionals; stories are moderated; nothing else is shown."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from feedback.choices import AgeBand
from feedback.invitations import issue_invitations
from feedback.models import SafeguardingFlag, SurveyDraft, SurveyResponse
from feedback.survey import submit


@pytest.fixture
def answers(seeded, make_case):
    """One flagged answer, one consented story, one plain answer."""
    made = []
    for texts, consent in (
        ({"what_should_change": "Ik ben bang thuis."}, False),
        ({"most_important_change": "We praten weer."}, True),
        ({}, False),
    ):
        invitation = issue_invitations(make_case(age_band=AgeBand.AGE_4_11))[0].invitation
        SurveyDraft.objects.create(
            invitation=invitation,
            answers={**texts, **({"consent_to_quote": True} if consent else {})},
        )
        submit(invitation)
        made.append(
            SurveyResponse.objects.order_by("-period").exclude(pk__in=[m.pk for m in made]).get()
        )
    return made


def test_the_professional_sees_the_signal_with_its_text(client, staff, answers):
    client.force_login(staff)
    flag = SafeguardingFlag.objects.get()
    listing = client.get("/beheer/signalen/")
    assert listing.status_code == 200 and "bang thuis" in listing.content.decode()
    inspect = client.get(f"/beheer/signalen/inspect/{flag.pk}/")
    assert "Ik ben bang thuis." in inspect.content.decode()
    client.post(f"/beheer/signalen/edit/{flag.pk}/", {"note": "Doorgezet naar het CJG-team."})
    flag.refresh_from_db()
    assert flag.handled_at is not None


def test_an_editor_without_the_role_cannot_see_signals_or_stories(client, answers):
    editor = get_user_model().objects.create_user(username="redacteur", password="x" * 12)
    editor.groups.add(Group.objects.get(name="Beleidsmedewerkers"))
    client.force_login(editor)
    for url in ("/beheer/signalen/", "/beheer/verhalen/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url


def test_story_moderation_lists_only_consented_stories(client, staff, answers):
    client.force_login(staff)
    html = client.get("/beheer/verhalen/").content.decode()
    assert "We praten weer." in html
    assert "bang thuis" not in html
    plain = answers[2]
    assert client.get(f"/beheer/verhalen/edit/{plain.pk}/").status_code == 404
    story = answers[1]
    client.post(
        f"/beheer/verhalen/edit/{story.pk}/",
        {"story_status": "approved", "story_text": "We praten weer.", "story_indicator": ""},
    )
    assert SurveyResponse.objects.get(pk=story.pk).story_status == "approved"


def test_nobody_adds_answers_or_signals_by_hand(client, staff, answers):
    client.force_login(staff)
    assert client.get("/beheer/verhalen/new/").status_code == 404
    assert client.get("/beheer/signalen/new/").status_code == 404
