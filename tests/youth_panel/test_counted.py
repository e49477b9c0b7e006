"""Counted mode: paper codes bound to one phone, signed-in members, and who counts as a voter.

Personas: `phone` and `other_phone` are anonymous browsers; `host` is signed in and hosts the
session; `outsider` is signed in but hosts nothing; `member` is a signed-in panel member.
"""

from __future__ import annotations

import re
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.youth_panel.conftest import make_running_poll
from youth_panel import counted
from youth_panel.models import (
    JOIN_ALPHABET,
    PanelMember,
    PollCode,
    PollQuestion,
    PollSession,
    Vote,
)
from youth_panel.polls import VoteError, cast_vote
from youth_panel.views import PARTICIPANT_COOKIE, PARTICIPANT_SALT

Kind = PollQuestion.Kind
CODE = "TEL234"


@pytest.fixture
def session(db):
    """A running counted session; single choice (Bus/Fiets) is the current question."""
    poll = make_running_poll("Jeugdpanel telt", {Kind.SINGLE: "Bus\nFiets"}, join_code=CODE)
    poll.mode = PollSession.Mode.COUNTED
    poll.save(update_fields=["mode"])
    return poll


@pytest.fixture
def paper_code(session):
    """One printed code of the session, as on the slip (ABCD-EFGH)."""
    return counted.format_code(counted.issue_codes(session, 1)[0])


@pytest.fixture
def phone():
    """An anonymous phone."""
    return Client()


@pytest.fixture
def other_phone():
    """A second anonymous phone."""
    return Client()


def _client_for(username: str, *, panel_member: bool = False) -> tuple[Client, object]:
    user = get_user_model().objects.create_user(username, password="geheim-wachtwoord")
    if panel_member:
        PanelMember.objects.create(
            user=user,
            age_band=PanelMember.AgeBand.AGE_16_17,
            district="Overdie",
            consent_version="1",
            consented_at=timezone.now(),
        )
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def host(session):
    """A signed-in host of the session."""
    client, user = _client_for("gespreksleider")
    session.hosts.add(user)
    return client


@pytest.fixture
def outsider(session):
    """Signed in, hosts nothing."""
    return _client_for("buitenstaander")[0]


@pytest.fixture
def member(session):
    """A signed-in, confirmed youth panel member."""
    return _client_for("panellid", panel_member=True)


def _enter(client: Client, code: str):
    return client.post(reverse("polls:enter_code", args=[CODE]), {"code": code})


def _request_with(client: Client, user=None) -> HttpRequest:
    request = HttpRequest()
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    request.user = user or AnonymousUser()
    return request


# --- codes --------------------------------------------------------------------------------


def test_issued_codes_are_eight_unambiguous_characters_and_only_hashes_are_stored(session):
    codes = counted.issue_codes(session, 40)
    assert len(set(codes)) == 40
    assert all(len(code) == 8 and set(code) <= set(JOIN_ALPHABET) for code in codes)
    stored = set(PollCode.objects.filter(session=session).values_list("code_hash", flat=True))
    assert stored == {counted.hash_code(code) for code in codes}
    assert not stored & set(codes)
    assert counted.format_code("ABCDEFGH") == "ABCD-EFGH"


def test_issuing_zero_or_too_many_codes_is_refused(session):
    for n in (0, counted.MAX_CODES_AT_ONCE + 1):
        with pytest.raises(ValueError):
            counted.issue_codes(session, n)


def test_a_code_may_be_typed_with_spaces_dashes_and_small_letters(session, paper_code):
    typed = " " + paper_code.lower().replace("-", " - ") + " "
    poll_code = counted.redeem(session, typed)
    assert poll_code.used_at is not None
    assert PollCode.objects.get(pk=poll_code.pk).used_at is not None


def test_unknown_used_and_malformed_codes_are_refused_kindly(session, paper_code):
    counted.redeem(session, paper_code)
    expected = {"ABCD-EFGH": "unknown_code", paper_code: "used_code", "ABC": "bad_code"}
    for typed, code in expected.items():
        with pytest.raises(VoteError) as caught:
            counted.redeem(session, typed)
        assert caught.value.code == code


def test_the_same_phone_may_type_its_own_code_again(session, paper_code):
    first = counted.redeem(session, paper_code)
    assert counted.redeem(session, paper_code, bound_pk=first.pk).pk == first.pk


