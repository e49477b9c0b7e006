"""Commenting on a paragraph or chapter: who may, when, and what happens with bad input."""

import uuid

import pytest
from django.urls import reverse

from consultations.models import MAX_COMMENT_LENGTH, Comment, ConsultationPage, Flag


def paragraph(consultation, label="7.2", version=None):
    version = version or consultation.current_version()
    chapter_number, number = (int(part) for part in label.split("."))
    return version.chapters.get(number=chapter_number).paragraphs.get(number=number)


def post(client, consultation, target_key, **fields):
    data = {
        "target": target_key,
        f"{target_key}-text": "Goed plan, maar hoe?",
        f"{target_key}-visibility": "public",
        f"{target_key}-token": str(uuid.uuid4()),
        **{f"{target_key}-{name}": value for name, value in fields.items()},
    }
    return client.post(reverse("consultations:comment", args=(consultation.pk,)), data)


@pytest.fixture
def member_client(client, member_a):
    client.force_login(member_a)
    return client


def test_a_member_comments_on_a_paragraph_for_their_organisation(
    member_client, consultation, org_a
):
    target = paragraph(consultation)
    response = post(member_client, consultation, f"a{target.pk}", organisation=org_a.pk)
    comment = Comment.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"{consultation.url}#reactie-{comment.pk}"
    assert (comment.paragraph, comment.chapter, comment.organisation) == (
        target,
        target.chapter,
        org_a,
    )
    assert comment.status == Comment.Status.PUBLISHED  # moderated after publication
    page = member_client.get(consultation.url).content.decode()
    assert "Goed plan, maar hoe?" in page and "Zorg A" in page
    assert "lid-a" not in page  # the organisation speaks, not the person


def test_a_member_comments_on_a_whole_chapter(member_client, consultation, org_a):
    chapter = consultation.current_version().chapters.get(number=8)
    post(member_client, consultation, f"h{chapter.pk}", organisation=org_a.pk)
    comment = Comment.objects.get()
    assert comment.chapter == chapter and comment.paragraph is None
    assert comment.target_label == "hoofdstuk 8"


def test_the_page_shows_a_form_under_each_paragraph_for_members_only(
    client, member_a, reader, consultation
):
    assert "Reageer op 7.1" not in client.get(consultation.url).content.decode()
    client.force_login(reader)
    html = client.get(consultation.url).content.decode()
    assert "Reageer op 7.1" not in html and reverse("consultations:organisations") in html
    client.force_login(member_a)
    html = client.get(consultation.url).content.decode()
    for label in ("7.1", "7.2", "7.3", "8.1", "hoofdstuk 7", "hoofdstuk 8"):
        assert f"Reageer op {label}" in html


def test_empty_comment_is_refused_with_a_clear_message(member_client, consultation, org_a):
    target = paragraph(consultation)
    response = post(member_client, consultation, f"a{target.pk}", organisation=org_a.pk, text="  ")
    assert response.status_code == 200
    assert "Schrijf eerst je reactie." in response.content.decode()
    assert not Comment.objects.exists()


