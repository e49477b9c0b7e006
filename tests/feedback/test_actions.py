"""Jullie zeiden, wij deden: actions, the public page per core task and the mail to authors.

Personas (from tests/consultations/conftest.py):
- `member_a`: wrote the cited comments; gets the mail.
- `policy_officer`: group Beleidsmedewerkers; adds and changes actions in the admin.
- `client` without login: the public.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from consultations.models import Comment
from feedback.actions import notify_cited_authors
from feedback.models import Action, ActionNotice, ActionStatus
from home.models import CoreTask
from tests.consultations import conftest as consultation_fixtures
from youth_panel.models import PollSession

# The consultation fixtures, shared with tests/consultations (fixtures are found by name).
clock = consultation_fixtures.clock
index_page = consultation_fixtures.index_page
make_consultation = consultation_fixtures.make_consultation
consultation = consultation_fixtures.consultation
org_a = consultation_fixtures.org_a
org_b = consultation_fixtures.org_b
member_a = consultation_fixtures.member_a
policy_officer = consultation_fixtures.policy_officer

URL = "/wij-deden/"
D = datetime.date


@pytest.fixture
def core_tasks(db) -> list[CoreTask]:
    """Two core tasks, made out of order: the page follows their numbers."""
    second = CoreTask.objects.create(
        number=2, title="Stevig lokaal team", short_title="Lokaal team", slug="lokaal-team"
    )
    first = CoreTask.objects.create(
        number=1, title="Sterke sociale basis", short_title="Sociale basis", slug="sociale-basis"
    )
    return [first, second]


@pytest.fixture
def make_comment(consultation, org_a, member_a):
    """A comment by member_a on paragraph 7.2; public and published unless told otherwise."""

    def make(text="We missen de hoe.", **fields) -> Comment:
        paragraph = consultation.current_version().chapters.get(number=7).paragraphs.get(number=2)
        defaults = {
            "consultation": consultation,
            "version": paragraph.chapter.version,
            "chapter": paragraph.chapter,
            "paragraph": paragraph,
            "organisation": org_a,
            "author": member_a,
            "text": text,
            "status": Comment.Status.PUBLISHED,
        }
        return Comment.objects.create(**{**defaults, **fields})

    return make


def make_action(core_tasks=(), comments=(), polls=(), **fields) -> Action:
    """An action saved as the admin saves it: fields, then relations."""
    defaults = {"title": "Meer jongerenwerk", "description": "We openen een extra inloop."}
    action = Action.objects.create(**{**defaults, **fields})
    action.core_tasks.set(core_tasks)
    action.comments.set(comments)
    action.poll_sessions.set(polls)
    return action


def page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


# --- clean() ------------------------------------------------------------------------------------


def test_done_before_started_is_refused(db):
    action = Action(
        title="x",
        description="y",
        status=ActionStatus.DONE,
        started_on=D(2026, 5, 1),
        done_on=D(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "done_on" in error.value.message_dict


def test_started_before_planned_is_refused(db):
    action = Action(
        title="x",
        description="y",
        status=ActionStatus.IN_PROGRESS,
        planned_on=D(2026, 5, 1),
        started_on=D(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "started_on" in error.value.message_dict


def test_done_date_needs_status_done(db):
    action = Action(
        title="x", description="y", status=ActionStatus.IN_PROGRESS, done_on=D(2026, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "done_on" in error.value.message_dict


def test_unknown_indicator_key_is_refused(db):
    action = Action(title="x", description="y", indicator_keys=["mark_mean", "geheim"])
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "indicator_keys" in error.value.message_dict


def test_dates_in_order_and_no_dates_are_both_fine(db):
    Action(title="x", description="y").full_clean()
    Action(
        title="x",
        description="y",
        status=ActionStatus.DONE,
        planned_on=D(2026, 1, 1),
        started_on=D(2026, 2, 1),
        done_on=D(2026, 2, 1),
        indicator_keys=["mark_mean"],
    ).full_clean()


# --- the public page ----------------------------------------------------------------------------


def test_page_shows_only_published_actions_per_core_task_in_order(client, core_tasks):
    first, second = core_tasks
    make_action([second], title="Kortere wachttijd", published=True, status=ActionStatus.DONE)
    make_action([first], title="Meer jongerenwerk", published=True)
    make_action([first], title="Nog geheim plan", published=False)
    make_action([], title="Zonder kernopgave", published=True)
    html = page(client)
    assert "Nog geheim plan" not in html
    positions = [
        html.index('id="kernopgave-1"'),
        html.index("Meer jongerenwerk"),
        html.index('id="kernopgave-2"'),
        html.index("Kortere wachttijd"),
        html.index('id="overig"'),
        html.index("Zonder kernopgave"),
    ]
    assert positions == sorted(positions)
    assert '<h2 id="kernopgave-1">1. Sociale basis</h2>' in html
    assert "<dd>Klaar</dd>" in html  # the status as text, not a colour only


def test_action_under_two_core_tasks_has_unique_anchors(client, core_tasks):
    action = make_action(core_tasks, published=True)
    html = page(client)
    assert html.count(f'id="actie-{action.pk}"') == 1
    assert f'id="actie-{action.pk}-2"' in html


def test_public_comment_links_to_consultation_without_author(client, core_tasks, make_comment):
    comment = make_comment("Meer plekken om te chillen.")
    make_action(core_tasks[:1], [comment], published=True)
    html = page(client)
    assert f"#reactie-{comment.pk}" in html
    assert "Meer plekken om te chillen." in html
    assert comment.author.username not in html
    assert comment.author.email not in html


def test_staff_only_comment_text_is_never_shown(client, core_tasks, make_comment):
    comment = make_comment("Geheime zorg over Jan.", visibility=Comment.Visibility.STAFF_ONLY)
    make_action(core_tasks[:1], [comment], published=True)
    html = page(client)
    assert "Geheime zorg" not in html
    assert f"reactie-{comment.pk}" not in html
    assert "een reactie die alleen voor de gemeente is" in html


@pytest.mark.parametrize("status", [Comment.Status.PENDING, Comment.Status.HIDDEN])
def test_unpublished_or_hidden_comment_is_not_linked(client, core_tasks, make_comment, status):
    comment = make_comment("Nog niet gecontroleerd.", status=status)
    make_action(core_tasks[:1], [comment], published=True)
    html = page(client)
    assert "Nog niet gecontroleerd." not in html
    assert f"reactie-{comment.pk}" not in html
    assert "een reactie die niet openbaar is" in html


def test_poll_links_to_results_only_when_public(client, core_tasks):
    public = PollSession.objects.create(
        title="Peiling open", status=PollSession.Status.ENDED, results_public=True
    )
    closed = PollSession.objects.create(
        title="Peiling dicht", status=PollSession.Status.ENDED, results_public=False
    )
    make_action(core_tasks[:1], polls=[public, closed], published=True)
    html = page(client)
    assert f"/p/{public.join_code}/uitslag/" in html
    assert f"/p/{closed.join_code}/uitslag/" not in html
    assert "de uitslag is niet openbaar" in html


def test_indicator_keys_show_their_label(client, core_tasks):
    make_action(core_tasks[:1], indicator_keys=["mark_mean"], published=True)
    assert "Gemiddeld rapportcijfer" in page(client)


def test_html_is_escaped(client, core_tasks, make_comment):
    comment = make_comment("<script>alert(1)</script>")
    make_action(
        core_tasks[:1],
        [comment],
        title="<b>vet</b>",
        heard="<img src=x onerror=alert(2)>",
        published=True,
    )
    html = page(client)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<b>vet</b>" not in html
    assert "<img src=x" not in html


def test_empty_page_says_so(client, db):
    assert "Er staan nog geen acties" in page(client)


# --- mail to authors ----------------------------------------------------------------------------


def test_unpublished_action_mails_nobody(make_comment):
    action = make_action(comments=[make_comment()], published=False)
    assert notify_cited_authors(action) == 0
    assert mail.outbox == []


def test_hidden_comment_author_is_not_mailed(make_comment):
    action = make_action(comments=[make_comment(status=Comment.Status.HIDDEN)], published=True)
    assert notify_cited_authors(action) == 0
    assert mail.outbox == []


def test_author_of_staff_only_comment_is_mailed_too(make_comment):
    comment = make_comment(visibility=Comment.Visibility.STAFF_ONLY)
    action = make_action(comments=[comment], published=True)
    assert notify_cited_authors(action) == 1
    assert mail.outbox[0].to == [comment.author.email]


# --- the admin ----------------------------------------------------------------------------------


def _form_data(**fields) -> dict:
    data = {
        "title": "Meer jongerenwerk",
        "heard": "Jongeren willen een plek om te chillen.",
        "description": "We openen een extra inloop.",
        "status": ActionStatus.PLANNED,
        "planned_on": "2026-03-01",
        "started_on": "",
        "done_on": "",
    }
    data.update(fields)
    return data


def test_policy_officer_can_list_add_and_change_actions(client, policy_officer):
    client.force_login(policy_officer)
    assert client.get("/beheer/wat-we-deden/").status_code == 200
    assert client.get("/beheer/wat-we-deden/new/").status_code == 200
    assert policy_officer.has_perm("feedback.add_action")
    assert policy_officer.has_perm("feedback.change_action")
    assert policy_officer.has_perm("feedback.view_action")


def test_visitor_cannot_open_the_admin_list(client, db):
    response = client.get("/beheer/wat-we-deden/")
    assert response.status_code == 302


def test_authors_mailed_once_on_first_publish_not_on_resave(
    client, policy_officer, core_tasks, make_comment, django_capture_on_commit_callbacks
):
    comment = make_comment()
    client.force_login(policy_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/beheer/wat-we-deden/new/",
            _form_data(comments=[comment.pk], core_tasks=[core_tasks[0].pk]),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    action = Action.objects.get()
    assert mail.outbox == []  # not public yet
    edit = f"/beheer/wat-we-deden/edit/{action.pk}/"
    data = _form_data(comments=[comment.pk], core_tasks=[core_tasks[0].pk], published="on")
    data["indicator_keys"] = ["mark_mean"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(edit, data).status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [comment.author.email]
    assert "Meer jongerenwerk" in message.body
    assert f"/wij-deden/#actie-{action.pk}" in message.body
    action.refresh_from_db()
    assert action.first_published_at is not None
    assert action.indicator_keys == ["mark_mean"]
    assert ActionNotice.objects.filter(action=action, comment=comment).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(edit, {**data, "title": "Meer jongerenwerk, nu"}).status_code == 302
    assert len(mail.outbox) == 1


def test_admin_refuses_done_before_started(client, policy_officer):
    client.force_login(policy_officer)
    response = client.post(
        "/beheer/wat-we-deden/new/",
        _form_data(status=ActionStatus.DONE, started_on="2026-05-01", done_on="2026-04-01"),
    )
    assert response.status_code == 200
    assert "Klaar kan niet vóór begonnen liggen." in response.content.decode()
    assert not Action.objects.exists()


@pytest.mark.django_db
def test_the_demo_has_three_published_actions_linked_to_seeded_input():
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())

    actions = Action.objects.published()
    assert actions.count() == 3
    assert all(action.core_tasks.exists() for action in actions)
    assert sum(action.comments.count() for action in actions) >= 3
    assert any(action.poll_sessions.exists() for action in actions)
    assert any(action.indicator_keys for action in actions)
    assert not ActionNotice.objects.exists()


def _story(status="approved", text="Ik durf weer naar school.", raw="Mijn coach Sanne hielp."):
    from feedback.models import SurveyResponse

    return SurveyResponse.objects.create(
        respondent="youth",
        period="2026-03",
        help_type="ambulant",
        end_reason="as_planned",
        district="oudorp",
        age_band="16-17",
        end_period="2026-H1",
        most_important_change=raw,
        consent_to_quote=True,
        story_status=status,
        story_text=text,
    )


def test_a_cited_story_shows_only_its_website_text_and_only_while_approved(client, core_tasks):
    approved, withdrawn = _story(), _story(status="rejected", text="Niet meer gebruiken.")
    action = make_action(core_tasks=core_tasks[:1], published=True)
    action.stories.add(approved, withdrawn)

    html = page(client)

    assert "Het verhaal van een jongere uit de eerste helft van 2026" in html
    assert "Ik durf weer naar school." in html
    assert "Sanne" not in html and "Niet meer gebruiken." not in html


def test_policy_officers_may_open_the_staff_dashboard(client, policy_officer):
    client.force_login(policy_officer)

    assert policy_officer.has_perm("feedback.view_provider")
    assert client.get("/beheer/cijfers/").status_code == 200
