"""A stakeholder comments on a paragraph of chapter 7 in Chromium, staff publish and answer it in
the Wagtail admin, and the public response report shows both.

The stakeholder signs in with an e-mail code read from the server's mail log; their pages are
checked with axe on a desktop and on a phone, the admin pages on a desktop.
"""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.test_browser import AXE_OPTIONS, VIEWPORTS, _describe
from tests.e2e.test_provider_browser import CODE_LINE

pytestmark = pytest.mark.browser
axe = Axe()
EMAIL = "inspraak@zorgpartner.example"
STAFF = "beleid-e2e"
PASSWORD = "inspraak-browsertest-2026"
CONSULTATION = "/inspraak/concept-visie-jeugd/"
COMMENT = "Browsertest: noem ook de buurtsportcoach in deze alinea."
REASONING = "Browsertest: goed punt, we noemen de buurtsportcoach bij de ontmoeting."
TEXT_CHANGE = "Browsertest: in 7.2 staat nu de buurtsportcoach."

# A stakeholder whose membership staff confirmed, and a staff member who moderates and answers.
PREPARE = f"""
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from consultations.models import Membership, Organisation
from consultations.rules import MODERATORS_GROUP, POLICY_GROUP
User = get_user_model()
user, _ = User.objects.get_or_create(username="partner-e2e", email="{EMAIL}")
user.set_unusable_password(); user.save()
EmailAddress.objects.get_or_create(user=user, email=user.email, verified=True, primary=True)
organisation, _ = Organisation.objects.get_or_create(
    name="Browsertest Jeugdzorg", defaults={{"kind": "care_provider"}})
Membership.objects.update_or_create(
    user=user, organisation=organisation, defaults={{"confirmed_at": timezone.now()}})
staff, _ = User.objects.get_or_create(username="{STAFF}", defaults={{"is_staff": True}})
staff.set_password("{PASSWORD}"); staff.save()
staff.groups.add(Group.objects.get(name=POLICY_GROUP), Group.objects.get(name=MODERATORS_GROUP))
"""


# Jump finite animations to their end: what a reader sees a moment later.
FINISH_ANIMATIONS = """() => document.getAnimations()
    .filter((a) => a.effect && a.effect.getTiming().iterations !== Infinity)
    .forEach((a) => a.finish())"""


def _check(page, artifacts, name: str, phone: bool = False) -> None:
    """Screenshot and axe on a desktop and, for stakeholder pages, on a phone too."""
    sizes = ["desktop", "phone"] if phone else ["desktop"]
    for size in sizes:
        page.set_viewport_size(VIEWPORTS[size])
        # Axe measures colours as painted: a fading-in "saved" message would fail mid-fade.
        page.evaluate(FINISH_ANIMATIONS)
        page.screenshot(path=str(artifacts / f"inspraak-{name}-{size}.png"), full_page=True)
        violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
        assert violations == [], f"{name} ({size}): {_describe(violations)}"
    page.set_viewport_size(VIEWPORTS["desktop"])


def _sign_in_with_a_code(page, live_site, artifacts) -> None:
    """Ask for a code, read it from the server's mail log and type it in."""
    before = len(CODE_LINE.findall(live_site.log.read_text()))
    page.goto(f"{live_site.url}/account/login/?next={CONSULTATION}")
    _check(page, artifacts, "inloggen", phone=True)
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_label("Code").wait_for()
    deadline = time.monotonic() + 10
    codes = CODE_LINE.findall(live_site.log.read_text())
    while len(codes) <= before and time.monotonic() < deadline:
        time.sleep(0.2)
        codes = CODE_LINE.findall(live_site.log.read_text())
    assert len(codes) > before, "no sign-in code in the server log"
    _check(page, artifacts, "code", phone=True)
    page.get_by_label("Code").fill(codes[-1])
    page.get_by_role("button", name=re.compile("Aanmelden|Bevestig", re.I)).click()
    page.wait_for_load_state()


def test_a_stakeholder_comment_is_answered_in_the_admin_and_shown_in_the_report(
    live_site, browser, artifacts
):
    live_site.shell(PREPARE)
    stakeholder = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nl-NL")
    staff = browser.new_context(viewport=VIEWPORTS["desktop"], locale="nl-NL")
    try:
        page = stakeholder.new_page()
        _sign_in_with_a_code(page, live_site, artifacts)
        page.goto(live_site.url + CONSULTATION)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Concept visie Jeugd")
        _check(page, artifacts, "tekst", phone=True)

        page.get_by_text("Reageer op 7.2", exact=True).click()
        page.get_by_label("Jouw reactie op 7.2").fill(COMMENT)
        expect(page.locator("#alinea-7-2").get_by_role("combobox")).to_have_value(re.compile(r"\d"))
        _check(page, artifacts, "reageren", phone=True)
        page.locator("#alinea-7-2").get_by_role("button", name="Reactie versturen").click()
        page.wait_for_load_state()
        match = re.search(r"#reactie-(\d+)$", page.url)
        assert match, page.url
        comment_id = match.group(1)
        expect(page.get_by_text("Een moderator kijkt er eerst naar.")).to_be_visible()
        expect(page.locator(f"#reactie-{comment_id}")).to_contain_text(COMMENT)
        _check(page, artifacts, "reactie-geplaatst", phone=True)

        admin = staff.new_page()
        edit_path = f"/beheer/reacties/edit/{comment_id}/"
        admin.goto(f"{live_site.url}/beheer/login/?next={edit_path}")
        _check(admin, artifacts, "beheer-inloggen")
        admin.locator("#id_username").fill(STAFF)
        admin.locator("#id_password").fill(PASSWORD)
        admin.locator("form button[type=submit]").first.click()
        admin.wait_for_url(f"{live_site.url}{edit_path}")
        expect(admin.locator("main")).to_contain_text(COMMENT)
        admin.get_by_label("Zichtbaar").check()
        admin.get_by_label("Deels overgenomen").check()
        admin.locator("#id_answer_reasoning").fill(REASONING)
        admin.locator("#id_answer_text_change").fill(TEXT_CHANGE)
        _check(admin, artifacts, "beheer-antwoord")
        admin.locator("form button[type=submit]").filter(
            has_text=re.compile("Opslaan|Save")
        ).first.click()
        admin.wait_for_url(re.compile(r"/beheer/reacties/(\?.*)?$"))
        _check(admin, artifacts, "beheer-reacties")

        page.goto(f"{live_site.url}{CONSULTATION}nota/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Nota van beantwoording")
        answered = page.locator(f"#reactie-{comment_id}")
        expect(answered).to_contain_text("Browsertest Jeugdzorg")
        expect(answered).to_contain_text(COMMENT)
        expect(answered).to_contain_text("Deels overgenomen")
        expect(answered).to_contain_text(REASONING)
        expect(answered).to_contain_text(TEXT_CHANGE)
        # The demo answers from the seed's Bijlage 2 are there too.
        expect(page.locator("#hoofdstuk-9")).to_contain_text("Overgenomen")
        _check(page, artifacts, "nota", phone=True)
    finally:
        stakeholder.close()
        staff.close()