def test_too_long_comment_is_refused_and_the_text_is_kept(member_client, consultation, org_a):
    target = paragraph(consultation)
    text = "lang " * (MAX_COMMENT_LENGTH // 5) + "einde"
    response = post(member_client, consultation, f"a{target.pk}", organisation=org_a.pk, text=text)
    html = response.content.decode()
    assert "Je reactie is te lang" in html and f"hoogstens {MAX_COMMENT_LENGTH}" in html
    assert "einde</textarea>" in html
    assert 'aria-invalid="true"' in html and f'id="id_a{target.pk}-text_error"' in html
    assert not Comment.objects.exists()


def test_comment_just_after_closing_keeps_the_text_and_says_why(
    member_client, consultation, org_a, clock
):
    clock.now = consultation.closes_at
    target = paragraph(consultation)
    response = post(
        member_client, consultation, f"a{target.pk}", organisation=org_a.pk, text="Net te laat!"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reageren kan niet meer" in html and "Er is niets verloren" in html
    assert "Net te laat!</textarea>" in html
    assert "Nu: Gesloten" in html  # the phase banner is on this page too
    assert not Comment.objects.exists()


def test_comment_before_opening_is_refused(member_client, make_consultation, org_a, clock):
    page = make_consultation(
        opens_at=clock.now.replace(year=2027), closes_at=clock.now.replace(year=2028)
    )
    target = paragraph(page)
    response = post(member_client, page, f"a{target.pk}", organisation=org_a.pk)
    assert "Reageren kan nog niet" in response.content.decode()
    assert not Comment.objects.exists()


def test_double_submit_is_counted_once(member_client, consultation, org_a):
    target = paragraph(consultation)
    token = str(uuid.uuid4())
    first = post(member_client, consultation, f"a{target.pk}", organisation=org_a.pk, token=token)
    second = post(member_client, consultation, f"a{target.pk}", organisation=org_a.pk, token=token)
    assert Comment.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_someone_elses_form_token_does_not_overwrite_or_reveal_their_comment(
    client, member_a, consultation, org_a
):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from consultations.models import Membership

    other = get_user_model().objects.create_user(username="ander", email="ander@example.org")
    Membership.objects.create(user=other, organisation=org_a, confirmed_at=timezone.now())
    target = paragraph(consultation)
    token = str(uuid.uuid4())
    client.force_login(member_a)
    post(client, consultation, f"a{target.pk}", organisation=org_a.pk, token=token)
    client.force_login(other)
    response = post(
        client, consultation, f"a{target.pk}", organisation=org_a.pk, token=token, text="Mijn tekst"
    )
    assert response.status_code == 200 and "Mijn tekst</textarea>" in response.content.decode()
    assert Comment.objects.count() == 1


def test_anonymous_visitors_cannot_comment_but_keep_their_text(client, consultation, org_a):
    target = paragraph(consultation)
    response = post(client, consultation, f"a{target.pk}", organisation=org_a.pk, text="Hallo")
    assert response.status_code == 403
    assert "Hallo</textarea>" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_member_of_a_cannot_comment_for_b(member_client, consultation, org_b):
    target = paragraph(consultation)
    response = post(member_client, consultation, f"a{target.pk}", organisation=org_b.pk)
    assert "alleen reageren voor een organisatie waarvan je lid bent" in response.content.decode()
    assert not Comment.objects.exists()


def test_an_unconfirmed_member_cannot_comment(client, pending_member, consultation, org_a):
    client.force_login(pending_member)
    target = paragraph(consultation)
    response = post(client, consultation, f"a{target.pk}", organisation=org_a.pk)
    assert response.status_code == 403 and not Comment.objects.exists()


def test_a_youth_panel_round_takes_no_draft_comments(member_client, make_consultation, org_a):
    page = make_consultation(audience=ConsultationPage.Audience.YOUTH_PANEL)
    target = paragraph(page)
    assert post(member_client, page, f"a{target.pk}", organisation=org_a.pk).status_code == 403


def test_a_paragraph_of_another_consultation_is_not_found(member_client, make_consultation, org_a):
    first, second = make_consultation(), make_consultation()
    target = paragraph(first)
    response = post(member_client, second, f"a{target.pk}", organisation=org_a.pk)
    assert response.status_code == 404


def test_comment_on_an_older_version_is_kept_and_shown_with_its_version(
    member_client, consultation, org_a
):
    old = paragraph(consultation, "7.3")
    consultation.draft_text = "# 7. Een sterke sociale basis\n\nEen nieuwe tekst."
    consultation.save_revision().publish()
    response = post(member_client, consultation, f"a{old.pk}", organisation=org_a.pk)
    comment = Comment.objects.get()
    assert response.status_code == 303 and comment.version.number == 1
    html = member_client.get(consultation.url).content.decode()
    assert "Reacties op een eerdere versie" in html
    assert "over 7.3 in versie 1" in html and "De gemeente verbindt partijen." in html


def test_html_in_a_comment_is_shown_as_text(member_client, consultation, org_a):
    target = paragraph(consultation)
    post(
        member_client,
        consultation,
        f"a{target.pk}",
        organisation=org_a.pk,
        text='<script>alert("x")</script><b>vet</b>',
    )
    html = member_client.get(consultation.url).content.decode()
    assert "<script>alert" not in html and "<b>vet</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;vet&lt;/b&gt;" in html


def test_staff_only_comments_are_not_shown_publicly(client, member_a, reader, consultation, org_a):
    client.force_login(member_a)
    target = paragraph(consultation)
    post(
        client,
        consultation,
        f"a{target.pk}",
        organisation=org_a.pk,
        text="Alleen voor de gemeente bedoeld",
        visibility="staff_only",
    )
    assert "Alleen voor de gemeente bedoeld" in client.get(consultation.url).content.decode()
    client.force_login(reader)
    assert "Alleen voor de gemeente bedoeld" not in client.get(consultation.url).content.decode()
    client.logout()
    assert "Alleen voor de gemeente bedoeld" not in client.get(consultation.url).content.decode()


def test_moderation_before_publication_hides_a_comment_until_approved(
    client, member_a, reader, make_consultation, org_a
):
    page = make_consultation(moderation=ConsultationPage.Moderation.BEFORE)
    client.force_login(member_a)
    target = paragraph(page)
    post(client, page, f"a{target.pk}", organisation=org_a.pk, text="Wacht even")
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert "Een moderator kijkt er nog naar." in client.get(page.url).content.decode()
    client.force_login(reader)
    assert "Wacht even" not in client.get(page.url).content.decode()
    comment.status = Comment.Status.PUBLISHED
    comment.save()
    assert "Wacht even" in client.get(page.url).content.decode()


def test_moderation_after_publication_lets_a_moderator_hide_a_comment(
    client, member_a, reader, consultation, org_a
):
    client.force_login(member_a)
    target = paragraph(consultation)
    post(client, consultation, f"a{target.pk}", organisation=org_a.pk, text="Meteen te zien")
    client.force_login(reader)
    assert "Meteen te zien" in client.get(consultation.url).content.decode()
    Comment.objects.update(status=Comment.Status.HIDDEN)
    assert "Meteen te zien" not in client.get(consultation.url).content.decode()


@pytest.fixture
def public_comment(consultation, org_a):
    target = paragraph(consultation)
    return Comment.objects.create(
        consultation=consultation,
        version=target.chapter.version,
        chapter=target.chapter,
        paragraph=target,
        organisation=org_a,
        text="Openbaar",
        status=Comment.Status.PUBLISHED,
    )


def test_a_reader_flags_a_comment_once(client, reader, public_comment):
    client.force_login(reader)
    url = reverse("consultations:flag", args=(public_comment.pk,))
    first = client.post(url)
    second = client.post(url, follow=True)
    assert first.status_code == 303
    assert Flag.objects.filter(comment=public_comment).count() == 1
    assert "Je had deze reactie al gemeld." in second.content.decode()
    assert "Je hebt deze reactie gemeld." in second.content.decode()


def test_anonymous_visitors_cannot_flag(client, public_comment):
    response = client.post(reverse("consultations:flag", args=(public_comment.pk,)))
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert not Flag.objects.exists()


def test_a_staff_only_comment_cannot_be_flagged(client, reader, public_comment):
    public_comment.visibility = Comment.Visibility.STAFF_ONLY
    public_comment.save()
    client.force_login(reader)
    response = client.post(reverse("consultations:flag", args=(public_comment.pk,)))
    assert response.status_code == 404 and not Flag.objects.exists()
