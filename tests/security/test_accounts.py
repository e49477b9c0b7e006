"""Accounts: staff need a second factor, limits on logins and codes, no e-mail enumeration.

TOTP codes are computed here from RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits), not with
allauth's helpers, so the test checks allauth against the standard.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import sys
import time

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client, override_settings

from config.settings.base import ACCOUNT_RATE_LIMITS
from tests.plugins.appserver import ROOT
from tests.security.test_deploy import code_from_last_mail

STAFF_PASSWORD = "een-lang-beheer-wachtwoord"
ACTIVATE = "/account/2fa/totp/activate/"
AUTHENTICATE = "/account/2fa/authenticate/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def totp(secret: str, at: float | None = None) -> str:
    """The 6-digit RFC 6238 code for a base32 secret at a moment (default: now)."""
    counter = int((time.time() if at is None else at) // 30)
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def fresh_totp(secret: str) -> str:
    """A code that stays valid for the next few seconds (waits out the end of a 30 s step)."""
    if time.time() % 30 > 27:
        time.sleep(30 - time.time() % 30 + 0.2)
    return totp(secret)


@pytest.fixture
def mfa_on():
    with override_settings(STAFF_REQUIRE_MFA=True):
        yield


@pytest.fixture
def staff_with_password(staff):
    staff.set_password(STAFF_PASSWORD)
    staff.save()
    return staff


def admin_login(client: Client, password: str = STAFF_PASSWORD, **extra):
    return client.post(
        "/beheer/login/",
        {"username": "beheer", "password": password, "next": "/beheer/"},
        **extra,
    )


def reauthenticate(client: Client) -> None:
    """allauth asks for the password again before an authenticator is added."""
    response = client.get(ACTIVATE)
    assert response.status_code == 302
    assert response.url.startswith("/account/reauthenticate/")
    response = client.post(response.url, {"password": STAFF_PASSWORD})
    assert response.status_code == 302 and response.url == ACTIVATE


def activate_totp(client: Client) -> str:
    """Set up TOTP as the staff member does; the secret."""
    reauthenticate(client)
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.content.decode()  # shown for typing into the app
    response = client.post(ACTIVATE, {"code": fresh_totp(secret)})
    assert response.status_code == 302, response.content[:300]
    return secret


# --- second factor for staff -------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_without_an_authenticator_reach_only_the_setup_page(
    mfa_on, staff_with_password, client
):
    response = admin_login(client)
    assert response.status_code == 302
    for path in [
        "/beheer/",
        "/beheer/pages/",
        "/cijfers/intern/export.csv",
        "/feedback/casussen/",
        "/p/JPRA26/bediening/",
        "/account/2fa/totp/deactivate/",
        "/account/2fa/recovery-codes/",
        "/",
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == ACTIVATE, path
    reauthenticate(client)
    assert client.get(ACTIVATE).status_code == 200


@pytest.mark.django_db
def test_a_wrong_code_does_not_activate_totp(mfa_on, staff_with_password, client):
    admin_login(client)
    reauthenticate(client)
    secret = client.get(ACTIVATE).context["form"].secret
    wrong = f"{(int(totp(secret)) + 1) % 1_000_000:06d}"
    response = client.post(ACTIVATE, {"code": wrong})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user__username="beheer").exists()
    assert client.get("/beheer/").url == ACTIVATE


@pytest.mark.django_db
def test_after_setting_up_totp_staff_use_the_admin_and_next_time_need_password_and_code(
    mfa_on, staff_with_password, client
):
    admin_login(client)
    secret = activate_totp(client)
    assert client.get("/beheer/").status_code == 200
    client.post("/beheer/logout/")

    # Password right: allauth asks for the code before anyone is logged in.
    response = admin_login(client)
    assert response.status_code == 302 and response.url == AUTHENTICATE
    assert SESSION_KEY not in client.session
    assert client.get("/beheer/").status_code == 302

    current = fresh_totp(secret)
    wrong = f"{(int(current) + 1) % 1_000_000:06d}"
    response = client.post(AUTHENTICATE, {"code": wrong})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session

    response = client.post(AUTHENTICATE, {"code": current})
    assert response.status_code == 302 and response.url == "/beheer/"
    assert client.get("/beheer/").status_code == 200
    assert client.get("/cijfers/intern/export.csv").status_code == 200


@pytest.mark.django_db
def test_staff_session_without_the_code_is_ended_and_sent_to_the_login(
    mfa_on, staff_with_password, client
):
    secret_client = Client()
    admin_login(secret_client)
    activate_totp(secret_client)
    # A session that never gave the code (made before MFA, or by a way around the login form).
    client.force_login(staff_with_password)
    response = client.get("/beheer/pages/")
    assert response.status_code == 302
    assert response.url == "/beheer/login/?next=%2Fbeheer%2Fpages%2F"
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_a_participant_is_never_asked_for_a_second_factor(mfa_on, participant, client):
    response = client.post("/account/login/code/", {"email": participant.email})
    response = client.post(response.url, {"code": code_from_last_mail()})
    assert response.status_code == 302 and "2fa" not in response.url
    assert client.session[SESSION_KEY] == str(participant.pk)
    for path in ["/", "/account/email/", "/jongerenpanel/"]:
        assert client.get(path).status_code == 200, path


# --- Wagtail admin login rate limit ---------------------------------------------------------


@pytest.mark.django_db
def test_admin_login_refuses_an_ip_after_ten_failures_with_a_dutch_page(
    staff_with_password, client
):
    for attempt in range(10):
        response = admin_login(client, password=f"fout-{attempt}")
        assert response.status_code == 200, attempt
    response = admin_login(client)  # even the right password now
    assert response.status_code == 429
    html = response.content.decode()
    assert "Te vaak geprobeerd" in html and "Probeer het over 15 minuten opnieuw." in html
    assert response["Retry-After"] == "900"
    assert SESSION_KEY not in client.session


@pytest.mark.django_db
def test_admin_login_refuses_a_username_after_ten_failures_from_many_ips(staff_with_password):
    for attempt in range(10):
        admin_login(Client(), password=f"fout-{attempt}", REMOTE_ADDR=f"10.0.0.{attempt}")
    assert admin_login(Client(), REMOTE_ADDR="10.0.1.1").status_code == 429
    # Another account from a fresh address is not affected.
    other = Client()
    response = other.post(
        "/beheer/login/",
        {"username": "iemand-anders", "password": "fout"},
        REMOTE_ADDR="10.0.1.2",
    )
    assert response.status_code == 200


@pytest.mark.django_db
def test_admin_login_works_again_when_the_window_has_passed(staff_with_password, client):
    from django.core.cache import cache

    for attempt in range(10):
        admin_login(client, password=f"fout-{attempt}")
    assert admin_login(client).status_code == 429
    # The counters live in the cache with the window as timeout: expiry means deletion.
    cache.delete_many(["adminlogin:ip:127.0.0.1", "adminlogin:user:beheer"])
    assert admin_login(client).status_code == 302


# --- allauth limits, code brute force, enumeration ----------------------------------------


def test_rate_limits_are_counted_in_redis_when_redis_url_is_set(tmp_path):
    script = (
        "import json\n"
        "from django.conf import settings\n"
        "from django.core.cache import cache\n"
        "from allauth.account import app_settings\n"
        "from allauth.core.internal import ratelimit\n"
        "print('OUT=' + json.dumps({'backend': settings.CACHES['default']['BACKEND'],"
        " 'location': settings.CACHES['default']['LOCATION'],"
        " 'cache_class': type(ratelimit.cache._connections[ratelimit.cache._alias]"
        " if hasattr(ratelimit.cache, '_connections') else ratelimit.cache).__name__,"
        " 'limits': app_settings.RATE_LIMITS}))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "jeugdstem.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "PYTHONPATH": str(ROOT / "site"),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); exec(open(0).read())"],
        input=script,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    line = [x for x in result.stdout.splitlines() if x.startswith("OUT=")]
    assert line, result.stderr
    out = json.loads(line[0].removeprefix("OUT="))
    assert out["backend"] == "django.core.cache.backends.redis.RedisCache"
    assert out["location"] == "redis://redis.internal:6379/0"
    assert out["cache_class"] == "RedisCache"
    assert out["limits"]["request_login_code"] == "20/m/ip,3/m/key"
    assert out["limits"]["login_failed"] == "10/m/ip,5/300s/key"


@pytest.mark.django_db
def test_three_wrong_login_codes_make_the_right_code_useless(participant, client):
    response = client.post("/account/login/code/", {"email": participant.email})
    confirm = response.url
    code = code_from_last_mail()
    for _ in range(3):
        response = client.post(confirm, {"code": "ZZZZZZ"})
    # After the third miss the login is gone: the visitor starts over.
    assert response.status_code == 302
    assert response.url.startswith("/account/login/")
    response = client.post(confirm, {"code": code})
    assert SESSION_KEY not in client.session
    assert response.status_code == 302 and response.url.startswith("/account/login/")


def _refused_as_too_many(response) -> bool:
    errors = response.context["form"].errors if response.context else {}
    return response.status_code == 200 and "email" in errors


@pytest.mark.django_db
@override_settings(ACCOUNT_RATE_LIMITS=ACCOUNT_RATE_LIMITS)
def test_login_codes_are_limited_to_three_a_minute_per_address(participant):
    for number in range(3):
        response = Client().post("/account/login/code/", {"email": participant.email})
        assert response.status_code == 302, number
    # A fourth request, from a new browser or from the same one: no fourth code.
    assert _refused_as_too_many(
        Client().post("/account/login/code/", {"email": participant.email.upper()})
    )
    same = Client()
    same.post("/account/login/code/", {"email": participant.email})
    same.post("/account/login/code/", {"email": participant.email})
    assert len(mail.outbox) == 3


@pytest.mark.django_db
@override_settings(ACCOUNT_RATE_LIMITS=ACCOUNT_RATE_LIMITS)
def test_login_codes_are_limited_to_twenty_a_minute_per_ip(db):
    for number in range(20):
        response = Client().post("/account/login/code/", {"email": f"jongere{number}@example.org"})
        assert response.status_code == 302, number
    assert _refused_as_too_many(
        Client().post("/account/login/code/", {"email": "nog-een@example.org"})
    )


def _followed(client: Client, response) -> tuple:
    """Status, redirect target, template names and text (CSRF token removed) at the end."""
    redirect = response.get("Location")
    final = client.get(redirect) if redirect else response
    text = CSRF.sub("", final.content.decode())
    templates = tuple(t.name for t in final.templates if t.name)
    return response.status_code, redirect, final.status_code, templates, text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/account/login/code/", "/account/signup/", "/account/password/reset/"],
    ids=["login-code", "signup", "password-reset"],
)
def test_known_and_unknown_addresses_get_the_same_answer(participant, path):
    answers = []
    for email in [participant.email, "onbekend@example.org"]:
        client = Client()
        answers.append(_followed(client, client.post(path, {"email": email})))
    known, unknown = answers
    assert known[:4] == unknown[:4]
    assert known[4].replace(participant.email, "ADRES") == unknown[4].replace(
        "onbekend@example.org", "ADRES"
    )
