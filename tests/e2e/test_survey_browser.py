"""A parent opens the QR link on a phone, answers, and the link is used up afterwards."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.test_browser import AXE_OPTIONS, _describe

pytestmark = pytest.mark.browser
axe = Axe()

ISSUE_CODE = """
import datetime
from feedback.models import Case, Provider
from feedback.invitations import issue_invitations
provider, _ = Provider.objects.get_or_create(name="Browsertest aanbieder")
case = Case.objects.create(
    reference="E2E-" + __import__("secrets").token_hex(4).upper(), provider=provider,
    help_type="ambulant", referrer="gp", start_month=datetime.date(2026, 1, 1),
    end_month=datetime.date(2026, 10, 1), end_reason="as_planned", district="oudorp",
    age_band="4-11", channel="letter")
print(issue_invitations(case)[0].code)
"""


def _issue_parent_code(live_site) -> str:
    return live_site.shell(ISSUE_CODE).strip().splitlines()[-1]


def _check(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], f"{name}: {_describe(violations)}"


def test_parent_answers_on_a_phone_and_the_link_is_used_up(live_site, browser, artifacts):
    code = _issue_parent_code(live_site)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="nl-NL")
    page = context.new_page()
    try:
        response = page.goto(f"{live_site.url}/m/{code}/")
        assert response.headers.get("referrer-policy") == "no-referrer"
        assert code not in page.url, "the code leaves the address bar"
        _check(page, artifacts, "enquete-stap-1")
        page.get_by_text("8", exact=True).click()
        page.get_by_role("button", name="Volgende").click()
        _check(page, artifacts, "enquete-stap-2")
        page.get_by_label("Nee, geen hulp meer nodig").check()
        page.get_by_role("button", name="Volgende").click()
        page.get_by_role("button", name="Volgende").click()
        page.get_by_role("button", name="Volgende").click()
        page.get_by_label("Wat moet er anders?").fill("Sneller beginnen met de hulp.")
        page.get_by_role("button", name="Volgende").click()
        _check(page, artifacts, "enquete-laatste-stap")
        page.get_by_role("button", name="Versturen").click()
        expect(page.get_by_role("heading", name="Bedankt!")).to_be_visible()
        _check(page, artifacts, "enquete-bedankt")

        page.goto(f"{live_site.url}/m/{code}/")
        expect(page.get_by_role("heading", name="Deze code werkt niet")).to_be_visible()
        _check(page, artifacts, "enquete-code-gebruikt")
    finally:
        context.close()


def test_the_code_page_works_on_a_phone(live_site, browser, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(f"{live_site.url}/m/")
        _check(page, artifacts, "enquete-start")
        page.get_by_label("Jouw code").fill("ONBEKEND-12345")
        page.get_by_role("button", name="Beginnen").click()
        expect(page.get_by_role("heading", name="Deze code werkt niet")).to_be_visible()
    finally:
        context.close()
