"""The consultation pages render, staff create them in the admin, and the demo seed works."""

import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from consultations.demo import seed_demo_consultation
from consultations.models import Comment, ConsultationPage
from tests.consultations.conftest import DRAFT, START


def test_the_index_groups_consultations_by_phase(client, make_consultation, index_page):
    make_consultation(title="Nu open")
    make_consultation(
        title="Al dicht",
        opens_at=START - datetime.timedelta(days=30),
        closes_at=START - datetime.timedelta(days=2),
    )
    html = client.get(index_page.url).content.decode()
    assert html.index("Open voor reacties") < html.index("Nu open") < html.index("Gesloten")
    assert html.index("Gesloten") < html.index("Al dicht")


def test_the_consultation_page_shows_numbered_paragraphs_and_chapters(client, consultation):
    html = client.get(consultation.url).content.decode()
    assert "<h1>Concept visie Jeugd</h1>" in html
    assert 'id="alinea-7-2"' in html and ">7.2</span>" in html
    assert "We maken de sociale basis sterker.<br>Samen met partners." in html
    assert 'id="hoofdstuk-8"' in html and "Log in om te reageren." in html


def test_staff_create_a_consultation_in_the_admin(client, index_page, clock):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    client.force_login(admin)
    data = nested_form_data(
        {
            "title": "Nieuwe inspraak",
            "slug": "nieuwe-inspraak",
            "summary": "Kort en duidelijk.",
            "intro": rich_text(""),
            "audience": "everyone",
            "opens_at": "2026-03-01 09:00",
            "closes_at": "2026-03-20 17:00",
            "answered_at": "",
            "moderation": "before",
            "draft_text": DRAFT,
            "youth_questions": inline_formset([]),
            "action-publish": "publish",
        }
    )
    url = reverse(
        "wagtailadmin_pages:add", args=("consultations", "consultationpage", index_page.pk)
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = ConsultationPage.objects.get(slug="nieuwe-inspraak")
    assert page.live and page.current_version().number == 1


def test_the_admin_refuses_a_broken_draft(client, index_page, clock):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    client.force_login(admin)
    data = nested_form_data(
        {
            "title": "Kapot",
            "slug": "kapot",
            "summary": "Kort.",
            "intro": rich_text(""),
            "audience": "everyone",
            "opens_at": "2026-03-01 09:00",
            "closes_at": "2026-03-20 17:00",
            "moderation": "before",
            "draft_text": "Tekst zonder kop",
            "action-publish": "publish",
        }
    )
    url = reverse(
        "wagtailadmin_pages:add", args=("consultations", "consultationpage", index_page.pk)
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "voor de eerste kop" in response.content.decode()
    assert not ConsultationPage.objects.filter(slug="kapot").exists()


def test_the_admin_opens_a_comment_with_its_text_read_only(
    client, policy_officer, consultation, org_a
):
    chapter = consultation.current_version().chapters.first()
    comment = Comment.objects.create(
        consultation=consultation,
        version=chapter.version,
        chapter=chapter,
        organisation=org_a,
        text="<i>schuin</i>",
    )
    client.force_login(policy_officer)
    html = client.get(reverse("reacties:edit", args=(comment.pk,))).content.decode()
    assert "&lt;i&gt;schuin&lt;/i&gt;" in html and "Antwoord van de gemeente" in html


def test_demo_seed_builds_an_open_consultation_with_comments_once(db, clock):
    first = seed_demo_consultation()
    again = seed_demo_consultation()
    page = ConsultationPage.objects.get(slug="concept-visie-jeugd")
    assert "Demo consultation at" in first and "already present" in again
    assert page.allows("comment")
    labels = [c.number for c in page.current_version().chapters.all()]
    assert labels == [7, 8, 9, 10]
    assert Comment.objects.filter(consultation=page).count() == 4


def test_a_new_or_answered_comment_purges_the_page_cache(consultation, org_a):
    from django.core.cache import cache

    from config import pagecache

    pagecache.purge()
    before = cache.get("pagecache:generation")
    chapter = consultation.current_version().chapters.first()
    comment = Comment.objects.create(
        consultation=consultation,
        version=chapter.version,
        chapter=chapter,
        organisation=org_a,
        text="Nieuw",
    )
    after_new = cache.get("pagecache:generation")
    comment.answer_outcome = Comment.Outcome.NOTED
    comment.save()
    assert len({before, after_new, cache.get("pagecache:generation")}) == 3
