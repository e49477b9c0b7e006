"""A page cache for anonymous visitors, in front of Django.

Django marks a response as cacheable (``MarkCacheableMiddleware``) only when it is a published
Wagtail page served to an anonymous visitor with a 200 status and no cookie set (a page that
renders a CSRF token or a message sets a cookie, so forms are never stored). The ASGI wrapper
``PageCacheApp`` answers later requests for the same host, path, query and language from the
cache without entering Django at all, unless the visitor carries a session or messages cookie.

Publishing, unpublishing, moving or deleting a page, or changing a snippet that pages show,
purges the whole cache by moving to a new generation (``purge``): a publish can change menus
and listings on many pages, so per-path purging would be fragile. With Redis, the generation
lives in Redis and every process sees the purge at once. Without Redis each process has its own
cache, so run several processes only with REDIS_URL set (the demo runs one).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse

from config.language import language_from_cookies

MARKER = "X-Page-Cacheable"
_MARKER_BYTES = MARKER.lower().encode()
_GENERATION_KEY = "pagecache:generation"
# Query parameters that select a different view of a page; any other query is not stored,
# so random query strings cannot flood the cache.
_CACHEABLE_PARAMS = {"pagina", "kernopgave"}
_SKIP_PREFIXES = (
    "/beheer/",
    "/account/",
    "/m/",
    "/p/",
    "/feedback/",
    "/static/",
    "/media/",
    "/documenten/",
    "/taal/",
)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def purge(**_: Any) -> None:
    """Start a new cache generation so that no stored page is served again."""
    cache.set(_GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def mark_request_cacheable(request: HttpRequest) -> None:
    """Say that the page being served may be stored for anonymous visitors."""
    request._page_cacheable = True  # type: ignore[attr-defined]


class MarkCacheableMiddleware:
    """Adds the marker header to responses that ``PageCacheApp`` may store."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            getattr(request, "_page_cacheable", False)
            and request.method == "GET"
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.user.is_authenticated
            and "private" not in response.get("Cache-Control", "")
        ):
            response[MARKER] = "1"
        return response


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _cookies(raw: str) -> dict[str, str] | None:
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    return {key: morsel.value for key, morsel in jar.items()}


def _known_query(query: str) -> bool:
    names = {part.split("=", 1)[0] for part in query.split("&") if part}
    return names <= _CACHEABLE_PARAMS


class PageCacheApp:
    """ASGI wrapper that serves stored pages to anonymous visitors and stores new ones."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]):
        self.app = app
        self.bypass_cookies = {settings.SESSION_COOKIE_NAME, "messages"}
        self.timeout = settings.PAGE_CACHE_SECONDS
        # The in-process cache answers without blocking; other backends go through threads.
        self._sync_cache = isinstance(caches["default"], LocMemCache)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key_base = self._key_base(scope)
        if key_base is None:
            await self.app(scope, receive, send)
            return
        generation = await self._get(_GENERATION_KEY)
        if generation is None:
            await self._add(_GENERATION_KEY, uuid.uuid4().hex)
            generation = await self._get(_GENERATION_KEY)
        key = f"pagecache:{generation}:{key_base}"
        stored = await self._get(key)
        if stored is not None:
            await self._replay(scope, send, stored)
            return
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._recorder(send, key))

    def _key_base(self, scope: Scope) -> str | None:
        """The part of the cache key that describes the request, or None to bypass."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return None
        if self.timeout <= 0:
            return None
        path: str = scope["path"]
        if path.startswith(_SKIP_PREFIXES):
            return None
        cookies = _cookies(_header(scope, b"cookie"))
        if cookies is None or self.bypass_cookies.intersection(cookies):
            return None
        language = language_from_cookies(cookies)
        host = _header(scope, b"host").lower()
        query = scope.get("query_string", b"").decode("latin-1")
        if query and not _known_query(query):
            return None
        return f"{language}:{host}:{path}?{query}"

    def _recorder(self, send: Send, key: str) -> Send:
        state: dict[str, Any] = {"store": False, "body": []}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                original = message.get("headers", [])
                headers = [(k, v) for k, v in original if k.lower() != _MARKER_BYTES]
                marked = len(headers) != len(original)
                sets_cookie = any(k.lower() == b"set-cookie" for k, _ in headers)
                if marked:
                    message = {**message, "headers": headers}
                if marked and not sets_cookie:
                    state["store"] = True
                    state["status"] = message["status"]
                    state["headers"] = headers
            elif message["type"] == "http.response.body" and state["store"]:
                state["body"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    entry = (state["status"], state["headers"], b"".join(state["body"]))
                    await self._set(key, entry)
            await send(message)

        return record

    async def _replay(self, scope: Scope, send: Send, stored: tuple) -> None:
        status, headers, body = stored
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*headers, (b"x-cache", b"hit")],
            }
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def _get(self, key: str) -> Any:
        if self._sync_cache:
            return cache.get(key)
        return await cache.aget(key)

    async def _add(self, key: str, value: Any) -> None:
        if self._sync_cache:
            cache.add(key, value, timeout=None)
        else:
            await cache.aadd(key, value, timeout=None)

    async def _set(self, key: str, value: Any) -> None:
        if self._sync_cache:
            cache.set(key, value, timeout=self.timeout)
        else:
            await cache.aset(key, value, timeout=self.timeout)
