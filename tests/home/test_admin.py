"""The Wagtail admin opens every page type and snippet for the demo staff member."""

import pytest
from django.urls import reverse
from wagtail.models import Page

from home.models import CoreTask, GlossaryTerm


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_admin_opens_the_edit_form_of_every_seeded_page(staff_client):
    pages = Page.objects.filter(depth__gte=2).specific()
    kinds = set()
    for page in pages:
        response = staff_client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
        assert response.status_code == 200, page.url_path
        kinds.add(type(page).__name__)
    assert {"HomePage", "VisionPage", "ChapterPage", "CoreTaskPage", "GlossaryPage"} <= kinds
    assert {"ParticipationTrailPage", "UpdateIndexPage", "UpdatePage"} <= kinds


def test_admin_lists_and_edits_glossary_terms_and_core_tasks(staff_client):
    term = GlossaryTerm.objects.get(slug="pleegzorg")
    listing = staff_client.get(reverse("wagtailsnippets_home_glossaryterm:list"))
    assert listing.status_code == 200 and "Pleegzorg" in listing.content.decode()
    edit = staff_client.get(reverse("wagtailsnippets_home_glossaryterm:edit", args=(term.pk,)))
    assert edit.status_code == 200
    task = CoreTask.objects.get(number=1)
    assert (
        staff_client.get(reverse("wagtailsnippets_home_coretask:edit", args=(task.pk,))).status_code
        == 200
    )


def test_participants_cannot_enter_the_admin(client, participant):
    client.force_login(participant)
    response = client.get("/beheer/")
    assert response.status_code == 302 and "/beheer/login/" in response.url
