"""A young person on a phone signs up with an e-mail code, joins the youth panel and answers the
demo youth round's questions; every page visited is checked with axe at 375x812.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.test_browser import AXE_OPTIONS, _describe
from tests.e2e.test_provider_browser import CODE_LINE

pytestmark = pytest.mark.browser
axe = Axe()
PHONE_SIZE = {"width": 375, "height": 812}
ROUND = "/inspraak/jongerenpanel-weg-naar-hulp/"


def _check(page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"jongeren-{name}.png"), full_page=True)
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], f"{name}: {_describe(violations)}"


def _code_from_the_mail(live_site, before: int) -> str:
    deadline = time.monotonic() + 10
    codes = CODE_LINE.findall(live_site.log.read_text())
    while len(codes) <= before and time.monotonic() < deadline:
        time.sleep(0.2)
        codes = CODE_LINE.findall(live_site.log.read_text())
    assert len(codes) > before, "no sign-up code in the server log"
    return codes[-1]


def test_a_young_person_signs_up_joins_the_panel_and_answers_the_questions(
    live_site, browser, artifacts
):
    context = browser.new_context(viewport=PHONE_SIZE, locale="nl-NL", has_touch=True)
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda req: (
            outside.append(req.url)
            if not req.url.startswith((live_site.url, "data:", "about:"))
            else None
        ),
    )
    try:
        # Sign up with an e-mail code: no password anywhere.
        before = len(CODE_LINE.findall(live_site.log.read_text()))
        page.goto(f"{live_site.url}/account/signup/?next=/jongerenpanel/aanmelden/")
        _check(page, artifacts, "aanmelden")
        page.get_by_label("E-mail").fill(f"sam-{uuid.uuid4().hex[:8]}@example.org")
        page.get_by_role("button", name=re.compile("Aanmelden|Registreren", re.I)).click()
        page.get_by_label("Code").wait_for()
        code = _code_from_the_mail(live_site, before)
        _check(page, artifacts, "code")
        page.get_by_label("Code").fill(code)
        page.get_by_role("button", name=re.compile("Bevestig", re.I)).click()
        page.wait_for_load_state()

        # Join the panel with the least we need to know (16-17: no parent step).
        page.goto(f"{live_site.url}/jongerenpanel/aanmelden/")
        _check(page, artifacts, "panel-profiel")
        page.get_by_label("16 of 17 jaar").check()
        page.get_by_label("In welke wijk of welk dorp woon je?").select_option(label="Oudorp")
        page.get_by_label(re.compile("Ik doe mee met het jongerenpanel")).check()
        page.get_by_role("button", name="Meedoen").click()
        expect(page.get_by_text("Welkom in het jongerenpanel!")).to_be_visible()
        _check(page, artifacts, "panel-welkom")

        # The youth round: one page of questions, answered on the phone.
        page.goto(f"{live_site.url}{ROUND}")
        _check(page, artifacts, "ronde")
        page.goto(f"{live_site.url}{ROUND}vragen/")
        _check(page, artifacts, "vragen")
        page.get_by_label("Een beetje").check()
        page.get_by_label("Het CJG").check()
        page.get_by_label("Familie of vrienden").check()
        page.get_by_role("group", name=re.compile("Hoe belangrijk waren je familie")).get_by_label(
            "4", exact=True
        ).check()
        answers = page.get_by_label("Jouw antwoord")
        answers.first.fill("De huisarts luisterde goed. Ik moest lang wachten.")
        page.get_by_label("Jouw verhaal").fill("Via mijn mentor kwam ik bij het jongerenpunt.")
        page.get_by_label("Mijn verhaal mag anoniem gebruikt worden op de website").check()
        page.get_by_role("button", name="Versturen").click()
        expect(page.get_by_role("heading", name="Je hebt de vragen ingevuld")).to_be_visible()
        _check(page, artifacts, "vragen-klaar")

        # Once per member: the form does not come back.
        page.goto(f"{live_site.url}{ROUND}vragen/")
        expect(page.get_by_role("heading", name="Je hebt de vragen ingevuld")).to_be_visible()
        expect(page.get_by_role("button", name="Versturen")).to_have_count(0)

        # Mijn gegevens: the member sees the profile, not the answers (they are not linked).
        page.goto(f"{live_site.url}/jongerenpanel/mijn-gegevens/")
        _check(page, artifacts, "mijn-gegevens")
        expect(page.locator("main")).to_contain_text("Oudorp")
        expect(page.locator("main")).not_to_contain_text("Ik moest lang wachten")
        expect(page.locator("main")).to_contain_text("Jongerenpanel: vind je je weg naar hulp?")
        assert outside == []
    finally:
        context.close()
