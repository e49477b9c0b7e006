"""Participants sign up and sign in with a code sent by e-mail; nobody sets a password."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail


def _code_from_last_mail() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def test_login_page_asks_only_for_an_email_address(db, client):
    response = client.get("/account/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="email"' in html
    assert 'type="password"' not in html
    assert '<html lang="nl">' in html
    assert 'href="#inhoud"' in html


def test_participant_signs_in_with_a_code(participant, client):
    response = client.post("/account/login/code/", {"email": participant.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    code = _code_from_last_mail()
    response = client.post(response.url, {"code": code})
    assert response.status_code == 302
    assert client.get("/account/email/").context["user"] == participant


def test_wrong_code_gives_a_clear_error_and_no_login(participant, client):
    response = client.post("/account/login/code/", {"email": participant.email})
    response = client.post(response.url, {"code": "XXXXXX"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signup_needs_only_an_email_and_a_code(db, client):
    response = client.get("/account/signup/")
    assert 'type="password"' not in response.content.decode()
    response = client.post("/account/signup/", {"email": "noor@example.org"})
    assert response.status_code == 302
    code = _code_from_last_mail()
    response = client.post(response.url, {"code": code})
    assert response.status_code == 302
    user = get_user_model().objects.get(email="noor@example.org")
    assert not user.has_usable_password()
    assert not user.is_staff
    assert "noor" not in user.username
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize("email", ["", "geen-adres", "a@b"])
def test_bad_email_gets_a_friendly_error(db, client, email):
    response = client.post("/account/signup/", {"email": email})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()


def test_code_mail_is_short_plain_dutch_without_the_username(participant, client):
    client.post("/account/login/code/", {"email": participant.email})
    message = mail.outbox[-1]
    assert message.subject == "Jeugdstem: Je inlogcode"
    assert "Je inlogcode is:" in message.body
    assert "deelnemer-" not in message.body
    assert "Groeten van Jeugdstem" in message.body


def test_the_main_login_form_sends_a_code(participant, client):
    response = client.post("/account/login/", {"login": participant.email})
    assert response.status_code == 302
    assert "code" in response.url
    assert "Je inlogcode is:" in mail.outbox[-1].body
