"""Raw rich-text posts: what the Draftail editor would never send, posted straight to the Wagtail
admin's create view (hand-built contentstate JSON with javascript:/data: links, and raw HTML in
place of the JSON). The published page must hold none of it: no script, no on* attribute, no
iframe, object or style, no javascript:, data: or vbscript: link.

Other "rich" fields: a consultation's draft text is plain text (consultations/drafts.py: only
"# " headings, no Markdown), and feedback reports are plain text with line breaks; both are
covered by the payloads in test_xss.py.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, streamfield

from home.models import UpdateIndexPage, UpdatePage
from tests.security.test_xss import executable_parts

BAD_URLS = [
    "javascript:window.__xss=1;alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "javascript&colon;alert(1)",
]
RAW_HTML = (
    '<p><a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a>'
    '<b onclick="alert(1)" onmouseover="alert(1)">c</b><script>alert(1)</script>'
    '<iframe src="javascript:alert(1)"></iframe><object data="x"></object>'
    '<img src=x onerror="alert(1)"><span style="background:url(javascript:alert(1))">d</span>'
    '<style>*{x:expression(alert(1))}</style><svg onload="alert(1)"></svg></p>'
)
MARK = "Ruwe-tekst-test"


def contentstate(urls: list[str]) -> str:
    """Draftail's JSON with one link per URL, an unknown block type and text that looks like HTML.

    Built by hand: the editor would refuse these links; a crafted POST does not ask it.
    """
    blocks, entities = [], {}
    for number, url in enumerate(urls):
        text = f"{MARK} {number} <img src=x onerror=alert(1)>"
        blocks.append({
            "key": f"k{number}", "type": "unstyled", "depth": 0, "text": text,
            "inlineStyleRanges": [{"offset": 0, "length": 5, "style": "BOLD"}],
            "entityRanges": [{"offset": 0, "length": len(text), "key": number}],
            "data": {"onclick": "alert(1)", "style": "x:expression(alert(1))"},
        })  # fmt: skip
        entities[str(number)] = {"type": "LINK", "mutability": "MUTABLE",
                                 "data": {"url": url, "onclick": "alert(1)"}}  # fmt: skip
    blocks.append({"key": "raw", "type": "atomic", "depth": 0, "text": " ",
                   "inlineStyleRanges": [], "data": {},
                   "entityRanges": [{"offset": 0, "length": 1, "key": len(urls)}]})  # fmt: skip
    embed = {"url": "javascript:alert(1)", "html": RAW_HTML}
    entities[str(len(urls))] = {"type": "EMBED", "mutability": "IMMUTABLE", "data": embed}
    return json.dumps({"blocks": blocks, "entityMap": entities})


@pytest.fixture
def admin(client, db):
    from django.contrib.auth import get_user_model

    from home.seed import seed

    seed()
    user = get_user_model().objects.create_superuser("rijk", "r@example.org", "x")
    client.force_login(user)
    return client


def _create(client, model, parent: Page, fields: dict) -> Page:
    url = reverse(
        "wagtailadmin_pages:add",
        args=[model._meta.app_label, model._meta.model_name, parent.pk],
    )
    response = client.post(url, nested_form_data({**fields, "action-publish": "publish"}))
    assert response.status_code in (200, 302), response.status_code
    return response


def _edit_intro(client, index: UpdateIndexPage, intro: str):
    url = reverse("wagtailadmin_pages:edit", args=[index.pk])
    fields = {"title": index.title, "slug": index.slug, "intro": intro, "action-publish": "1"}
    response = client.post(url, nested_form_data(fields))
    assert response.status_code in (200, 302), response.status_code
    return response


def _public_html(client, page) -> str:
    client.logout()
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def test_crafted_contentstate_links_and_attributes_do_not_reach_the_public_page(admin):
    index = UpdateIndexPage.objects.get()
    _edit_intro(admin, index, contentstate(BAD_URLS))
    index.refresh_from_db()
    assert "tekst-test 0" in index.intro  # the text arrived (its first 5 letters bold)
    _create(admin, UpdatePage, index, {
        "title": "Ruwe update", "slug": "ruwe-update", "date": "2026-03-01",
        "summary": "Samenvatting.",
        "body": streamfield([
            ("paragraph", contentstate(BAD_URLS)),
            ("section", {"number": "1", "heading": "Kop", "text": contentstate(BAD_URLS[::-1])}),
        ]),
    })  # fmt: skip
    update = UpdatePage.objects.get(slug="ruwe-update")
    assert update.live
    stored = json.dumps(list(update.body.raw_data)) + index.intro
    for url in BAD_URLS:
        assert url not in stored
    for page in (index, update):
        html = _public_html(admin, page)
        assert "tekst-test 0" in html  # the text itself arrived
        assert executable_parts(html) == []
        lowered = html.lower()
        for bad in ("javascript:", "vbscript:", "data:text/html", "onclick", "expression("):
            assert bad not in lowered, (page.url, bad)
        assert "&lt;img src=x onerror=alert(1)&gt;" in html  # text that looks like HTML stays text
        admin.force_login(update.owner)


def test_raw_html_posted_in_place_of_the_editor_json_is_refused_or_cleaned(admin):
    page = UpdateIndexPage.objects.get()
    before = page.intro
    # Wagtail's Draftail widget json-decodes the field and fails on HTML with a server error
    # (reported in the notes: a crafted staff post, nothing stored); take the answer as it is.
    admin.raise_request_exception = False
    response = admin.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        {"title": page.title, "slug": page.slug, "intro": RAW_HTML, "action-publish": "1"},
    )
    page.refresh_from_db()
    if page.intro == before:  # refused: nothing stored
        assert response.status_code in (200, 500)
        assert executable_parts(_public_html(admin, page)) == []
        return
    assert executable_parts(page.intro) == []
    html = _public_html(admin, page)
    assert executable_parts(html) == []
    for bad in ("javascript:", "data:text/html", "onclick", "<script>alert", "<iframe"):
        assert bad not in html.lower()
