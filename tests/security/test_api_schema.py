"""The JSON API against its own OpenAPI description, with schemathesis and all its default checks.

Schemathesis loads /api/v1/openapi.json from the running Django application (in-process WSGI,
the test database), then generates requests for every operation: valid ones (positive mode)
and ones the description forbids (negative mode: wrong patterns, unknown splits, wrong
types). Every response must pass every default check: no server error, a documented status
code, a documented content type and headers, a body that fits the schema, negative data
rejected and positive data accepted. The database holds answers above the suppression
threshold, so the figures carry numbers and not only "te weinig reacties".

Persona: an anonymous client; the API needs no login, cookie or key.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from feedback import tally
from feedback.choices import Agreement, District
from tests.feedback.helpers import answers

pytestmark = pytest.mark.django_db

OPENAPI = "/api/v1/openapi.json"
# Per operation and mode: the figures in both modes, the two operations without parameters
# once each (they have one possible request). About 10 s on a shared machine.
EXAMPLES = 100


def seriously(mark: int) -> dict:
    """Taken seriously when the mark is 6 or more: a second indicator with figures."""
    return {"taken_seriously": Agreement.AGREE if mark >= 6 else Agreement.DISAGREE}


@pytest.fixture
def api_schema():
    """The API's description as the application serves it, with figures in two half-years."""
    answers([8, 7, 9, 6] * 10, District.OUDORP, "2025-H2", extra=seriously, rebuild=False)
    answers([8, 5, 9, 7] * 10, District.OUDORP, "2026-H1", extra=seriously, rebuild=False)
    answers([1, 1, 2], District.CENTRUM, "2026-H1", extra=seriously, rebuild=False)  # hidden
    tally.rebuild()
    app = WSGIHandler()
    with connection_kept_open():
        served = schemathesis.openapi.from_wsgi(OPENAPI, app)
    # Loaded again without its location: schemathesis leaves out the operation that served
    # the description, and that one must pass the checks as well.
    schema = schemathesis.openapi.from_dict(served.raw_schema)
    schema.app = app
    return schema


@contextmanager
def connection_kept_open():
    """As Django's test client does: a finished request must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def run_checks(operation, mode: GenerationMode) -> list[int]:
    """Generate cases for one operation in one mode; call each and run every default check.

    The status code of every case, in order."""
    seen: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        with connection_kept_open():
            response = case.call_and_validate()
        seen.append(response.status_code)

    run()
    return seen


def modes(operation) -> list[GenerationMode]:
    """Valid requests always; invalid ones where there is something to get wrong."""
    if len(operation.query):
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def test_every_api_operation_passes_every_default_schemathesis_check(api_schema, client):
    # The seeded figures are really published: numbers, and a hidden district.
    figures = client.get("/api/v1/cijfers/", {"periode": "2026-H1", "indeling": "district"})
    usefulness = next(i for i in figures.json()["indicators"] if i["key"] == "mark_mean")
    # 40 + 3 answers in 2026-H1, rounded to a multiple of 5 on public pages: 45.
    assert usefulness["shown"] is True and usefulness["n"] == 45
    groups = {group["code"]: group for group in usefulness["groups"]}
    assert groups[District.CENTRUM]["shown"] is False

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert sorted(operation.path for operation in operations) == [
        "/api/v1/cijfers/",
        "/api/v1/cijfers/perioden/",
        "/api/v1/openapi.json",
    ]
    statuses = {
        f"{operation.label} {mode.value}": run_checks(operation, mode)
        for operation in operations
        for mode in modes(operation)
    }

    cases = sum(len(codes) for codes in statuses.values())
    statuses = {label: sorted(set(codes)) for label, codes in statuses.items()}
    # Both the answers and the refusals were reached, and nothing else came back.
    # A well-formed half-year without answers is not there: 404.
    assert statuses["GET /api/v1/cijfers/ positive"] == [200, 404]
    assert 400 in statuses["GET /api/v1/cijfers/ negative"]
    assert all(set(codes) <= {200, 400, 404, 405} for codes in statuses.values()), statuses
    assert cases >= 2 * EXAMPLES, cases