def test_a_code_of_another_session_does_not_work_here(session, db):
    other = PollSession.objects.create(title="Andere", mode=PollSession.Mode.COUNTED)
    code = counted.issue_codes(other, 1)[0]
    with pytest.raises(VoteError) as caught:
        counted.redeem(session, code)
    assert caught.value.code == "unknown_code"


def test_codes_are_not_needed_in_live_mode_or_after_the_session(session, paper_code):
    session.mode = PollSession.Mode.LIVE
    with pytest.raises(VoteError) as caught:
        counted.redeem(session, paper_code)
    assert caught.value.code == "not_counted"
    session.mode, session.status = PollSession.Mode.COUNTED, PollSession.Status.ENDED
    with pytest.raises(VoteError) as caught:
        counted.redeem(session, paper_code)
    assert caught.value.code == "ended"


# --- who is the participant -----------------------------------------------------------------


def test_live_mode_uses_the_participant_cookie(session):
    session.mode = PollSession.Mode.LIVE
    response = HttpResponse()
    response.set_signed_cookie(PARTICIPANT_COOKIE, "a" * 32, salt=PARTICIPANT_SALT)
    cookies = {PARTICIPANT_COOKIE: response.cookies[PARTICIPANT_COOKIE].value}
    request = HttpRequest()
    request.COOKIES = cookies
    assert counted.participant_for_request(request, session) == "a" * 32
    assert counted.participant_for_scope({"cookies": cookies}, session) == "a" * 32
    assert counted.participant_for_request(HttpRequest(), session) is None


def test_in_counted_mode_a_phone_without_code_or_account_is_nobody_yet(session, phone):
    phone.get(f"/p/{CODE}/")  # a participant cookie alone does not count here
    request = _request_with(phone)
    assert counted.participant_for_request(request, session) is None
    scope = {"cookies": request.COOKIES, "user": AnonymousUser()}
    assert counted.participant_for_scope(scope, session) is None


def test_in_counted_mode_a_redeemed_code_is_the_participant(session, phone, paper_code):
    assert _enter(phone, paper_code).status_code == 303
    poll_code = PollCode.objects.get(session=session)
    request = _request_with(phone)
    assert counted.participant_for_request(request, session) == f"code:{poll_code.pk}"
    scope = {"cookies": request.COOKIES, "user": AnonymousUser()}
    assert counted.participant_for_scope(scope, session) == f"code:{poll_code.pk}"


def test_in_counted_mode_a_signed_in_member_is_the_participant(session, member):
    _client, user = member
    request = _request_with(Client(), user)
    assert counted.participant_for_request(request, session) == f"user:{user.pk}"
    scope = {"cookies": {}, "user": user}
    assert counted.participant_for_scope(scope, session) == f"user:{user.pk}"


def test_in_counted_mode_an_account_outside_the_panel_or_waiting_for_a_parent_is_no_voter(
    session, outsider
):
    # Otherwise every extra e-mail address would be an extra vote in the mode meant to hold.
    stranger = get_user_model().objects.get(username="buitenstaander")
    request = _request_with(Client(), stranger)
    assert counted.participant_for_request(request, session) is None
    assert counted.participant_for_scope({"cookies": {}, "user": stranger}, session) is None
    _client, waiting = _client_for("wachtopouder", panel_member=True)
    PanelMember.objects.filter(user=waiting).update(needs_parent=True)
    assert counted.participant_for_request(_request_with(Client(), waiting), session) is None
    PanelMember.objects.filter(user=waiting).update(parent_confirmed_at=timezone.now())
    assert counted.participant_for_request(_request_with(Client(), waiting), session) == (
        f"user:{waiting.pk}"
    )
    waiting.is_active = False
    assert counted.participant_for_request(_request_with(Client(), waiting), session) is None


def test_a_forged_or_borrowed_code_cookie_is_ignored(session, phone, paper_code, db):
    _enter(phone, paper_code)
    cookie = phone.cookies[counted.code_cookie_name(session)].value
    forged = cookie.replace(":", ":9", 1)
    assert counted.bound_code_pk({counted.code_cookie_name(session): forged}, session) is None
    other = PollSession.objects.create(title="Andere", mode=PollSession.Mode.COUNTED)
    # The same value under the other session's cookie name fails the signature (name is signed).
    assert counted.bound_code_pk({counted.code_cookie_name(other): cookie}, other) is None


class WhoAmI(AsyncWebsocketConsumer):
    """A socket that says who it thinks is voting, decided in async code as the consumer does."""

    poll: PollSession | None = None

    async def connect(self) -> None:
        await self.accept()
        who = await database_sync_to_async(counted.participant_for_scope)(self.scope, self.poll)
        await self.send(text_data=str(who))


