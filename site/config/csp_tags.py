"""``{% csp_nonce %}``: the nonce of the response being built, also where the template context
holds no request (form widgets). A builtin template library (TEMPLATES OPTIONS "builtins")."""

from __future__ import annotations

from contextvars import ContextVar

from django import template
from django.http import HttpRequest

register = template.Library()

# Set by config.security.ContentSecurityPolicyMiddleware for the length of one request.
current_request: ContextVar[HttpRequest | None] = ContextVar("csp_request", default=None)


@register.simple_tag
def csp_nonce() -> str:
    """The request's CSP nonce (using it puts it in the header), or "" outside a request."""
    request = current_request.get()
    nonce = getattr(request, "csp_nonce", None) if request is not None else None
    return str(nonce) if nonce is not None else ""
