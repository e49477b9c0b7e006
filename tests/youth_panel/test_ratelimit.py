"""Per-IP limits on votes, snapshots and wrong join codes, with tiny limits for the test.

Personas: `phone` is an anonymous browser; other IPs are the same client with another
REMOTE_ADDR (the test client sends 127.0.0.1 unless told otherwise).
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from tests.youth_panel.conftest import make_running_poll
from youth_panel import ratelimit
from youth_panel.models import PollQuestion, Vote

Kind = PollQuestion.Kind
CODE = "RTE234"
PHONE = f"/p/{CODE}/"
TINY = {"votes": (3, 60), "snapshot": (3, 60), "code_misses": (3, 60)}
OTHER_IP = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture(autouse=True)
def tiny_limits():
    """Three requests a minute per scope, and a clock that the test moves."""
    with override_settings(POLL_RATE_LIMITS=TINY):
        yield


@pytest.fixture
def clock(monkeypatch):
    """Frozen time in the middle of a window; `clock[0] += 60` moves to the next one."""
    now = [6_000_030.0]
    monkeypatch.setattr(ratelimit, "_now", lambda: now[0])
    return now


@pytest.fixture
def session(db):
    """A running poll; the first question (single choice) is open."""
    return make_running_poll("Avond", {Kind.SINGLE: "A\nB"}, join_code=CODE)


def _vote(client, answer="0", **extra):
    html = client.get(PHONE, **extra).content.decode()
    question = re.search(r'name="question" value="(\d+)"', html).group(1)
    vote_id = re.search(r'name="vote_id" value="([0-9a-f]{32})"', html).group(1)
    data = {"question": question, "vote_id": vote_id, "answer": answer}
    return client.post(PHONE, data, **extra)


def test_the_vote_after_the_limit_gets_429_with_a_friendly_page(session, clock):
    phone = Client()
    assert [_vote(phone).status_code for _ in range(3)] == [303, 303, 303]
    response = _vote(phone, answer="1")
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert "<h1>Even wachten</h1>" in html and "Probeer het over 30 seconden opnieuw." in html
    assert "niet opgeslagen" in html and "telt nog gewoon" in html
    vote = Vote.objects.get()
    assert vote.answer == 0, "the vote saved before the limit stays, the refused one is not stored"


def test_viewing_the_phone_page_does_not_count_as_a_vote(session, clock):
    phone = Client()
    for _ in range(10):
        assert phone.get(PHONE).status_code == 200
    assert _vote(phone).status_code == 303


def test_another_ip_is_not_affected(session, clock):
    phone = Client()
    for _ in range(3):
        _vote(phone)
    assert _vote(phone).status_code == 429
    assert _vote(Client(), **OTHER_IP).status_code == 303


def test_the_count_starts_again_in_the_next_window(session, clock):
    phone = Client()
    for _ in range(3):
        _vote(phone)
    assert _vote(phone).status_code == 429
    clock[0] += 60
    assert _vote(phone).status_code == 303


def test_the_snapshot_answers_429_as_json(session, clock):
    phone = Client()
    for _ in range(3):
        assert phone.get(f"{PHONE}stand.json").status_code == 200
    response = phone.get(f"{PHONE}stand.json")
    assert response.status_code == 429 and response["Retry-After"] == "30"
    data = response.json()
    assert data["error"] == "rate_limited" and data["retry_after"] == 30 and data["message"]
    assert phone.get(f"{PHONE}stand.json", **OTHER_IP).status_code == 200


def test_only_wrong_codes_count_towards_the_code_limit(session, clock):
    client = Client()
    for _ in range(10):
        assert client.get("/p/", {"code": CODE.lower()}).status_code == 302
    for _ in range(3):
        assert client.get("/p/", {"code": "FOUT99"}).status_code == 200
    response = client.get("/p/", {"code": "FOUT99"})
    assert response.status_code == 429 and "Even wachten" in response.content.decode()
    assert client.get("/p/", {"code": CODE}).status_code == 429, "guessing stops for the window"
    assert client.get("/p/").status_code == 200, "the empty join form stays open"
    assert Client().get("/p/", {"code": CODE}, **OTHER_IP).status_code == 302
    clock[0] += 60
    assert client.get("/p/", {"code": CODE}).status_code == 302


def test_unknown_codes_in_the_address_count_as_misses_too(session, clock):
    client = Client()
    assert client.get("/p/FOUT99/").status_code == 404
    assert client.get("/p/FOUT98/stand.json").status_code == 404
    assert client.get("/p/", {"code": "FOUT97"}).status_code == 200
    assert client.get(PHONE).status_code == 429
    response = client.get("/p/FOUT96/stand.json")
    assert response.status_code == 429 and response.json()["error"] == "rate_limited"


def test_a_limit_of_zero_switches_a_scope_off(session, clock):
    phone = Client()
    with override_settings(POLL_RATE_LIMITS={**TINY, "votes": (0, 60)}):
        assert all(_vote(phone).status_code == 303 for _ in range(5))


def test_a_broken_cache_lets_requests_through(session, clock, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)
    monkeypatch.setattr(cache, "add", broken)
    monkeypatch.setattr(cache, "get", broken)
    phone = Client()
    assert all(_vote(phone).status_code == 303 for _ in range(5))
    assert Client().get("/p/", {"code": "FOUT99"}).status_code == 200


def test_ipv6_addresses_count_per_64_network():
    def key(address):
        return ratelimit.client_key(type("R", (), {"META": {"REMOTE_ADDR": address}})())

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("::ffff:192.0.2.1") == key("192.0.2.1")
    assert key("192.0.2.1") != key("192.0.2.2")
    assert "192" not in key("192.0.2.1"), "the cache key holds no IP address"


def test_the_default_limits_fit_a_class_of_300_phones_behind_one_ip(settings):
    del settings.POLL_RATE_LIMITS
    votes, vote_seconds = ratelimit._limit("votes")
    snapshots, snapshot_seconds = ratelimit._limit("snapshot")
    # poll.js fetches stand.json every 3 seconds on each phone.
    assert snapshots / snapshot_seconds > 300 / 3
    assert votes / vote_seconds * 60 >= 2 * 300


@pytest.mark.parametrize("page", ["scherm/", "uitslag/", "uitslag.csv", "woorden/"])
def test_host_pages_cannot_be_used_to_guess_codes(client, session, clock, page):
    for number in range(3):
        assert client.get(f"/p/FOUT9{number}/{page}").status_code == 404
    assert client.get(f"{PHONE}{page}").status_code == 429
