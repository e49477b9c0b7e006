"""Deployment hardening: check --deploy, security headers and CSP, cookies, session rotation.

The production settings are loaded in a subprocess (they need their own environment); the
values they produce are then applied with override_settings to real requests in this process.
The browser test looks for CSP violations in Chromium on public pages, a live poll and the admin.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client, override_settings

from tests.plugins.appserver import ROOT

PRODUCTION_VALUES = [
    "DEBUG",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "LANGUAGE_COOKIE_SECURE",
    "LANGUAGE_COOKIE_HTTPONLY",
    "LANGUAGE_COOKIE_SAMESITE",
    "STAFF_REQUIRE_MFA",
]
PRODUCTION_SCRIPT = f"""
import json
from django.conf import settings
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
print("SETTINGS=" + json.dumps({{name: getattr(settings, name) for name in {PRODUCTION_VALUES!r}}}))
"""
SECURITY_HEADERS = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"]
NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=]+)'")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:json|ld\+json))([^>]*)>")


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "jeugdstem.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PYTHONPATH": str(ROOT / "site"),
    }


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """check --deploy with the production settings, and the security values they produce."""
    tmp_path = tmp_path_factory.mktemp("production")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PRODUCTION_SCRIPT],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = [x for x in result.stdout.splitlines() if x.startswith("SETTINGS=")]
    return {"returncode": result.returncode, "output": result.stdout + result.stderr, "line": line}


@pytest.fixture
def production_settings(production):
    """The production security settings, applied to this process (requests use secure=True)."""
    values = json.loads(production["line"][0].removeprefix("SETTINGS="))
    values.pop("DEBUG")
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    values["STAFF_REQUIRE_MFA"] = False  # the MFA flow has its own tests
    with override_settings(**values):
        yield values


@pytest.fixture
def demo_site(seeded):
    """The seeded site with the demo poll and the demo consultation, as `make demo` has it."""
    from consultations.demo import seed_demo_consultation
    from youth_panel.demo import seed_demo_poll

    seed_demo_poll()
    seed_demo_consultation()


def code_from_last_mail() -> str:
    """The login code in the last e-mail sent."""
    body = mail.outbox[-1].body
    match = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def _set_cookie(response, name: str) -> str:
    morsel = response.cookies.get(name)
    assert morsel is not None, f"no Set-Cookie for {name}: {list(response.cookies)}"
    return morsel.OutputString()


def _login_with_code(client: Client, email: str, **extra):
    response = client.post("/account/login/code/", {"email": email}, **extra)
    assert response.status_code == 302, response.content[:500]
    return client.post(response.url, {"code": code_from_last_mail()}, **extra)


# --- check --deploy and settings ---------------------------------------------------------------


def test_check_deploy_with_production_settings_reports_nothing(production):
    assert production["returncode"] == 0, production["output"]
    assert "System check identified no issues" in production["output"]
    assert production["line"], production["output"]


def test_production_settings_make_cookies_secure_and_require_mfa(production):
    values = json.loads(production["line"][0].removeprefix("SETTINGS="))
    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["LANGUAGE_COOKIE_HTTPONLY"] is True
    assert {values[f"{name}_COOKIE_SAMESITE"] for name in ("SESSION", "CSRF", "LANGUAGE")} == {
        "Lax"
    }
    assert values["STAFF_REQUIRE_MFA"] is True


# --- headers and CSP on every kind of response -------------------------------------------------


def _pages(staff_poll_code: str) -> list[tuple[str, int]]:
    return [
        ("/", 200),
        ("/inspraak/concept-visie-jeugd/", 200),
        (f"/p/{staff_poll_code}/", 200),
        ("/cijfers/", 200),
        ("/beheer/login/", 200),
        ("/account/login/", 200),
        ("/api/v1/cijfers/", 200),
        ("/gezond/", 200),
        ("/bestaat-niet/", 404),
    ]


def _assert_strict_csp(policy: str, path: str) -> dict[str, list[str]]:
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    assert directives["default-src"] == ["'self'"], path
    script = directives["script-src"]
    assert "'self'" in script and "'unsafe-inline'" not in script, (path, script)
    assert "'unsafe-eval'" not in script and "*" not in script, (path, script)
    assert [v for v in script if v != "'self'" and not v.startswith("'nonce-")] == [], script
    assert directives["object-src"] == ["'none'"], path
    assert directives["base-uri"] == ["'self'"], path
    assert directives["frame-ancestors"] == ["'none'"], path
    assert directives["form-action"] == ["'self'"], path
    assert directives["img-src"] == ["'self'", "data:"], path
    assert directives["connect-src"] == ["'self'", "wss://testserver"], path
    return directives


@pytest.mark.django_db
def test_every_kind_of_page_carries_csp_hsts_nosniff_and_referrer_policy(
    demo_site, production_settings
):
    from youth_panel.demo import DEMO_CODE

    client = Client()
    for path, status in _pages(DEMO_CODE):
        response = client.get(path, secure=True)
        assert response.status_code == status, path
        for header in SECURITY_HEADERS:
            assert response.has_header(header), (path, header)
        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        ), path
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] in {"same-origin", "no-referrer"}, path
        assert response["X-Frame-Options"] == "DENY", path
        directives = _assert_strict_csp(response["Content-Security-Policy"], path)
        style = directives["style-src"]
        if path.startswith("/beheer/"):
            # Wagtail's admin sets style attributes; scripts stay strict there too.
            assert style == ["'self'", "'unsafe-inline'"], (path, style)
        else:
            assert "'unsafe-inline'" not in style, (path, style)


@pytest.mark.django_db
def test_every_inline_script_in_the_admin_carries_the_nonce_of_its_response(
    demo_site, staff, client
):
    from consultations.models import ConsultationPage

    client.force_login(staff)
    consultation = ConsultationPage.objects.first()
    checked = 0
    # The page editor (date-time pickers, an inline panel) and the page listing (date filter).
    for path in [f"/beheer/pages/{consultation.pk}/edit/", "/beheer/pages/", "/beheer/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        nonces = NONCE.findall(response["Content-Security-Policy"])
        scripts = INLINE_SCRIPT.findall(html)
        if scripts:
            assert len(nonces) == 1, (path, response["Content-Security-Policy"])
        for attributes in scripts:
            assert f'nonce="{nonces[0]}"' in attributes, (path, attributes)
            checked += 1
    # 3 date-time fields, 2 publishing dates, the inline panel, 2 listing date filters at least.
    assert checked >= 8


def test_public_templates_have_no_inline_script_style_or_event_handler():
    """Everything the public site serves can live under style-src without 'unsafe-inline'."""
    roots = [ROOT / "templates", *ROOT.glob("*/templates"), *ROOT.glob("site/*/templates")]
    offending = []
    for root in roots:
        for template in root.rglob("*.html"):
            relative = template.relative_to(ROOT).as_posix()
            if "/email/" in relative or relative.startswith("templates/wagtailadmin/"):
                continue  # e-mail needs inline styles; admin overrides carry the nonce
            text = template.read_text()
            if INLINE_SCRIPT.search(text):
                offending.append(f"{relative}: inline <script>")
            if re.search(r"\sstyle=\"", text):
                offending.append(f"{relative}: style attribute")
            if re.search(r"\son[a-z]+=\"", text):
                offending.append(f"{relative}: event handler attribute")
    assert offending == []


# --- cookies ----------------------------------------------------------------------------------


def _assert_cookie(header: str, *, httponly: bool) -> None:
    parts = {part.strip().split("=")[0].lower(): part for part in header.split(";")}
    assert "secure" in parts, header
    assert ("httponly" in parts) is httponly, header
    assert parts["samesite"].split("=")[1].strip() in {"Lax", "Strict"}, header


@pytest.mark.django_db
def test_login_sets_secure_httponly_samesite_session_and_csrf_cookies(
    participant, production_settings
):
    client = Client()
    login_page = client.get("/account/login/", secure=True)
    _assert_cookie(_set_cookie(login_page, settings.CSRF_COOKIE_NAME), httponly=True)
    response = _login_with_code(client, participant.email, secure=True)
    assert response.status_code == 302
    _assert_cookie(_set_cookie(response, settings.SESSION_COOKIE_NAME), httponly=True)
    assert client.session[SESSION_KEY] == str(participant.pk)


@pytest.mark.django_db
def test_language_cookie_is_secure_httponly_and_samesite(production_settings):
    response = Client().get("/taal/en/?next=/", secure=True)
    assert response.status_code == 302
    _assert_cookie(_set_cookie(response, settings.LANGUAGE_COOKIE_NAME), httponly=True)


# --- session rotation ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_by_code_rotates_the_session_and_logout_kills_it(participant):
    client = Client()
    client.post("/account/login/code/", {"email": participant.email})
    before = client.session.session_key
    assert before
    client.post("/account/login/code/confirm/", {"code": code_from_last_mail()})
    after = client.session.session_key
    assert client.session[SESSION_KEY] == str(participant.pk)
    assert after != before
    _assert_logout_kills_session(client, after, "/account/logout/", "/account/email/")


@pytest.mark.django_db
def test_admin_login_rotates_the_session_and_logout_kills_it(staff):
    staff.set_password("een-lang-beheer-wachtwoord")
    staff.save()
    client = Client()
    session = client.session  # the test client makes and saves a session, and sets its cookie
    session["voor"] = "het inloggen"
    session.save()
    before = session.session_key
    response = client.post(
        "/beheer/login/",
        {"username": "beheer", "password": "een-lang-beheer-wachtwoord", "next": "/beheer/"},
    )
    assert response.status_code == 302 and response.url == "/beheer/"
    after = client.session.session_key
    assert after != before
    assert client.get("/beheer/").status_code == 200
    _assert_logout_kills_session(client, after, "/beheer/logout/", "/beheer/")


def _assert_logout_kills_session(client: Client, key: str, logout_path: str, private: str):
    assert client.post(logout_path).status_code == 302
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = key
    response = thief.get(private)
    assert response.status_code == 302, private
    assert "login" in response.url


# --- in the browser -------------------------------------------------------------------------------
