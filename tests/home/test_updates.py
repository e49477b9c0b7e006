"""Updates: a policy officer writes one in the admin, a moderator approves it, then it is live."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from home.models import CoreTask, UpdateIndexPage, UpdatePage


@pytest.fixture
def editor(seeded):
    """A policy officer: writes and submits, may not publish."""
    user = get_user_model().objects.create_user(username="redacteur", password="x" * 12)
    user.groups.add(Group.objects.get(name="Beleidsmedewerkers"))
    return user


def _update_form(**extra):
    return nested_form_data(
        {
            "title": "Wat we deden met jullie ideeën",
            "slug": "wat-we-deden",
            "date": "2026-11-20",
            "summary": "Een korte samenvatting.",
            "body": streamfield([("paragraph", rich_text("<p>Jullie zeiden, wij deden.</p>"))]),
            "core_tasks": [CoreTask.objects.get(number=1).pk],
            **extra,
        }
    )


def test_editor_submits_an_update_for_moderation_and_a_moderator_approves_it(editor, staff, client):
    index = UpdateIndexPage.objects.get()
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:add", args=("home", "updatepage", index.pk))
    response = client.post(url, _update_form(**{"action-submit": "Ter moderatie indienen"}))
    assert response.status_code == 302, response.content.decode()[:2000]

    update = UpdatePage.objects.get(slug="wat-we-deden")
    assert not update.live
    state = update.current_workflow_state
    assert state is not None and state.status == state.STATUS_IN_PROGRESS
    assert client.get(f"/nieuws/{update.slug}/").status_code == 404

    task_state = state.current_task_state
    task_state.task.specific.on_action(task_state, staff, "approve")
    update.refresh_from_db()
    assert update.live
    client.logout()
    response = client.get("/nieuws/wat-we-deden/")
    assert response.status_code == 200
    assert "Jullie zeiden, wij deden." in response.content.decode()


def test_editor_cannot_publish_directly(editor, client):
    index = UpdateIndexPage.objects.get()
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:add", args=("home", "updatepage", index.pk))
    client.post(url, _update_form(**{"action-publish": "Publiceren"}))
    assert not UpdatePage.objects.get(slug="wat-we-deden").live


def test_update_without_summary_is_refused_with_an_error(editor, client):
    index = UpdateIndexPage.objects.get()
    client.force_login(editor)
    url = reverse("wagtailadmin_pages:add", args=("home", "updatepage", index.pk))
    response = client.post(url, _update_form(summary="", **{"action-submit": "Indienen"}))
    assert response.status_code == 200
    assert not UpdatePage.objects.filter(slug="wat-we-deden").exists()


def test_updates_can_be_filtered_by_core_task(seeded, client):
    html = client.get("/nieuws/", {"kernopgave": "specialistische-zorg"}).content.decode()
    assert "Partners lazen mee met de visie" in html
    assert "Jongeren praten mee over de weg naar hulp" not in html
