"""Hosts check words before they reach the word cloud (works without JavaScript).

Personas: `host` is a signed-in host of the session; `outsider` is signed in but hosts nothing;
`client` is an anonymous browser.
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.youth_panel.conftest import make_running_poll
from youth_panel import live, moderation, polls
from youth_panel.models import PollQuestion, PollSession, Word

Kind = PollQuestion.Kind
CODE = "WRD234"
URL = f"/p/{CODE}/woorden/"


@pytest.fixture
def session(db):
    """A running poll at its open-words question, which checks words first."""
    poll = make_running_poll("Avond", {Kind.SINGLE: "A\nB", Kind.RANKING: "X\nY"}, join_code=CODE)
    PollQuestion.objects.filter(session=poll, kind=Kind.WORDS).update(moderate_words=True)
    for _step in range(3):
        poll = polls.control(poll, "next")
    assert poll.current_question.kind == Kind.WORDS
    return poll


@pytest.fixture
def question(session):
    """The open-words question."""
    return session.questions.get(kind=Kind.WORDS)


@pytest.fixture
def waiting(session, question):
    """A word sent from a phone, waiting for a host."""
    polls.cast_vote(
        session, question, "a" * 32, "11111111-1111-1111-1111-111111111111", ["<b>sport</b>"]
    )
    return Word.objects.get(question=question)


@pytest.fixture
def host(session):
    """A signed-in host of this session."""
    user = get_user_model().objects.create_user("gespreksleider", password="geheim-wachtwoord")
    session.hosts.add(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def outsider(session):
    """Signed in, but not a host of this session."""
    user = get_user_model().objects.create_user("buitenstaander", password="geheim-wachtwoord")
    client = Client()
    client.force_login(user)
    return client


def _version(session):
    return PollSession.objects.get(pk=session.pk).version


def test_a_new_word_waits_and_is_not_in_the_cloud(waiting, question):
    assert waiting.status == Word.Status.WAITING
    assert polls.tally(question)["words"] == []


def test_the_page_lists_waiting_words_as_text_with_clear_buttons(host, waiting):
    html = host.get(URL).content.decode()
    assert "<h1>Woorden controleren</h1>" in html
    assert "&lt;b&gt;sport&lt;/b&gt;" in html and "<b>sport</b>" not in html
    assert "Laat zien" in html and "Verberg" in html and "1 keer" in html
    assert f'name="word" value="{waiting.pk}"' in html and "csrfmiddlewaretoken" in html
    assert "1 woord wacht op jou." in html


def test_a_host_shows_a_waiting_word_and_it_reaches_the_tally(host, session, question, waiting):
    before = _version(session)
    response = host.post(URL, {"word": waiting.pk, "status": "shown"})
    assert response.status_code == 303 and response.url == URL
    assert polls.tally(question)["words"] == [{"text": "<b>sport</b>", "count": 1}]
    assert _version(session) == before + 1
    page = host.get(URL).content.decode()
    assert "message-success" in page and "staat nu in de woordwolk" in page
    assert "Laat toch zien" not in page


def test_a_host_hides_a_shown_word_and_can_show_it_again(host, question, waiting):
    host.post(URL, {"word": waiting.pk, "status": "shown"})
    host.post(URL, {"word": waiting.pk, "status": "hidden"})
    assert polls.tally(question)["words"] == []
    assert "Laat toch zien" in host.get(URL).content.decode()
    host.post(URL, {"word": waiting.pk, "status": "shown"})
    assert len(polls.tally(question)["words"]) == 1


def test_the_same_choice_twice_changes_the_version_once(host, session, waiting):
    before = _version(session)
    host.post(URL, {"word": waiting.pk, "status": "hidden"})
    host.post(URL, {"word": waiting.pk, "status": "hidden"})
    assert _version(session) == before + 1


def test_screens_are_told_after_a_change_when_live_can_announce(
    host, session, waiting, monkeypatch, django_capture_on_commit_callbacks
):
    told = []
    monkeypatch.setattr(live, "announce_change", told.append, raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        host.post(URL, {"word": waiting.pk, "status": "shown"})
    assert told == [session.pk]


def test_a_change_works_without_announce_change(host, waiting, monkeypatch):
    monkeypatch.delattr(live, "announce_change", raising=False)
    assert host.post(URL, {"word": waiting.pk, "status": "shown"}).status_code == 303


def test_an_unknown_status_changes_nothing(host, waiting):
    page = host.post(URL, {"word": waiting.pk, "status": "waiting"}, follow=True)
    assert "Deze knop bestaat niet." in page.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Word.Status.WAITING


@pytest.mark.parametrize("word_id", ["", "abc", "-1", "999999"])
def test_a_bad_word_id_is_not_found(host, waiting, word_id):
    assert host.post(URL, {"word": word_id, "status": "shown"}).status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == Word.Status.WAITING


def test_a_word_of_another_session_is_not_found_and_stays_as_it_was(host, waiting):
    other = make_running_poll("Ander", {Kind.SINGLE: "A"}, join_code="ANDR23")
    other_question = other.questions.get(kind=Kind.WORDS)
    foreign = Word.objects.create(question=other_question, text="anders", count=1, status="waiting")
    assert host.post(URL, {"word": foreign.pk, "status": "shown"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Word.Status.WAITING


def test_someone_who_does_not_host_gets_403_and_nothing_changes(outsider, waiting):
    assert outsider.get(URL).status_code == 403
    assert outsider.post(URL, {"word": waiting.pk, "status": "shown"}).status_code == 403
    waiting.refresh_from_db()
    assert waiting.status == Word.Status.WAITING


def test_anonymous_visitors_go_to_the_login_page(client, waiting):
    for response in (client.get(URL), client.post(URL, {"word": waiting.pk, "status": "shown"})):
        assert response.status_code == 302 and response.url.startswith("/account/login/")
    waiting.refresh_from_db()
    assert waiting.status == Word.Status.WAITING


def test_rights_are_checked_again_on_every_post(host, session, waiting):
    assert host.get(URL).status_code == 200
    session.hosts.clear()
    assert host.post(URL, {"word": waiting.pk, "status": "shown"}).status_code == 403


def test_the_control_page_links_to_the_check_with_the_number_waiting(host, waiting):
    html = host.get(f"/p/{CODE}/bediening/").content.decode()
    assert URL in html and "Woorden controleren (1 wacht)" in html


def test_the_control_page_has_no_check_link_without_open_words(host, session):
    PollQuestion.objects.filter(session=session, kind=Kind.WORDS).delete()
    assert URL not in host.get(f"/p/{CODE}/bediening/").content.decode()
    assert moderation.moderation_summary(session)["words_questions"] == 0
