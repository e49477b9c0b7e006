"""Staff answer comments in the admin; the author gets a plain Dutch e-mail; the page shows it."""

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data

from consultations.models import Comment


@pytest.fixture
def comment(consultation, org_a, member_a):
    paragraph = consultation.current_version().chapters.get(number=7).paragraphs.get(number=2)
    return Comment.objects.create(
        consultation=consultation,
        version=paragraph.chapter.version,
        chapter=paragraph.chapter,
        paragraph=paragraph,
        organisation=org_a,
        author=member_a,
        text="We missen de hoe.",
        status=Comment.Status.PUBLISHED,
    )


def answer(client, comment, **fields):
    data = {
        "status": comment.status,
        "answer_outcome": "partly",
        "answer_reasoning": "We schrijven een actieplan <b>erbij</b>.",
        "answer_text_change": "Nieuwe alinea 7.4 over het actieplan.",
        **fields,
    }
    return client.post(reverse("reacties:edit", args=(comment.pk,)), nested_form_data(data))


def test_policy_staff_answer_and_the_author_is_mailed_once(
    client, policy_officer, comment, django_capture_on_commit_callbacks
):
    client.force_login(policy_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = answer(client, comment)
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.answer_outcome == "partly" and comment.answered_by == policy_officer
    assert comment.answered_at is not None and comment.author_notified_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lid-a@example.org"]
    assert message.subject == "Jeugdstem: De gemeente heeft je reactie beantwoord"
    assert "Deels overgenomen" in message.body and "7.2" in message.body
    assert f"#reactie-{comment.pk}" in message.body
    assert not message.alternatives  # plain text only
    with django_capture_on_commit_callbacks(execute=True):
        answer(client, comment, answer_reasoning="Beter uitgelegd.")
    assert len(mail.outbox) == 1


def test_the_public_page_shows_the_answer_as_text(
    client, policy_officer, comment, django_capture_on_commit_callbacks
):
    client.force_login(policy_officer)
    with django_capture_on_commit_callbacks(execute=True):
        answer(client, comment)
    client.logout()
    html = client.get(comment.consultation.url).content.decode()
    assert "Antwoord van de gemeente:" in html and "Deels overgenomen" in html
    assert "&lt;b&gt;erbij&lt;/b&gt;" in html and "Nieuwe alinea 7.4" in html


def test_an_answer_needs_reasoning(client, policy_officer, comment):
    client.force_login(policy_officer)
    response = answer(client, comment, answer_reasoning="")
    assert response.status_code == 200
    assert "Schrijf uit waarom de gemeente dit besluit." in response.content.decode()
    comment.refresh_from_db()
    assert not comment.answer_outcome and not mail.outbox


def test_an_oversized_answer_is_refused(client, policy_officer, comment):
    client.force_login(policy_officer)
    response = answer(client, comment, answer_reasoning="x" * 5001)
    assert response.status_code == 200 and "Dit is te lang" in response.content.decode()


def test_a_moderator_hides_a_comment_but_cannot_answer(client, moderator, comment):
    client.force_login(moderator)
    response = answer(client, comment, status="hidden")
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.status == Comment.Status.HIDDEN and not comment.answer_outcome


def test_policy_staff_cannot_moderate(client, policy_officer, comment):
    client.force_login(policy_officer)
    answer(client, comment, status="hidden")
    comment.refresh_from_db()
    assert comment.status == Comment.Status.PUBLISHED


def test_a_stakeholder_cannot_open_the_comments_in_the_admin(client, member_a, comment):
    client.force_login(member_a)
    response = client.get(reverse("reacties:edit", args=(comment.pk,)))
    assert response.status_code == 302 and "/beheer/login/" in response["Location"]
    assert answer(client, comment).status_code == 302
    comment.refresh_from_db()
    assert not comment.answer_outcome


def test_the_comment_list_filters_by_consultation_and_status(
    client, policy_officer, comment, make_consultation
):
    other = make_consultation()
    client.force_login(policy_officer)
    url = reverse("reacties:index")
    assert (
        "We missen de hoe."
        in client.get(url, {"consultation": comment.consultation.pk}).content.decode()
    )
    assert "We missen de hoe." not in client.get(url, {"consultation": other.pk}).content.decode()
    assert "We missen de hoe." not in client.get(url, {"status": "pending"}).content.decode()


def test_comments_cannot_be_added_by_hand(client, policy_officer, comment):
    client.force_login(policy_officer)
    assert client.get(reverse("reacties:add")).status_code in (403, 404)