def _socket_setup() -> tuple[PollSession, str, str, int, int]:
    poll = PollSession.objects.create(
        title="Socket", join_code="SOK234", mode=PollSession.Mode.COUNTED
    )
    phone = Client()
    code = counted.issue_codes(poll, 1)[0]
    phone.post(reverse("polls:enter_code", args=[poll.join_code]), {"code": code})
    name = counted.code_cookie_name(poll)
    code_cookie = f"{name}={phone.cookies[name].value}"
    member, user = _client_for("socketlid", panel_member=True)
    member_cookie = f"sessionid={member.cookies['sessionid'].value}"
    return poll, code_cookie, member_cookie, PollCode.objects.get(session=poll).pk, user.pk


async def _who(poll: PollSession, cookie: str) -> str:
    consumer = type("WhoAmIHere", (WhoAmI,), {"poll": poll})
    app = AuthMiddlewareStack(consumer.as_asgi())
    communicator = WebsocketCommunicator(app, "/ws/", headers=[(b"cookie", cookie.encode())])
    connected, _ = await communicator.connect()
    assert connected
    try:
        return await communicator.receive_from(timeout=5)
    finally:
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_socket_knows_the_code_or_account_behind_it_without_blocking_calls():
    poll, code_cookie, member_cookie, code_pk, user_pk = await sync_to_async(_socket_setup)()
    assert await _who(poll, code_cookie) == f"code:{code_pk}"
    assert await _who(poll, member_cookie) == f"user:{user_pk}"
    assert await _who(poll, "") == "None"


# --- the code page --------------------------------------------------------------------------


def test_a_phone_types_its_code_and_goes_to_the_question(session, phone, paper_code):
    page = phone.get(reverse("polls:enter_code", args=[CODE]))
    assert page.status_code == 200 and "Typ je code" in page.content.decode()
    response = _enter(phone, paper_code.lower())
    assert response.status_code == 303
    assert response["Location"] == reverse("polls:phone", args=[CODE])
    cookie = response.cookies[counted.code_cookie_name(session)]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert "no-store" in response["Cache-Control"]


def test_a_second_phone_with_the_same_code_is_refused(session, phone, other_phone, paper_code):
    assert _enter(phone, paper_code).status_code == 303
    response = _enter(other_phone, paper_code)
    assert response.status_code == 400
    assert "al gebruikt op een andere telefoon" in response.content.decode()
    assert counted.code_cookie_name(session) not in response.cookies
    # The first phone may type it again (a reload, a second try).
    assert _enter(phone, paper_code).status_code == 303


def test_an_unknown_code_shows_the_form_again_with_the_reason(session, phone):
    response = _enter(phone, "ZZZZ-ZZZZ")
    assert response.status_code == 400
    assert "We kennen deze code niet" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_signed_in_member_needs_no_code_and_wastes_none(session, member, paper_code):
    client, _user = member
    response = _enter(client, paper_code)
    assert response.status_code == 200
    assert "Je stemt met je account" in response.content.decode()
    assert not PollCode.objects.filter(used_at__isnull=False).exists()


def test_the_code_page_of_a_live_session_goes_to_the_phone_page(session, phone):
    session.mode = PollSession.Mode.LIVE
    session.save(update_fields=["mode"])
    response = phone.get(reverse("polls:enter_code", args=[CODE]))
    assert response.status_code == 303
    assert response["Location"] == reverse("polls:phone", args=[CODE])


def test_one_code_votes_once_per_question_and_may_change_its_vote(session, phone, paper_code):
    _enter(phone, paper_code)
    participant = counted.participant_for_request(_request_with(phone), session)
    question = session.current_question
    cast_vote(session, question, participant, uuid.uuid4(), "0")
    cast_vote(session, question, participant, uuid.uuid4(), "1")
    votes = Vote.objects.filter(question=question)
    assert [(v.participant, v.answer) for v in votes] == [(participant, 1)]


# --- the host's print page ------------------------------------------------------------------


