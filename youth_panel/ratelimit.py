"""Per-IP limits on the live poll pages: votes, snapshots and join codes that lead nowhere.

A school class often shares one public IP address (NAT): 30 to 300 phones look like one client.
So the limits are per IP but generous, sized for 300 phones in normal use, and set in
settings.POLL_RATE_LIMITS as {scope: (requests, seconds)}; a limit of 0 switches a scope off.

- "votes": every vote post. 300 phones that each vote and change their mind once is 600.
- "snapshot": every stand.json fetch. poll.js fetches it every 3 seconds on each phone (every
  2 on the presenter screen): 300 phones make 6,000 a minute, so the limit sits well above that.
- "code_misses": join attempts with a code that leads nowhere (unknown code, 404). Only misses
  count, so a whole class typing the right code never hits it; guessing codes does.

Counting is a fixed window in the Django cache (Redis in production, so every process shares
the counts). If the cache fails, requests go through: a broken limiter must not stop a vote.
Over the limit the request is not handled at all (nothing is saved or changed) and gets 429
with Retry-After, as a short Dutch page or as JSON for stand.json.

The client is REMOTE_ADDR. Behind a reverse proxy the server must set it from the proxy's
X-Forwarded-For (uvicorn and daphne: --proxy-headers, with the proxy's address trusted via
--forwarded-allow-ips / FORWARDED_ALLOW_IPS); otherwise every visitor shares the proxy's IP.
IPv6 addresses count per /64 network, the block one home or school usually gets.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

DEFAULT_LIMITS = {"votes": (600, 60), "snapshot": (12000, 60), "code_misses": (120, 60)}
KEY_PREFIX = "polls:ratelimit"


def _now() -> float:
    return time.time()


def _limit(scope: str) -> tuple[int, int]:
    """(requests, seconds) for a scope from the settings; requests 0 means no limit."""
    limits = getattr(settings, "POLL_RATE_LIMITS", {})
    requests, seconds = limits.get(scope, DEFAULT_LIMITS[scope])
    return int(requests), max(int(seconds), 1)


def client_key(request: HttpRequest) -> str:
    """Who is counted: the client's IP address (an IPv6 /64 network), as a keyed hash."""
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        network = "unknown"
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.version == 6:
            network = str(ipaddress.ip_network(f"{address}/64", strict=False))
        else:
            network = str(address)
    # Only a hash goes into the cache: no IP address is stored with what it visited.
    return salted_hmac(KEY_PREFIX, network).hexdigest()[:24]


def _window(scope: str, request: HttpRequest) -> tuple[str, int, int]:
    """The counter's cache key for this moment, the limit, and the seconds until it resets."""
    requests, seconds = _limit(scope)
    now = _now()
    start = int(now // seconds) * seconds
    key = f"{KEY_PREFIX}:{scope}:{start}:{client_key(request)}"
    retry_after = max(math.ceil(start + seconds - now), 1)
    return key, requests, retry_after


def _count(key: str, timeout: int) -> int:
    """Add one to a counter and return the new count."""
    try:
        return cache.incr(key)
    except ValueError:
        # No counter yet for this window. add() is atomic: if another request made it first,
        # count on top of theirs.
        if cache.add(key, 1, timeout=timeout):
            return 1
        return cache.incr(key)


def too_many(request: HttpRequest, retry_after: int, *, as_json: bool) -> HttpResponse:
    """The 429 answer: what happened and how long to wait, in plain words."""
    if as_json:
        message = gettext(
            "Er komen nu te veel berichten binnen van jouw netwerk. Wacht even en probeer het "
            "dan opnieuw."
        )
        response = JsonResponse(
            {"error": "rate_limited", "message": message, "retry_after": retry_after},
            status=429,
        )
    else:
        context = {
            "retry_after": retry_after,
            "was_post": request.method == "POST",
            "again_url": request.get_full_path() if request.method == "GET" else request.path,
        }
        response = render(request, "youth_panel/too_many.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


def limit_requests(scope: str, *, methods: tuple[str, ...] = ("GET",), as_json: bool = False):
    """Count every request with one of these methods; over the limit answer 429 instead."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                key, requests, retry_after = _window(scope, request)
                if requests:
                    try:
                        count = _count(key, retry_after + 1)
                    except Exception:
                        logger.warning("Rate limit cache failed for %s; request allowed", scope)
                    else:
                        if count > requests:
                            return too_many(request, retry_after, as_json=as_json)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def code_miss(request: HttpRequest, response: HttpResponse) -> bool:
    """A join code that led nowhere: an unknown session (404), or the join form shown again."""
    if response.status_code == 404:
        return True
    return request.method == "GET" and "code" in request.GET and response.status_code == 200


def _count_miss(key: str, timeout: int) -> None:
    try:
        _count(key, timeout)
    except Exception:
        logger.warning("Rate limit cache failed for code_misses; miss not counted")


def limit_code_misses(*, as_json: bool = False):
    """Refuse every code try (429) from an IP that already missed too often in this window.

    Only misses count (see code_miss), so typing the right code never uses up the limit. Once
    over it, right codes are refused too: otherwise the answer would still tell which guessed
    code exists. A request without a code (the empty join form) always goes through.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            key, requests, retry_after = _window("code_misses", request)
            if not requests or not ("code" in kwargs or "code" in request.GET):
                return view(request, *args, **kwargs)
            try:
                blocked = (cache.get(key) or 0) >= requests
            except Exception:
                logger.warning("Rate limit cache failed for code_misses; request allowed")
                blocked = False
            if blocked:
                return too_many(request, retry_after, as_json=as_json)
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                _count_miss(key, retry_after + 1)
                raise
            if code_miss(request, response):
                _count_miss(key, retry_after + 1)
            return response

        return wrapper

    return decorator
