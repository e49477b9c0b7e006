"""A provider's worker signs in with an e-mail code, registers a case and prints its letter."""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.test_browser import AXE_OPTIONS, _describe

pytestmark = pytest.mark.browser
axe = Axe()
EMAIL = "medewerker@aanbieder.example"

MAKE_WORKER = f"""
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from feedback.models import Provider
user, _ = get_user_model().objects.get_or_create(username="medewerker-e2e", email="{EMAIL}")
user.set_unusable_password(); user.save()
EmailAddress.objects.get_or_create(user=user, email=user.email, verified=True, primary=True)
provider, _ = Provider.objects.get_or_create(name="Browsertest Zorg")
provider.members.add(user)
"""
CODE_LINE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.M)


def _check(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], f"{name}: {_describe(violations)}"


def _sign_in(page, live_site):
    before = len(CODE_LINE.findall(live_site.log.read_text()))
    page.goto(f"{live_site.url}/account/login/")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_load_state()
    deadline = time.monotonic() + 10
    codes: list[str] = []
    while len(codes) <= before and time.monotonic() < deadline:
        codes = CODE_LINE.findall(live_site.log.read_text())
        time.sleep(0.2)
    assert len(codes) > before, "no sign-in code in the server log"
    page.get_by_label("Code").fill(codes[-1])
    page.get_by_role("button", name=re.compile("Aanmelden|Bevestig", re.I)).click()
    page.wait_for_load_state()


def test_worker_registers_a_case_and_prints_the_letter(live_site, browser, artifacts):
    live_site.shell(MAKE_WORKER)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    page = context.new_page()
    try:
        _sign_in(page, live_site)
        page.goto(f"{live_site.url}/feedback/casussen/nieuw/")
        _check(page, artifacts, "casus-formulier")
        page.locator("#id_help_type").select_option("ambulant")
        page.locator("#id_referrer").select_option("gp")
        page.locator("#id_start_month").fill("2026-02")
        page.locator("#id_end_month").fill("2026-09")
        page.locator("#id_end_reason").select_option("as_planned")
        page.locator("#id_district").select_option("oudorp")
        page.locator("#id_age_band").select_option("4-11")
        page.locator("#id_channel").select_option("letter")
        page.get_by_role("button", name="Casus opslaan").click()
        page.wait_for_load_state()
        _check(page, artifacts, "casus-opgeslagen")
        assert "1" in page.locator("main").inner_text()

        page.goto(f"{live_site.url}/feedback/uitnodigingen/")
        _check(page, artifacts, "uitnodigingen")
        page.get_by_role("button", name="Brieven maken om af te drukken").click()
        page.wait_for_load_state()
        expect(page.locator("svg").first).to_be_visible()
        page.screenshot(path=str(artifacts / "brieven.png"), full_page=True)
        text = page.locator("main").inner_text()
        assert "/m/" in text
        assert not re.search(r"jeugdhulp|zorg|CJG|Browsertest", text, re.I)
    finally:
        context.close()
