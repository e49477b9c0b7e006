"""The anonymous page cache: stored once, served before Django, purged on publish."""

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings

from config.asgi import application
from home.models import ChapterPage, GlossaryTerm
from tests.asgi import asgi_request

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def site(django_db_serialized_rollback, transactional_db):
    from home.seed import seed

    seed()


async def test_second_anonymous_request_is_served_from_the_cache(site):
    first = await asgi_request(application, "/visie/")
    second = await asgi_request(application, "/visie/")
    assert first.status == second.status == 200
    assert "x-cache" not in first.headers
    assert second.headers["x-cache"] == "hit"
    assert second.body == first.body
    assert "x-page-cacheable" not in first.headers and "x-page-cacheable" not in second.headers


async def test_head_request_is_answered_from_the_cache_without_body(site):
    await asgi_request(application, "/visie/")
    head = await asgi_request(application, "/visie/", method="HEAD")
    assert head.headers["x-cache"] == "hit" and head.body == b""


async def test_publishing_a_page_purges_the_cache(site):
    await asgi_request(application, "/visie/context/")
    assert (await asgi_request(application, "/visie/context/")).headers["x-cache"] == "hit"

    def publish_new_title():
        page = ChapterPage.objects.get(slug="context")
        page.title = "Context in Alkmaar en de regio"
        page.save_revision().publish()

    await sync_to_async(publish_new_title)()
    fresh = await asgi_request(application, "/visie/context/")
    assert "x-cache" not in fresh.headers
    assert "Context in Alkmaar en de regio" in fresh.text


async def test_unpublishing_a_page_purges_the_cache(site):
    await asgi_request(application, "/visie/context/")

    def unpublish():
        ChapterPage.objects.get(slug="context").unpublish()

    await sync_to_async(unpublish)()
    assert (await asgi_request(application, "/visie/context/")).status == 404


async def test_changing_a_glossary_term_purges_the_cache(site):
    await asgi_request(application, "/visie/begrippenlijst/")

    def rename():
        term = GlossaryTerm.objects.get(slug="veerkracht")
        term.definition = "<p>Opnieuw opstaan na tegenslag.</p>"
        term.save()

    await sync_to_async(rename)()
    page = await asgi_request(application, "/visie/begrippenlijst/")
    assert "x-cache" not in page.headers and "Opnieuw opstaan na tegenslag." in page.text


async def test_visitors_with_a_session_never_get_cached_pages(site):
    await asgi_request(application, "/visie/")
    cookie = {"cookie": f"{settings.SESSION_COOKIE_NAME}=abc"}
    response = await asgi_request(application, "/visie/", headers=cookie)
    assert "x-cache" not in response.headers


async def test_language_is_part_of_the_cache_key(site):
    dutch = await asgi_request(application, "/visie/")
    english = await asgi_request(application, "/visie/", headers={"cookie": "taal=en"})
    assert "x-cache" not in english.headers
    assert '<html lang="en">' in english.text and '<html lang="nl">' in dutch.text
    again = await asgi_request(application, "/visie/", headers={"cookie": "taal=en"})
    assert again.headers["x-cache"] == "hit" and '<html lang="en">' in again.text


async def test_the_browser_language_does_not_switch_the_site_to_english(site):
    response = await asgi_request(application, "/visie/", headers={"accept-language": "en-US"})
    assert '<html lang="nl">' in response.text


async def test_pages_with_a_form_token_are_not_stored(site):
    await asgi_request(application, "/account/login/")
    response = await asgi_request(application, "/account/login/")
    assert "x-cache" not in response.headers


async def test_not_found_is_not_stored(site):
    await asgi_request(application, "/bestaat-niet/")
    response = await asgi_request(application, "/bestaat-niet/")
    assert response.status == 404 and "x-cache" not in response.headers


async def test_unknown_query_strings_are_not_stored(site):
    await asgi_request(application, "/visie/?x=1")
    response = await asgi_request(application, "/visie/?x=1")
    assert "x-cache" not in response.headers
    await asgi_request(application, "/nieuws/?pagina=1")
    assert (await asgi_request(application, "/nieuws/?pagina=1")).headers["x-cache"] == "hit"


def test_a_response_that_sets_a_cookie_is_never_stored(rf):
    """Even a page marked cacheable is not stored when any middleware sets a cookie."""
    import asyncio

    from config.pagecache import PageCacheApp

    async def app(scope, receive, send):
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"X-Page-Cacheable", b"1"), (b"Set-Cookie", b"csrftoken=abc")],
            }
        )
        await send({"type": "http.response.body", "body": b"form"})

    cached = PageCacheApp(app)
    first = asyncio.run(asgi_request(cached, "/formulier/"))
    second = asyncio.run(asgi_request(cached, "/formulier/"))
    assert "x-page-cacheable" not in first.headers
    assert "x-cache" not in second.headers
