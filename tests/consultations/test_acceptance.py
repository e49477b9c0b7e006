"""Acceptance of issue 4: phases with frozen time, who may do what, and the answered demo round.

Where each acceptance point is tested (this file adds what the others did not cover):
- Phase transitions with frozen time: test_phases.py (each phase starts at its date, the second
  before closing) and test_a_consultation_goes_through_its_four_phases_... below (what each
  phase allows on the page, in the form and in the admin).
- A stakeholder cannot answer: test_answers.py (the admin refuses them, a moderator cannot
  answer) and test_a_stakeholder_cannot_answer_... below (public form, Wagtail editor).
- A young person cannot see staff-only comments: test_comments.py (page), test_report.py and
  test_trail.py (anonymous), and test_a_young_person_never_sees_... below (signed in, answered,
  page, report, trail and versions).
- Nobody edits another organisation's comment: test_comments.py (posting for B, someone
  else's form token), and test_nobody_changes_... below (admin, staff included).
- Only staff moderate: test_answers.py (moderator hides, policy staff cannot) and
  test_only_moderators_... below (the personas' rights, publishing a waiting comment).
- Demo answers: test_the_demo_round_... below; the browser flow in
  tests/e2e/test_consultation_browser.py.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from consultations import rules
from consultations.demo import ANSWERS, CARE_PROVIDER, seed_demo_consultation
from consultations.models import Comment, ConsultationPage, Membership
from tests.consultations.conftest import START
from tests.consultations.test_answers import answer
from tests.consultations.test_comments import paragraph, post
from tests.consultations.test_report import add_comment

DAY = datetime.timedelta(days=1)


def send(client, page, organisation, text: str) -> tuple[str, int]:
    """Post a comment on 7.2; return the page shown after it and the number of comments."""
    response = post(client, page, f"a{paragraph(page).pk}", organisation=organisation.pk, text=text)
    if response.status_code == 303:
        response = client.get(response["Location"])
    return response.content.decode(), Comment.objects.filter(consultation=page).count()


def test_a_consultation_goes_through_its_four_phases_and_each_allows_only_its_own_actions(
    client, member_a, policy_officer, reader, make_consultation, org_a, clock
):
    page = make_consultation(
        opens_at=START + DAY, closes_at=START + 3 * DAY, answered_at=START + 5 * DAY
    )
    client.force_login(member_a)

    # Announced: the text can be read, nothing can be sent yet; the text sent stays.
    html = client.get(page.url).content.decode()
    assert "Nu: Aangekondigd" in html and "Reactie versturen" not in html
    html, count = send(client, page, org_a, "Te vroeg verstuurd")
    assert "Reageren kan nog niet." in html and "Te vroeg verstuurd" in html and count == 0

    # Open: the form is there and a comment is stored.
    clock.now = START + DAY
    html = client.get(page.url).content.decode()
    assert "Nu: Open voor reacties" in html and "Reactie versturen" in html
    html, count = send(client, page, org_a, "Op tijd verstuurd")
    assert "Op tijd verstuurd" in html and count == 1

    # Closed: no more comments, but staff answer in the admin.
    clock.now = START + 3 * DAY
    html = client.get(page.url).content.decode()
    assert "Nu: Gesloten" in html and "Reactie versturen" not in html
    html, count = send(client, page, org_a, "Te laat verstuurd")
    assert "Reageren kan niet meer." in html and "Te laat verstuurd" in html and count == 1
    comment = Comment.objects.get()
    client.force_login(policy_officer)
    assert answer(client, comment).status_code == 302

    # Answered: still no comments; everyone reads the answer; flagging still works.
    clock.now = START + 5 * DAY
    client.force_login(member_a)
    html, count = send(client, page, org_a, "Na de antwoorden")
    assert "Reageren kan niet meer." in html and count == 1
    client.force_login(reader)
    html = client.get(page.url).content.decode()
    assert "Nu: Beantwoord" in html and "Deels overgenomen" in html
    flagged = client.post(reverse("consultations:flag", args=(comment.pk,)))
    assert flagged.status_code == 303 and comment.flags.count() == 1
    client.logout()
    report = client.get(page.subpage_url("report")).content.decode()
    assert "Op tijd verstuurd" in report and "We schrijven een actieplan" in report


def test_a_stakeholder_cannot_answer_through_the_public_form_or_as_a_page_editor(
    client, member_a, consultation, org_a
):
    client.force_login(member_a)
    target = paragraph(consultation)
    response = post(
        client,
        consultation,
        f"a{target.pk}",
        organisation=org_a.pk,
        text="Mijn reactie",
        answer_outcome="taken_over",
        answer_reasoning="Zelf beantwoord",
    )
    assert response.status_code == 303
    comment = Comment.objects.get()
    assert not comment.is_answered and not comment.answer_reasoning
    # Editing pages in Wagtail gives no right to the comments.
    member_a.groups.add(Group.objects.get(name="Editors"))
    assert not rules.can_answer(member_a)
    refused = client.get(reverse("reacties:edit", args=(comment.pk,)))
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")
    answer(client, comment)
    comment.refresh_from_db()
    assert not comment.is_answered


def test_a_young_person_never_sees_a_staff_only_comment_or_its_answer(
    client, reader, member_a, consultation, org_a, clock
):
    add_comment(
        consultation,
        org_a,
        7,
        1,
        author=member_a,
        text="Zorg over een leerling.",
        visibility=Comment.Visibility.STAFF_ONLY,
        answer_outcome=Comment.Outcome.TAKEN_OVER,
        answer_reasoning="Uitleg alleen voor Zorg A.",
        answer_text_change="Zin over leerlingen.",
    )
    consultation.answered_at = consultation.closes_at
    consultation.save_revision().publish()
    clock.now = consultation.answered_at
    client.force_login(reader)
    secret = ("Zorg over een leerling.", "Uitleg alleen voor Zorg A.", "Zin over leerlingen.")
    for url in (
        consultation.url,
        consultation.subpage_url("report"),
        consultation.subpage_url("trail"),
        consultation.subpage_url("versions"),
    ):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert not any(text in html for text in secret), url
        assert "Zorg A" not in html and "lid-a" not in html, url
    assert (
        "Een reactie die alleen voor de gemeente is."
        in client.get(consultation.subpage_url("report")).content.decode()
    )


@pytest.fixture
def comment_of_b(consultation, org_b):
    """A published public comment of organisation B on 7.2."""
    return add_comment(consultation, org_b, 7, 2, text="De tekst van School B.")


@pytest.fixture
def member_b(org_b):
    """A confirmed member of organisation B."""
    user = get_user_model().objects.create_user(username="lid-b", email="lid-b@example.org")
    Membership.objects.create(user=user, organisation=org_b, confirmed_at=timezone.now())
    return user


@pytest.mark.parametrize("persona", ["member_a", "member_b", "policy_officer", "moderator"])
def test_nobody_changes_the_text_organisation_or_visibility_of_a_comment(
    client, request, persona, comment_of_b, org_a, member_a
):
    client.force_login(request.getfixturevalue(persona))
    response = answer(
        client,
        comment_of_b,
        answer_outcome="",
        answer_reasoning="",
        answer_text_change="",
        text="Overschreven",
        organisation=org_a.pk,
        author=member_a.pk,
        visibility="staff_only",
    )
    # Staff save the form (without those fields); stakeholders are sent to the admin login.
    staff = persona in ("policy_officer", "moderator")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reacties:index") if staff else "/beheer/login/")
    comment_of_b.refresh_from_db()
    assert comment_of_b.text == "De tekst van School B."
    assert comment_of_b.organisation.name == "School B" and comment_of_b.author is None
    assert comment_of_b.visibility == Comment.Visibility.PUBLIC


@pytest.mark.parametrize(
    ("persona", "moderates"),
    [
        ("member_a", False),
        ("pending_member", False),
        ("reader", False),
        ("policy_officer", False),
        ("moderator", True),
    ],
)
def test_only_moderators_moderate(
    client, request, persona, moderates, make_consultation, org_a, member_a
):
    page = make_consultation(moderation=ConsultationPage.Moderation.BEFORE)
    waiting = add_comment(page, org_a, 7, 1, text="Wacht op controle", status="pending")
    user = request.getfixturevalue(persona)
    assert rules.can_moderate(user) is moderates
    client.force_login(user)
    answer(client, waiting, status="published", answer_outcome="", answer_reasoning="")
    waiting.refresh_from_db()
    assert (waiting.status == Comment.Status.PUBLISHED) is moderates
    client.logout()
    assert ("Wacht op controle" in client.get(page.url).content.decode()) is moderates


def test_the_demo_round_answers_every_comment_of_the_care_provider_once(db, client, clock):
    first = seed_demo_consultation()
    page = ConsultationPage.objects.get(slug="concept-visie-jeugd")
    comments = Comment.objects.filter(consultation=page).select_related("chapter")
    assert "answered" in first and comments.count() == 4
    for comment in comments:
        outcome, reasoning, text_change = ANSWERS[comment.chapter.number]
        assert comment.answer_outcome == outcome and comment.answered_at == START
        assert comment.answer_reasoning == reasoning and text_change.startswith("In hoofdstuk 1")
    # A demo seeded before the answers existed gets them; a further run changes nothing.
    comments.filter(chapter__number=9).update(answer_outcome="", answered_at=None)
    assert "Answered 1 comments." in seed_demo_consultation()
    assert seed_demo_consultation() == "Demo consultation already present."
    html = client.get(page.subpage_url("report")).content.decode()
    assert html.count(CARE_PROVIDER) == 4 and html.count("Dit veranderde in de tekst:") == 4
    assert "De gemeente heeft op 4 reacties geantwoord." in html
    assert "zo licht als mogelijk, zo zwaar als nodig" in html
