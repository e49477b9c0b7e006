"""The public pages in a real browser, on a desktop and a phone: headings, axe, layout."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}
PAGES = [
    ("home", "/", "Jouw stem telt"),
    ("visie", "/visie/", "Een gezonde basis voor de toekomst"),
    ("kernopgave", "/visie/sterke-sociale-basis/", "Sterke sociale basis"),
    ("begrippenlijst", "/visie/begrippenlijst/", "Begrippenlijst"),
    ("nieuws", "/nieuws/", "Nieuws"),
    ("zoeken", "/zoeken/?q=jeugdhulp", "Zoeken"),
    ("inloggen", "/account/login/", None),
    ("niet-gevonden", "/bestaat-niet/", "Deze pagina bestaat niet"),
    ("inspraak", "/inspraak/", None),
    ("nota", "/inspraak/concept-visie-jeugd/nota/", None),
    ("verloop", "/inspraak/concept-visie-jeugd/verloop/", None),
    ("versies", "/inspraak/concept-visie-jeugd/versies/", None),
    ("jongerenpanel", "/jongerenpanel/", "Jongerenpanel"),
    ("wij-deden", "/wij-deden/", "Jullie zeiden, wij deden"),
    ("cijfers", "/cijfers/", "Cijfers: heeft de hulp geholpen?"),
    ("cijfers-soort-hulp", "/cijfers/?indeling=help_type", "Cijfers: heeft de hulp geholpen?"),
    ("wat-jullie-zeiden", "/wat-jullie-zeiden/", "Wat jullie zeiden"),
    ("zeiden-lokaal-team", "/wat-jullie-zeiden/stevig-lokaal-team/", None),
    ("verhalen", "/verhalen/", None),
    ("rapporten", "/cijfers/rapport/", "Halfjaarrapporten"),
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
axe = Axe()


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return "\n".join(lines)


@pytest.fixture(params=list(VIEWPORTS), scope="module")
def viewport(request):
    return request.param


@pytest.fixture
def page(browser, viewport):
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="nl-NL")
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda req: (
            outside.append(req.url)
            if not req.url.startswith(("http://127.0.0.1", "data:", "about:"))
            else None
        ),
    )
    page.outside_requests = outside
    yield page
    context.close()


@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_page_has_its_heading_no_axe_violations_and_no_outside_requests(
    live_site, page, viewport, artifacts, name, path, heading
):
    response = page.goto(live_site.url + path)
    assert response is not None
    assert response.status == (404 if name == "niet-gevonden" else 200)
    h1 = page.locator("h1")
    assert h1.count() == 1
    if heading:
        assert h1.inner_text().strip() == heading
    page.screenshot(path=str(artifacts / f"{name}-{viewport}.png"), full_page=True)
    results = axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    assert violations == [], _describe(violations)
    assert page.outside_requests == []


def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(live_site, page):
    page.goto(live_site.url + "/visie/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#inhoud"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhoud"


@pytest.mark.parametrize(
    "path", ["/", "/visie/", "/visie/sterke-sociale-basis/", "/cijfers/?indeling=district"]
)
def test_pages_reflow_at_320_pixels_without_sideways_scrolling(live_site, browser, path):
    # 320 CSS pixels wide is what a 1280 px screen shows at 400 % zoom (WCAG 1.4.10).
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_site.url + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0


def test_language_switch_shows_the_interface_in_english(live_site, page):
    page.goto(live_site.url + "/visie/")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Skip to content").count() == 1
    page.get_by_role("link", name="Nederlands").click()
    assert page.locator("html").get_attribute("lang") == "nl"


def test_participant_signs_up_and_in_with_a_code_from_the_mail(
    live_site, page, viewport, artifacts
):
    import re
    import time

    code_line = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.M)
    codes_before = len(code_line.findall(live_site.log.read_text()))
    page.goto(live_site.url + "/account/signup/")
    page.get_by_label("E-mail").fill(f"lotte-{viewport}@example.org")
    page.get_by_role("button", name=re.compile("Aanmelden|Registreren", re.I)).click()
    # The demo sends mail to the server's console, which this rig writes to a log file.
    deadline = time.monotonic() + 10
    code = None
    page.wait_for_load_state()
    while code is None and time.monotonic() < deadline:
        found = code_line.findall(live_site.log.read_text())
        code = found[-1] if len(found) > codes_before else None
        time.sleep(0.2)
    assert code, "no code mail in the server log"
    page.get_by_label("Code").wait_for()
    page.wait_for_load_state()
    page.screenshot(path=str(artifacts / "code-invullen.png"), full_page=True)
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], _describe(violations)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name=re.compile("Bevestig|Bevestigen", re.I)).click()
    page.goto(live_site.url + "/")
    assert page.get_by_role("link", name="Mijn account").count() == 1


def test_printed_staff_login_opens_the_admin(live_site, page, artifacts):
    page.goto(live_site.url + "/beheer/login/")
    page.locator("#id_username").fill("beheer")
    page.locator("#id_password").fill("jeugdstem-demo")
    page.locator("button[type=submit]").first.click()
    page.wait_for_url(live_site.url + "/beheer/")
    page.screenshot(path=str(artifacts / "beheer-dashboard.png"), full_page=False)
    assert page.locator("body").inner_text().count("Jeugdstem") >= 1


def test_the_demo_half_year_report_opens_from_the_list_without_axe_violations(
    live_site, page, viewport, artifacts
):
    page.goto(live_site.url + "/cijfers/rapport/")
    page.locator("main a[href^='/cijfers/rapport/20']").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").count() == 1
    assert page.locator("svg[role=img]").count() >= 2
    page.screenshot(path=str(artifacts / f"rapport-{viewport}.png"), full_page=True)
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert violations == [], _describe(violations)
    assert page.outside_requests == []
