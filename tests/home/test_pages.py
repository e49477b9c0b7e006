"""The public site as a visitor reads it: pages, headings, glossary links, search, errors."""

import re

import pytest
from django.test import Client, override_settings
from django.utils.html import escape

from home.glossary import link_terms, load_entries, match_forms
from home.models import CoreTaskPage, GlossaryTerm


def _h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/", "Jouw stem telt"),
        ("/visie/", "Een gezonde basis voor de toekomst"),
        ("/visie/sterke-sociale-basis/", "Sterke sociale basis"),
        ("/visie/begrippenlijst/", "Begrippenlijst"),
        ("/visie/participatietraject/", "Participatietraject visie Jeugd"),
        ("/nieuws/", "Nieuws"),
        ("/nieuws/jongeren-praten-mee/", "Jongeren praten mee over de weg naar hulp"),
    ],
)
def test_public_pages_render_with_their_heading(seeded, client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert _h1(html) == heading
    assert html.count("<h1") == 1
    assert '<html lang="nl">' in html
    assert '<main id="inhoud"' in html


def test_no_page_loads_anything_from_another_host(seeded, client):
    for url in ("/", "/visie/", "/visie/sterke-sociale-basis/", "/zoeken/?q=jeugd"):
        html = client.get(url).content.decode()
        for tag in re.findall(r"<(?:script|link|img|iframe|source|video|audio)\b[^>]*>", html):
            assert not re.search(r'(?:src|href)="(?:https?:)?//', tag), (url, tag)


def test_vision_lists_every_chapter_in_order(seeded, client):
    html = client.get("/visie/").content.decode()
    toc = html[html.index('class="chapter-list"') :]
    positions = [
        toc.index(title) for title in ("Inleiding", "Sterke sociale basis", "Begrippenlijst")
    ]
    assert positions == sorted(positions)


def test_core_task_page_shows_each_activity_as_a_heading(seeded, client):
    html = client.get("/visie/sterke-sociale-basis/").content.decode()
    for letter in "abcdefghi":
        assert f'id="activiteit-{letter}"' in html
    page = CoreTaskPage.objects.get(number=7)
    assert all(f" {escape(item['title'])}</h3>" in html for item in page.activities())


def test_chapter_links_the_first_use_of_a_glossary_term(seeded, client):
    html = client.get("/visie/sterke-sociale-basis/").content.decode()
    links = re.findall(r'<a class="term" href="/visie/begrippenlijst/#begrip-([a-z-]+)"', html)
    assert links, "expected at least one glossary link"
    assert len(links) == len(set(links)), "each term is linked once per page"


def test_glossary_page_has_an_anchor_per_term(seeded, client):
    html = client.get("/visie/begrippenlijst/").content.decode()
    for term in GlossaryTerm.objects.all():
        assert f'id="{term.anchor}"' in html
    assert 'class="term"' not in html


def test_match_forms_knows_abbreviations_and_alternatives():
    assert match_forms("Ondertoezichtstelling (OTS)") == ["Ondertoezichtstelling", "OTS"]
    assert "vrij-toegankelijke voorzieningen" in match_forms(
        "Collectieve / vrij-toegankelijke voorzieningen"
    )


def test_linker_skips_headings_links_and_abbreviations_in_lower_case(seeded):
    entries = load_entries()
    html = "<h2>Jeugdhulp</h2><p>Geen ots hier. <a href='/x'>jeugdhulp</a> en jeugdhulp. OTS.</p>"
    linked = link_terms(html, set(), entries)
    assert "<h2>Jeugdhulp</h2>" in linked
    assert "<a href='/x'>jeugdhulp</a>" in linked
    assert linked.count('class="term"') == 2
    assert "Geen ots hier" in linked


def test_search_finds_pages_and_glossary_terms(seeded, client):
    response = client.get("/zoeken/", {"q": "pleegzorg"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "#begrip-pleegzorg" in html


def test_search_with_a_very_long_query_still_answers(seeded, client):
    response = client.get("/zoeken/", {"q": "jeugd " * 500})
    assert response.status_code == 200


def test_unknown_url_gives_a_dutch_404_in_the_site_look(seeded, client):
    response = client.get("/bestaat-echt-niet/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in html
    assert 'class="site-header"' in html


@override_settings(ROOT_URLCONF="tests.urls_error")
def test_error_gives_a_friendly_500_without_a_stack_trace(seeded):
    client = Client(raise_request_exception=False)
    response = client.get("/kapot/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Er ging iets mis" in html
    assert "boom" not in html and "Traceback" not in html


def test_language_switch_sets_english_and_returns(seeded, client):
    response = client.get("/taal/en/", {"next": "/visie/"})
    assert response.status_code == 302 and response.url == "/visie/"
    html = client.get("/visie/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert '<article lang="nl">' in html


def test_language_switch_refuses_foreign_redirects(seeded, client):
    response = client.get("/taal/en/", {"next": "https://evil.example/"})
    assert response.url == "/"


def test_health_endpoint_reports_database_and_cache(db, client):
    assert client.get("/gezond/").json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_a_forbidden_page_is_explained_in_the_site_look(seeded, client, participant):
    client.force_login(participant)
    response = client.get("/feedback/casussen/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Je mag deze pagina niet zien" in html and 'class="site-header"' in html
