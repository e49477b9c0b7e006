"""The live poll pages over HTTP, as a phone without JavaScript and as a host meet them.

Personas: `phone` is an anonymous browser (a participant cookie, no account); `host` is a
signed-in user on the session's hosts list; `outsider` is signed in but hosts nothing.
"""

import csv
import io
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.youth_panel.conftest import make_running_poll
from youth_panel.models import PollQuestion, PollSession, Vote, Word
from youth_panel.polls import ACTIONS, control
from youth_panel.views import PARTICIPANT_COOKIE, participant_from_cookie

Kind = PollQuestion.Kind
CODE = "KWZ234"
PHONE = f"/p/{CODE}/"


@pytest.fixture
def session(db):
    """A running session with one question of each kind; single choice is current."""
    options = {
        Kind.SINGLE: "=SUM(A1)\nBus\nFiets",
        Kind.MULTIPLE: "Sport\nMuziek\nGamen\nLezen",
        Kind.RANKING: "Eerste\nTweede\nDerde",
    }
    return make_running_poll("Jeugdpanel avond", options, join_code=CODE, first_number=1)


@pytest.fixture
def phone(session):
    """An anonymous phone that opened the poll page (and so has its participant cookie)."""
    client = Client()
    client.get(PHONE)
    return client


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


def _go_to(session, kind):
    session.refresh_from_db()
    while session.current_question.kind != kind:
        session = control(session, "next")
    return session


def _form(client, url=PHONE):
    """The hidden fields of the vote form as the page rendered them."""
    html = client.get(url).content.decode()
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    vote_id = re.search(r'name="vote_id" value="([0-9a-f]{32})"', html).group(1)
    return {"question": question, "vote_id": vote_id}


def _vote(client, data):
    return client.post(PHONE, {**_form(client), **data})


# --- join -----------------------------------------------------------------------------------


def test_the_join_page_shows_a_form_for_the_code(client, db):
    response = client.get("/p/")
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_a_typed_code_in_lower_case_with_spaces_opens_the_phone_view(client, session):
    response = client.get("/p/", {"code": " kwz 234 "})
    assert response.status_code == 302 and response.url == PHONE


