"""A live poll in Chromium: a host starts it, phones join by code and vote, the big screen follows.

Three phones run poll.js; a fourth has JavaScript switched off and votes through the plain form.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.test_browser import AXE_OPTIONS, _describe

pytestmark = pytest.mark.browser
axe = Axe()
CODE = "BRWS23"
HOST = "gespreksleider-e2e"
PASSWORD = "peiling-browsertest-2026"
PHONE_SIZE = {"width": 375, "height": 812}

MAKE_POLL = f"""
from django.contrib.auth import get_user_model
from youth_panel.models import PollQuestion, PollSession, Vote
user, _ = get_user_model().objects.get_or_create(username="{HOST}")
user.set_password("{PASSWORD}"); user.save()
session, _ = PollSession.objects.get_or_create(
    join_code="{CODE}", defaults={{"title": "Browsertest: hoe kom je naar school?"}})
Vote.objects.filter(question__session=session).delete()
PollSession.objects.filter(pk=session.pk).update(
    status="draft", current_question=None, voting_open=False, results_visible=False)
PollQuestion.objects.get_or_create(
    session=session, sort_order=0, text="Hoe kom je meestal naar school?", kind="single",
    options_text="Lopen\\nFiets\\nBus")
PollQuestion.objects.get_or_create(
    session=session, sort_order=1, text="Hoe voel je je vandaag?", kind="scale")