def test_a_host_prints_codes_that_are_shown_once_and_stored_as_hashes(session, host):
    url = reverse("polls:codes", args=[CODE])
    assert host.get(url).status_code == 200
    response = host.post(url, {"number": "20"})
    assert response.status_code == 200
    html = response.content.decode()
    shown = re.findall(r'class="slip-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', html)
    assert len(shown) == 20
    assert html.count('class="code-sheet"') == 2  # 16 slips on a page
    assert html.count("<symbol") == 1 and html.count("<use") == 20
    assert f"/p/{CODE}/code/" in html and session.title in html
    stored = set(PollCode.objects.filter(session=session).values_list("code_hash", flat=True))
    assert stored == {counted.hash_code(code) for code in shown}
    assert "no-store" in response["Cache-Control"]
    # Shown once: the overview afterwards counts them but shows no code.
    overview = host.get(url).content.decode()
    assert "Er zijn 20 codes gemaakt" in overview
    assert not any(code in overview for code in shown)


def test_a_printed_code_works_on_the_phone(session, host, phone):
    html = host.post(reverse("polls:codes", args=[CODE]), {"number": "1"}).content.decode()
    code = re.search(r'class="slip-code">([A-Z0-9-]{9})<', html).group(1)
    assert _enter(phone, code).status_code == 303


def test_hosts_may_print_between_one_and_two_thousand_codes(session, host):
    url = reverse("polls:codes", args=[CODE])
    for number in ("0", "2001", "veel"):
        assert host.post(url, {"number": number}).status_code == 400
    assert not PollCode.objects.exists()


def test_a_live_session_gets_no_codes(session, host):
    session.mode = PollSession.Mode.LIVE
    session.save(update_fields=["mode"])
    response = host.post(reverse("polls:codes", args=[CODE]), {"number": "5"})
    assert response.status_code == 400
    assert "Codes werken alleen bij" in response.content.decode()
    assert not PollCode.objects.exists()


def test_only_hosts_see_the_code_page(session, outsider, phone):
    url = reverse("polls:codes", args=[CODE])
    assert outsider.get(url).status_code == 403
    assert outsider.post(url, {"number": "5"}).status_code == 403
    assert phone.get(url).status_code == 302
    assert not PollCode.objects.exists()


# --- telling people what the mode means -----------------------------------------------------


def test_the_mode_note_says_honestly_what_a_result_is_worth(session):
    counted_note = render_to_string("youth_panel/_mode_note.html", {"session": session})
    assert "Dubbel stemmen kan niet." in counted_note
    session.mode = PollSession.Mode.LIVE
    live_note = render_to_string("youth_panel/_mode_note.html", {"session": session})
    assert "De uitslag is dus een indruk, geen telling." in live_note


def test_new_sessions_are_live_and_staff_choose_the_mode_in_the_admin(db):
    assert PollSession.objects.create(title="Nieuw").mode == PollSession.Mode.LIVE
    admin = get_user_model().objects.create_superuser("beheerder", "b@example.org", "geheim-1234")
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("peilingen:add")).content.decode()
    assert 'name="mode"' in page and "niet waterdicht" in page


# --- the phone page in counted mode ---------------------------------------------------------


PHONE = f"/p/{CODE}/"


def test_a_phone_without_code_is_sent_to_the_code_page_first(session, phone):
    for response in (phone.get(PHONE), phone.post(PHONE, {"answer": "0"})):
        assert response.status_code == 303
        assert response["Location"] == reverse("polls:enter_code", args=[CODE])
    assert not Vote.objects.exists()
    # No live-room cookie is handed out in counted mode.
    assert PARTICIPANT_COOKIE not in phone.cookies


def test_a_phone_with_its_code_votes_through_the_plain_form(session, phone, paper_code):
    phone.post(reverse("polls:enter_code", args=[CODE]), {"code": paper_code})
    question = session.current_question
    form = {"question": question.pk, "vote_id": uuid.uuid4().hex, "answer": "1"}
    assert phone.post(PHONE, form).status_code == 303
    vote = Vote.objects.get()
    assert vote.participant == f"code:{PollCode.objects.get().pk}"
    page = phone.get(PHONE).content.decode()
    assert "Je stem is binnen." in page and "Geteld." in page


def test_a_signed_in_member_votes_as_their_account_without_a_code(session, member):
    client, user = member
    form = {"question": session.current_question.pk, "vote_id": uuid.uuid4().hex, "answer": "0"}
    assert client.post(PHONE, form).status_code == 303
    assert Vote.objects.get().participant == f"user:{user.pk}"


def test_after_the_end_the_phone_page_shows_without_a_code(session, phone):
    session.status = PollSession.Status.ENDED
    session.save(update_fields=["status"])
    response = phone.get(PHONE)
    assert response.status_code == 200
    assert "De peiling is klaar" in response.content.decode()
