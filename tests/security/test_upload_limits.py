"""Bodies over the limits: 400 or 413 (or the form's own friendly error), never a 500, and
nothing half-saved.

The limits, and where they are set:
- Django: DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB of form data: 400), DATA_UPLOAD_MAX_NUMBER_FIELDS
  (1,000 fields, in the body or the query string: 400), DATA_UPLOAD_MAX_NUMBER_FILES (100: 400).
- The providers' CSV upload: 5 MB and 20,000 rows (feedback/cases.py), a Dutch form error.
- Wagtail images: WAGTAILIMAGES_MAX_UPLOAD_SIZE (10 MB), a form error.
- The API: parameters it does not know, or values of another form, get 400.

Personas: `visitor` (anonymous), `member` (confirmed for organisation A), `worker` (registers
cases for one provider), `admin` (a Wagtail superuser).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.plugins.appserver import server_env, start_server

MB = 1024 * 1024
OVER_FORM_LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1


def fields_body(size: int, name: str = "text") -> bytes:
    """A url-encoded form body of `size` bytes: one long field."""
    head = f"{name}=".encode()
    return head + b"a" * (size - len(head))


def many_fields(count: int) -> bytes:
    """A url-encoded form body with `count` short fields."""
    return "&".join(f"f{n}=1" for n in range(count)).encode()


def post_raw(client: Client, url: str, body: bytes, content_type: str):
    """Post a body exactly as given."""
    return client.post(url, data=body, content_type=content_type)


FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def visitor():
    """An anonymous browser that shows a crash as a 500 instead of raising it."""
    return Client(raise_request_exception=False)


# --- Django's limits on every form --------------------------------------------------------------


def test_a_form_post_over_2_5_mb_gets_400_and_saves_nothing(db, visitor):
    from feedback.models import SurveyDraft

    response = post_raw(visitor, "/m/", fields_body(OVER_FORM_LIMIT, "code"), FORM)

    assert response.status_code == 400
    assert not SurveyDraft.objects.exists()


def test_a_comment_over_2_5_mb_gets_400_and_saves_nothing(db):
    from consultations.models import Comment, Membership, Organisation
    from tests.security.test_forms_fuzz import make_consultation, make_user

    user = make_user("lid-groot")
    organisation = Organisation.objects.create(name="Zorg A", kind=Organisation.Kind.SCHOOL)
    Membership.objects.create(user=user, organisation=organisation, confirmed_at=timezone.now())
    consultation = make_consultation()
    paragraph = consultation.current_version().chapters.first().paragraphs.first()
    client = Client(raise_request_exception=False)
    client.force_login(user)
    prefix = f"a{paragraph.pk}"
    head = (
        f"target={prefix}&{prefix}-organisation={organisation.pk}&{prefix}-visibility=public&"
        f"{prefix}-text="
    ).encode()

    response = post_raw(
        client,
        f"/inspraak-acties/{consultation.pk}/reageren/",
        head + b"x" * (OVER_FORM_LIMIT - len(head)),
        FORM,
    )

    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_more_than_1000_fields_get_400(db, visitor):
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    response = post_raw(visitor, "/m/", many_fields(1001), FORM)
    assert response.status_code == 400


def test_more_than_100_files_get_400(db, visitor):
    files = {f"f{n}": SimpleUploadedFile(f"{n}.txt", b"x") for n in range(101)}
    response = visitor.post("/m/", files)
    assert response.status_code == 400


def test_a_query_string_with_more_than_1000_parameters_gets_400(db, visitor):
    response = visitor.get("/api/v1/cijfers/?" + many_fields(1001).decode())
    assert response.status_code == 400


def test_a_huge_query_string_to_the_api_gets_400_in_json(db, visitor):
    for query in (
        {"periode": "2026-H1" * 20_000},
        {"indeling": "x" * 150_000},
        {"x" * 100_000: "1"},
    ):
        response = visitor.get("/api/v1/cijfers/", query)
        assert response.status_code == 400, list(query)
        assert response["Content-Type"] == "application/json"
        assert len(response.content) < 10_000, "the error does not echo the whole question"


# --- live polls: the HTTP vote fallback ---------------------------------------------------------


def test_a_1_mib_json_vote_gets_400_and_counts_nothing(db, visitor):
    from tests.security.test_forms_fuzz import running_polls
    from youth_panel.models import Vote

    session = running_polls()["words"]
    question = session.current_question
    body = json.dumps({"question": question.pk, "word": ["w" * MB], "vote_id": "0" * 32}).encode()
    assert len(body) > MB

    response = post_raw(visitor, f"/p/{session.join_code}/", body, "application/json")

    assert response.status_code == 400
    assert not Vote.objects.exists()


def test_a_1_mib_word_in_a_form_vote_is_cut_to_40_characters(db, visitor):
    from tests.security.test_forms_fuzz import running_polls
    from youth_panel.models import Vote

    session = running_polls()["words"]
    question = session.current_question
    response = visitor.post(
        f"/p/{session.join_code}/",
        {"question": question.pk, "word": "w" * MB, "vote_id": "1" * 32},
    )

    assert response.status_code == 303
    assert Vote.objects.get().answer == ["w" * 40]


# --- the providers' CSV upload ----------------------------------------------------------------


@pytest.fixture
def worker(db):
    """A member of one provider, who may upload cases."""
    from feedback.models import Provider

    provider = Provider.objects.create(name="Zorgpartner Noord")
    user = get_user_model().objects.create_user(username="medewerker", email="m@example.org")
    provider.members.add(user)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def upload(client: Client, data: bytes):
    return client.post(
        "/feedback/casussen/bestand/",
        {"file": SimpleUploadedFile("casussen.csv", data, content_type="text/csv")},
    )


def test_a_case_file_over_5_mb_gets_a_dutch_form_error_and_saves_nothing(worker):
    from feedback.cases import COLUMNS
    from feedback.models import Case

    header = (";".join(COLUMNS) + "\r\n").encode()
    response = upload(worker, header + b" " * (5 * MB))

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "Het bestand is groter dan 5 MB. Splits het in kleinere bestanden."
    ]
    assert not Case.objects.exists()


def test_a_case_file_over_20000_rows_gets_a_dutch_form_error_and_saves_nothing(worker):
    from feedback.cases import COLUMNS
    from feedback.models import Case

    rows = [";".join(COLUMNS)] + ["x"] * 20_001
    response = upload(worker, "\r\n".join(rows).encode())

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "Het bestand heeft meer dan 20.000 rijen. Splits het in kleinere bestanden."
    ]
    assert not Case.objects.exists()


# --- Wagtail uploads ---------------------------------------------------------------------------


@pytest.fixture
def admin(db):
    """A Wagtail superuser."""
    user = get_user_model().objects.create_superuser(
        username="beheerder", email="beheer@example.org", password="x"
    )
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_an_image_over_10_mb_gets_a_form_error_and_saves_nothing(admin):
    from wagtail.images import get_image_model

    assert getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * MB) == 10 * MB
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * MB + 1)

    response = admin.post(
        "/beheer/images/add/",
        {"title": "Te groot", "file": SimpleUploadedFile("groot.png", png, "image/png")},
    )

    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert not get_image_model().objects.exists()


def test_a_document_upload_never_gives_a_server_error(admin):
    from wagtail.documents import get_document_model

    response = admin.post(
        "/beheer/documents/add/",
        {
            "title": "Verslag",
            "file": SimpleUploadedFile("verslag.pdf", b"%PDF-1.4\n" + b"0" * (3 * MB)),
        },
    )

    assert response.status_code == 302
    assert get_document_model().objects.get().title == "Verslag"


# --- through the real ASGI server (daphne) ------------------------------------------------------


@pytest.fixture(scope="module")
def live_server_process(tmp_path_factory):
    """The site in daphne, on an empty SQLite file: these requests never reach a table."""
    workdir: Path = tmp_path_factory.mktemp("limits")
    env = {**server_env(workdir / "static"), "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}"}
    server = start_server(env, log_dir=workdir)
    yield server
    server.stop()


def _request(url: str, data: bytes | None = None, content_type: str = FORM) -> int:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data is not None:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_30_mb_body_through_daphne_gets_400_and_the_server_stays_healthy(live_server_process):
    base = live_server_process.url

    assert _request(f"{base}/m/", fields_body(30 * MB, "code")) in (400, 413)
    assert _request(f"{base}/m/", many_fields(5_000)) == 400
    assert _request(f"{base}/api/v1/cijfers/?" + "x=1&" * 2_500) == 400
    # A request line of 80 KB: Twisted, under daphne, hangs up before Django sees it.
    with pytest.raises(ConnectionError):
        _request(f"{base}/api/v1/cijfers/?" + "x=1&" * 20_000)

    assert _request(f"{base}/gezond/") == 200
    # Django logs the refusals (with their traceback) as warnings; no request ended in a 5xx.
    log = live_server_process.log.read_text()
    assert "Internal Server Error" not in log
    assert not re.search(r'" 5\d\d ', log), log[-2000:]