session.hosts.add(user)
"""


def _check(page, artifacts, name):
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], f"{name}: {_describe(violations)}"


def _watch_outside(page) -> list[str]:
    outside: list[str] = []
    page.on(
        "request",
        lambda req: (
            outside.append(req.url)
            if not req.url.startswith(("http://127.0.0.1", "data:", "about:"))
            else None
        ),
    )
    return outside


def _watch_votes(page) -> list[dict]:
    """The vote messages the page sends over its WebSocket."""
    sent: list[dict] = []

    def on_socket(socket):
        socket.on(
            "framesent",
            lambda payload: sent.append(json.loads(payload)) if '"vote"' in payload else None,
        )

    page.on("websocket", on_socket)
    return sent


def _join_and_vote(browser, live_site, artifacts, answer: str, name: str | None):
    context = browser.new_context(viewport=PHONE_SIZE, locale="nl-NL", has_touch=True)
    page = context.new_page()
    outside = _watch_outside(page)
    votes = _watch_votes(page)
    page.goto(f"{live_site.url}/p/")
    if name:
        _check(page, artifacts, f"{name}-meedoen")
    page.get_by_label("Code").fill(f" {CODE[:3].lower()} {CODE[3:].lower()}")
    page.get_by_role("button", name="Doe mee").click()
    page.wait_for_load_state()
    assert page.url == f"{live_site.url}/p/{CODE}/"
    expect(page.get_by_role("heading", level=1)).to_have_text("Hoe kom je meestal naar school?")
    if name:
        _check(page, artifacts, f"{name}-vraag")
    # The vote goes over the open socket and the ack shows in place: no page load.
    expect(page.locator("html[data-poll-live=open]")).to_have_count(1)
    page.evaluate("window.stayedOnPage = true")
    page.get_by_label(answer).check()
    page.get_by_role("button", name="Stem", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Je stem is binnen.")
    expect(page.get_by_role("status")).to_contain_text(f"Jij koos: {answer}")
    assert page.evaluate("window.stayedOnPage") is True
    assert [vote["type"] for vote in votes] == ["vote"]
    expect(page.get_by_role("button", name="Verander mijn stem")).to_be_visible()
    if name:
        _check(page, artifacts, f"{name}-gestemd")
    assert outside == []
    return context


def test_phones_join_by_code_vote_and_the_big_screen_shows_the_counts(
    live_site, browser, artifacts
):
    live_site.shell(MAKE_POLL)
    host = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    phones = []
    try:
        control = host.new_page()
        control.goto(f"{live_site.url}/beheer/login/?next=/p/{CODE}/bediening/")
        control.locator("#id_username").fill(HOST)
        control.locator("#id_password").fill(PASSWORD)
        control.locator("form button[type=submit]").first.click()
        control.wait_for_load_state()
        assert control.url == f"{live_site.url}/p/{CODE}/bediening/"
        _check(control, artifacts, "peiling-bediening-klaar")
        control.get_by_role("button", name="Start de peiling").click()
        control.wait_for_load_state()
        expect(control.get_by_role("status")).to_contain_text("De peiling is gestart.")
        _check(control, artifacts, "peiling-bediening-gestart")

        presenter = host.new_page()
        presenter.set_viewport_size({"width": 1366, "height": 768})
        presenter_outside = _watch_outside(presenter)
        presenter.goto(f"{live_site.url}/p/{CODE}/scherm/")
        expect(presenter.locator(".join-code")).to_have_text(CODE)
        expect(presenter.locator(".poll-qr svg")).to_be_visible()
        _check(presenter, artifacts, "peiling-scherm-vraag")

        for index, answer in enumerate(["Fiets", "Fiets", "Bus"]):
            name = "peiling-telefoon" if index == 0 else None
            phones.append(_join_and_vote(browser, live_site, artifacts, answer, name))

        # The count follows without a reload.
        expect(presenter.locator("[data-poll-count]")).to_have_text("3 deelnemers", timeout=3000)

        control.get_by_role("button", name="Toon uitslag").click()
        control.wait_for_load_state()
        shown_at = time.monotonic()
        rows = presenter.locator("[data-poll-results] tbody tr")
        # The screen gets the change over its socket: well within 2 s.
        expect(rows.nth(1)).to_contain_text("Fiets", timeout=2000)
        elapsed = time.monotonic() - shown_at
        assert elapsed < 2.0, f"the presenter took {elapsed:.2f} s"
        expect(rows.nth(0).locator("td").first).to_have_text("0")
        expect(rows.nth(1).locator("td").first).to_have_text("2")
        expect(rows.nth(1).locator("td").nth(1)).to_have_text("67%")
        expect(rows.nth(2).locator("td").first).to_have_text("1")
        expect(presenter.locator("[data-poll-announce]")).to_contain_text("Fiets: 2")
        _check(presenter, artifacts, "peiling-scherm-uitslag")
        assert presenter_outside == []

        # A fourth phone without JavaScript: the plain form and the 303 back still work.
        no_js = browser.new_context(viewport=PHONE_SIZE, locale="nl-NL", java_script_enabled=False)
        phones.append(no_js)
        page = no_js.new_page()
        page.goto(f"{live_site.url}/p/")
        page.get_by_label("Code").fill(CODE.lower())
        page.get_by_role("button", name="Doe mee").click()
        page.wait_for_load_state()
        page.get_by_label("Lopen").check()
        page.get_by_role("button", name="Stem", exact=True).click()
        page.wait_for_load_state()
        expect(page.get_by_role("status")).to_contain_text("Je stem is binnen.")
        expect(page.locator(".poll-results caption")).to_have_text("4 stemmen")
        expect(page.locator(".poll-results")).to_contain_text("(jouw keuze)")
        # axe runs as a script, so it cannot run here; the same page is checked below with JS.
        page.screenshot(path=str(artifacts / "peiling-telefoon-zonder-js.png"), full_page=True)

        # A phone with JavaScript has followed to the results on its own, without a reload.
        follower = phones[0].pages[0]
        follower.evaluate("window.followedInPlace = true")
        presenter.evaluate("window.followedInPlace = true")
        expect(follower.locator(".poll-results caption")).to_have_text("4 stemmen", timeout=4000)
        _check(follower, artifacts, "peiling-telefoon-uitslag")

        expect(rows.nth(0).locator("td").first).to_have_text("1", timeout=2500)
        expect(presenter.locator("[data-poll-count]")).to_have_text("4 deelnemers")

        # Next question: the presenter follows in place, the results go off screen.
        control.get_by_role("button", name="Volgende vraag").click()
        control.wait_for_load_state()
        expect(presenter.locator("[data-poll-question]")).to_have_text(
            "Hoe voel je je vandaag?", timeout=2500
        )
        expect(presenter.locator("[data-poll-position]")).to_have_text("Vraag 2 van 2")
        expect(presenter.locator("[data-poll-results] table")).to_have_count(0)
        # The phone follows to the new question on its own too.
        expect(follower.get_by_role("heading", level=1)).to_have_text(
            "Hoe voel je je vandaag?", timeout=4000
        )
        assert re.search(r"😍", follower.locator("form").inner_text())
        assert follower.evaluate("window.followedInPlace") is True
        assert presenter.evaluate("window.followedInPlace") is True
        # The new question is voted on over the socket too.
        follower.get_by_label("4. Goed").check()
        follower.get_by_role("button", name="Stem", exact=True).click()
        expect(follower.get_by_role("status")).to_contain_text("Jij koos: 4. Goed")
        assert follower.evaluate("window.followedInPlace") is True
        follower.screenshot(path=str(artifacts / "peiling-telefoon-volgt.png"), full_page=True)

        # The end: the screen says so, and the results page lists every question.
        control.get_by_role("button", name="Stop de peiling").click()
        control.wait_for_load_state()
        expect(presenter.locator("#vraag")).to_have_text("De peiling is klaar", timeout=4000)
        control.goto(f"{live_site.url}/p/{CODE}/uitslag/")
        expect(control.locator("main h2")).to_have_count(2)
        _check(control, artifacts, "peiling-uitslag")
    finally:
        for context in phones:
            context.close()
        host.close()
