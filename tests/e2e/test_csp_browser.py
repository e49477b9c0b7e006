"""Content-Security-Policy in a real browser (issue 7, item 1): public pages, a live poll and the
Wagtail admin run their scripts under the nonce-based policy with no violation reported.

The header checks themselves are in tests/security/test_deploy.py; this module shares the e2e
rig's seeded server (tests/e2e/conftest.py) instead of starting its own.
"""

from __future__ import annotations

import pytest


@pytest.mark.browser
def test_chromium_reports_no_csp_violation_on_public_pages_a_live_poll_and_the_admin(
    live_site,
    browser,
):
    consultation = live_site.shell(
        "from consultations.models import ConsultationPage;"
        "print('PK', ConsultationPage.objects.first().pk)"
    )
    pk = consultation.split("PK ")[1].split()[0]
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(ws.url)))
    try:
        for path in ["/", "/account/login/", "/account/signup/", "/cijfers/", "/beheer/login/"]:
            assert page.goto(live_site.url + path).status == 200, path
        # The live poll: its socket connects and brings the state under the CSP.
        page.goto(live_site.url + "/p/JPRA26/")
        page.wait_for_function("() => true")
        page.wait_for_timeout(1500)
        assert frames and frames[0].endswith("/ws/p/JPRA26/"), frames
        # The admin: login, dashboard, page editor with date pickers and an inline panel.
        page.goto(live_site.url + "/beheer/login/")
        page.fill("#id_username", "beheer")
        page.fill("#id_password", "jeugdstem-demo")
        page.click("button[type=submit]")
        page.wait_for_url(live_site.url + "/beheer/")
        for path in ["/beheer/", "/beheer/pages/", f"/beheer/pages/{pk}/edit/"]:
            assert page.goto(live_site.url + path).status == 200, path
            page.wait_for_load_state("networkidle")
        # The inline panel's script (nonce) runs: "add" makes one more form.
        total = page.locator("#id_youth_questions-TOTAL_FORMS")
        before = int(total.input_value())
        page.click("#id_youth_questions-ADD")
        page.wait_for_timeout(300)
        assert int(total.input_value()) == before + 1
        # Each date-time field's set-up script (nonce) ran: one picker per field, 5 fields
        # (opens, closes, answered; go-live and expiry on the settings tab).
        assert page.locator(".xdsoft_datetimepicker").count() == 5
        for path in [
            "/beheer/images/",
            "/beheer/documents/",
            "/beheer/snippets/",
            "/account/2fa/",
            "/account/reauthenticate/",
        ]:
            assert page.goto(live_site.url + path).status == 200, path
            page.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert problems == []