def test_an_unknown_code_gets_a_friendly_error_on_the_same_page(client, session):
    response = client.get("/p/", {"code": "AAAAAA"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "We kennen deze code niet" in html and 'aria-invalid="true"' in html


def test_an_unknown_code_in_the_address_shows_the_join_page(client, db):
    response = client.get("/p/AAAAAA/")
    assert response.status_code == 404
    assert "We kennen deze code niet" in response.content.decode()


def test_a_lower_case_code_in_the_address_goes_to_the_right_page(client, session):
    response = client.get("/p/kwz234/")
    assert response.status_code == 302 and response.url == PHONE


# --- phone ----------------------------------------------------------------------------------


def test_the_phone_view_sets_a_signed_httponly_participant_cookie(client, session):
    response = client.get(PHONE)
    cookie = response.cookies[PARTICIPANT_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 24 * 60 * 60
    participant = participant_from_cookie(cookie.value)
    assert participant is not None and re.fullmatch(r"[0-9a-f]{32}", participant)
    again = client.get(PHONE)
    assert PARTICIPANT_COOKIE not in again.cookies, "the id stays the same while it lasts"


def test_a_forged_participant_cookie_is_replaced(client, session):
    client.cookies[PARTICIPANT_COOKIE] = "a" * 32
    response = client.get(PHONE)
    assert participant_from_cookie(response.cookies[PARTICIPANT_COOKIE].value) != "a" * 32


def test_the_phone_page_waits_before_the_start_and_says_when_it_is_over(client, db):
    poll = PollSession.objects.create(title="Later", join_code="WACHT2")
    PollQuestion.objects.create(session=poll, text="Ja?", kind=Kind.YES_NO)
    assert "De peiling begint zo" in client.get("/p/WACHT2/").content.decode()
    control(control(poll, "start"), "end")
    html = client.get("/p/WACHT2/").content.decode()
    assert "De peiling is klaar" in html and "/p/WACHT2/uitslag/" in html


def test_a_vote_through_the_form_is_stored_and_acknowledged(phone, session):
    response = _vote(phone, {"answer": "1"})
    assert response.status_code == 303 and response.url == PHONE
    vote = Vote.objects.get()
    assert vote.answer == 1 and vote.question == session.current_question
    assert vote.participant == participant_from_cookie(phone.cookies[PARTICIPANT_COOKIE].value)
    html = phone.get(PHONE).content.decode()
    assert 'role="status"' in html and "Je stem is binnen." in html
    assert "<title>Je stem is binnen: Vraag 1 |" in html, "screen readers hear it on load"
    assert "Jij koos: Bus" in html
    assert re.search(r'value="1" id="answer-1" checked', html), "the chosen answer is marked"


def test_the_first_post_without_a_cookie_still_counts_and_sets_it(client, session):
    data = {"question": session.current_question_id, "vote_id": uuid.uuid4().hex, "answer": "2"}
    response = client.post(PHONE, data)
    assert response.status_code == 303 and PARTICIPANT_COOKIE in response.cookies
    assert Vote.objects.get().participant == participant_from_cookie(
        response.cookies[PARTICIPANT_COOKIE].value
    )


def test_the_same_form_posted_twice_counts_once(phone, session):
    data = {**_form(phone), "answer": "0"}
    assert phone.post(PHONE, data).status_code == 303
    assert phone.post(PHONE, data).status_code == 303
    assert Vote.objects.count() == 1


def test_changing_a_single_choice_vote_replaces_it(phone, session):
    _vote(phone, {"answer": "0"})
    _vote(phone, {"answer": "2"})
    assert list(Vote.objects.values_list("answer", flat=True)) == [2]
    assert "Jij koos: Fiets" in phone.get(PHONE).content.decode()


def test_a_vote_when_voting_is_closed_is_refused_with_409_and_not_stored(phone, session):
    data = {**_form(phone), "answer": "0"}
    control(session, "close")
    response = phone.post(PHONE, data)
    assert response.status_code == 409
    assert "Stemmen is gesloten" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_vote_for_a_question_that_is_no_longer_current_is_refused(phone, session):
    data = {**_form(phone), "answer": "0"}
    control(session, "next")
    response = phone.post(PHONE, data)
    assert response.status_code == 409 and not Vote.objects.exists()
    assert "niet meer aan de beurt" in response.content.decode()


@pytest.mark.parametrize("answer", ["7", "-1", "bus"])
def test_an_unknown_option_is_refused_with_400(phone, session, answer):
    response = _vote(phone, {"answer": answer})
    assert response.status_code == 400
    assert "Dit antwoord bestaat niet." in response.content.decode()
    assert not Vote.objects.exists()


def test_no_answer_at_all_asks_to_choose_one(phone, session):
    response = _vote(phone, {})
    assert response.status_code == 400
    assert "Kies eerst een antwoord." in response.content.decode()


def test_a_post_without_a_readable_vote_id_or_question_is_refused(phone, session):
    form = _form(phone)
    assert phone.post(PHONE, {**form, "vote_id": "x", "answer": "0"}).status_code == 400
    assert phone.post(PHONE, {**form, "question": "", "answer": "0"}).status_code == 400
    assert not Vote.objects.exists()


def test_multiple_choice_says_the_maximum_and_refuses_too_many(phone, session):
    _go_to(session, Kind.MULTIPLE)
    html = phone.get(PHONE).content.decode()
    assert "Kies hoogstens 2 antwoorden." in html and 'type="checkbox"' in html
    response = _vote(phone, {"answer": ["0", "1", "2"]})
    assert response.status_code == 400
    assert "hoogstens 2 antwoorden kiezen" in response.content.decode()
    assert 'value="2" id="answer-2" checked' in response.content.decode(), "choices are kept"
    assert not Vote.objects.exists()
    assert _vote(phone, {"answer": ["1", "3"]}).status_code == 303
    assert Vote.objects.get().answer == [1, 3]


def test_the_scale_shows_each_emoji_hidden_from_screen_readers_beside_its_label(phone, session):
    _go_to(session, Kind.SCALE)
    html = phone.get(PHONE).content.decode()
    assert '<span class="option-emoji" aria-hidden="true">😍</span>' in html
    assert "5. Heel goed" in html and html.count('type="radio"') == 5


def test_words_are_sent_in_three_fields_or_with_commas(phone, session):
    _go_to(session, Kind.WORDS)
    assert phone.get(PHONE).content.decode().count('name="word"') == 3
    assert _vote(phone, {"word": ["sport, muziek", "vrienden", ""]}).status_code == 303
    assert sorted(Word.objects.values_list("text", flat=True)) == ["muziek", "sport", "vrienden"]
    assert "Jij stuurde: sport, muziek, vrienden" in phone.get(PHONE).content.decode()


def test_a_blocked_word_is_refused_and_nothing_is_counted(phone, session):
    _go_to(session, Kind.WORDS)
    response = _vote(phone, {"word": ["gezellig", "KANKER", ""]})
    assert response.status_code == 400
    assert "Dit woord mag niet." in response.content.decode()
    assert not Vote.objects.exists() and not Word.objects.exists()


def test_ranking_works_with_number_selects_and_shows_the_average_rank(session):
    session = _go_to(session, Kind.RANKING)
    phones = [Client(), Client()]
    for client, ranks in zip(phones, [("2", "1", "3"), ("1", "3", "2")], strict=True):
        client.get(PHONE)
        data = {f"rank-{index}": rank for index, rank in enumerate(ranks)}
        assert _vote(client, data).status_code == 303
    assert sorted(Vote.objects.values_list("answer", flat=True)) == [[0, 2, 1], [1, 0, 2]]
    control(session, "show")
    html = phones[0].get(PHONE).content.decode()
    assert "Gemiddelde plek" in html
    assert re.search(r"Eerste</th><td class=\"num-col\">1,5<", html)
    assert re.search(r"Derde</th><td class=\"num-col\">2,5<", html)


def test_a_ranking_with_a_place_used_twice_is_refused(phone, session):
    _go_to(session, Kind.RANKING)
    response = _vote(phone, {"rank-0": "1", "rank-1": "1", "rank-2": "3"})
    assert response.status_code == 400 and "elk één keer" in response.content.decode()
    assert not Vote.objects.exists()


def test_the_tally_shows_on_the_phone_only_once_the_host_shows_it(phone, session):
    _vote(phone, {"answer": "1"})
    assert 'id="uitslag"' not in phone.get(PHONE).content.decode()
    control(session, "show")
    html = phone.get(PHONE).content.decode()
    assert '<h2 id="uitslag">Uitslag</h2>' in html
    assert re.search(r"Bus</bdi> <strong class=\"mine-tag\">\(jouw keuze\)</strong>", html)
    assert '<td class="num-col">100%</td>' in html


def test_phone_pages_are_never_stored(phone, session):
    for url in (PHONE, "/p/", f"{PHONE}stand.json"):
        assert "no-store" in phone.get(url)["Cache-Control"]


# --- snapshot -------------------------------------------------------------------------------


def test_the_snapshot_hides_the_tally_from_phones_until_results_are_shown(phone, host, session):
    _vote(phone, {"answer": "1"})
    data = phone.get(f"{PHONE}stand.json").json()
    assert data["status"] == "running" and data["voting_open"] is True
    assert data["question"]["text"] == "Vraag 1"
    assert data["question"]["options"] == ["=SUM(A1)", "Bus", "Fiets"]
    assert data["participants"] == 1 and "tally" not in data
    assert host.get(f"{PHONE}stand.json").json()["tally"]["total"] == 1
    control(session, "show")
    shown = phone.get(f"{PHONE}stand.json").json()
    assert shown["results_visible"] and shown["tally"]["options"][1]["count"] == 1


# --- hosts ----------------------------------------------------------------------------------

HOST_PAGES = ["scherm/", "bediening/", "uitslag.csv"]


@pytest.mark.parametrize("page", HOST_PAGES)
def test_host_pages_send_anonymous_visitors_to_the_login_page(client, session, page):
    response = client.get(PHONE + page)
    assert response.status_code == 302 and response.url.startswith("/account/login/")


@pytest.mark.parametrize("page", HOST_PAGES)
def test_host_pages_are_forbidden_for_someone_who_does_not_host_this_session(outsider, page):
    assert outsider.get(PHONE + page).status_code == 403


@pytest.mark.parametrize("page", HOST_PAGES)
def test_host_pages_open_for_a_host(host, page):
    assert host.get(PHONE + page).status_code == 200


def test_a_control_post_from_a_non_host_changes_nothing(outsider, client, session):
    assert outsider.post(f"{PHONE}bediening/", {"action": "end"}).status_code == 403
    assert client.post(f"{PHONE}bediening/", {"action": "end"}).status_code == 302
    session.refresh_from_db()
    assert session.status == PollSession.Status.RUNNING


def test_control_rights_are_checked_again_on_every_post(host, session):
    assert host.get(f"{PHONE}bediening/").status_code == 200
    session.hosts.clear()
    assert host.post(f"{PHONE}bediening/", {"action": "end"}).status_code == 403


def test_the_presenter_shows_the_qr_code_join_code_count_and_question(phone, host, session):
    _vote(phone, {"answer": "1"})
    html = host.get(f"{PHONE}scherm/").content.decode()
    assert "<svg" in html and f'aria-label="QR-code naar testserver{PHONE}"' in html
    assert f'<p class="join-code">{CODE}</p>' in html and "testserver/p/" in html
    assert "1 deelnemer" in html and "Vraag 1 van 6" in html
    assert "poll.js" in html and 'aria-live="polite"' in html and "Vernieuw" in html
    assert 'class="main-nav"' not in html and 'class="site-footer"' not in html
    assert "data-table" not in html, "no results before the host shows them"
    control(session, "show")
    assert "data-table poll-tally" in host.get(f"{PHONE}scherm/").content.decode()


def test_no_wagtail_user_bar_covers_the_poll_pages_of_an_editor(session):
    from django.contrib.auth import get_user_model

    editor = get_user_model().objects.create_superuser("redacteur", password="geheim-123")
    session.hosts.add(editor)
    client = Client()
    client.force_login(editor)
    assert "wagtail-userbar" in client.get("/zoeken/").content.decode(), "shown elsewhere"
    for path in ("", "scherm/", "bediening/"):
        assert "wagtail-userbar" not in client.get(f"{PHONE}{path}").content.decode(), path


def test_every_control_action_works_from_the_control_page(host, session):
    url = f"{PHONE}bediening/"
    expected = {
        "close": ("voting_open", False),
        "open": ("voting_open", True),
        "show": ("results_visible", True),
        "hide": ("results_visible", False),
        "next": ("current_question__sort_order", 1),
        "previous": ("current_question__sort_order", 0),
        "end": ("status", PollSession.Status.ENDED),
        "start": ("status", PollSession.Status.RUNNING),
    }
    assert set(expected) == set(ACTIONS)
    for action, (field, value) in expected.items():
        response = host.post(url, {"action": action})
        assert response.status_code == 303 and response.url == url
        assert PollSession.objects.filter(pk=session.pk).values_list(field, flat=True)[0] == value
        page = host.get(url).content.decode()
        assert 'class="message message-success"' in page, action


def test_an_unknown_or_impossible_action_gives_a_message(host, session):
    url = f"{PHONE}bediening/"
    page = host.post(url, {"action": "ontplof"}, follow=True).content.decode()
    assert "Deze knop bestaat niet." in page and "message-error" in page
    page = host.post(url, {"action": "previous"}, follow=True).content.decode()
    assert "Er is geen vraag meer in die richting." in page


def test_the_control_page_says_where_the_session_is(host, session):
    html = host.get(f"{PHONE}bediening/").content.decode()
    assert "Vraag 1 van 6: Vraag 1" in html
    assert "Sluit stemmen" in html and "Toon uitslag" in html and "Volgende vraag" in html
    assert "Vorige vraag" not in html


# --- results --------------------------------------------------------------------------------


def test_results_are_public_after_the_end_and_for_hosts_before(client, host, session):
    assert client.get(f"{PHONE}uitslag/").status_code == 403
    assert host.get(f"{PHONE}uitslag/").status_code == 200
    control(session, "end")
    html = client.get(f"{PHONE}uitslag/").content.decode()
    assert "Vraag 6" in html and "De uitslag is dus een indruk, geen telling." in html
    assert "uitslag.csv" not in html, "the download is for hosts"


def test_staff_only_results_stay_closed_after_the_end(client, session):
    PollSession.objects.filter(pk=session.pk).update(results_public=False)
    control(session, "end")
    assert client.get(f"{PHONE}uitslag/").status_code == 403


def test_the_csv_has_a_row_per_option_and_neutralises_formulas(phone, host, session):
    _vote(phone, {"answer": "0"})
    _go_to(session, Kind.WORDS)
    _vote(phone, {"word": ["@gezellig", "sport"]})
    response = host.get(f"{PHONE}uitslag.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert f"peiling-{CODE}-uitslag.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode()), delimiter=";"))
    assert rows[0] == ["question", "option", "count", "percent", "average_rank"]
    assert ["Vraag 1", "'=SUM(A1)", "1", "100", ""] in rows
    assert ["Vraag 1", "Bus", "0", "0", ""] in rows
    assert ["Vraag 4", "'@gezellig", "1", "", ""] in rows
    assert ["Vraag 5", "Eerste", "", "", ""] in rows
    assert len([row for row in rows if row[0] == "Vraag 3"]) == 5


def test_results_name_the_linked_consultation(client, session):
    from datetime import timedelta

    from django.utils import timezone
    from wagtail.models import Site

    from consultations.models import ConsultationPage

    home = Site.objects.get(is_default_site=True).root_page
    page = ConsultationPage(
        title="Jeugdvisie: praat mee",
        slug="praat",
        summary="Zeg wat je ervan vindt.",
        opens_at=timezone.now() - timedelta(days=1),
        closes_at=timezone.now() + timedelta(days=14),
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    session.consultation = page
    session.save(update_fields=["consultation"])
    control(session, "end")
    html = client.get(f"{PHONE}uitslag/").content.decode()
    assert "Deze peiling hoort bij de inspraak ‘Jeugdvisie: praat mee’." in html
    assert f'href="{page.url}"' in html
