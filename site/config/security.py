"""Security middleware: Content-Security-Policy, the staff login and the staff second factor.

- ``ContentSecurityPolicyMiddleware``: django-csp with the policy in ``CONTENT_SECURITY_POLICY``,
  plus the page's own WebSocket address in ``connect-src`` (older Safari does not count ws: and
  wss: as 'self'), and inline styles for the Wagtail admin only (its templates and scripts set
  ``style`` attributes); scripts need the nonce everywhere.
- ``StaffLoginMiddleware``: Wagtail's login at /beheer/login/ goes through allauth's login flow,
  so allauth asks for the second factor, and it is rate-limited per IP and per username.
- ``StaffMFAMiddleware``: a staff user who has not used a second factor in this session reaches
  only the pages to set one up (or is sent back to the login), whatever way they logged in.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.internal.flows.login import (
    get_authentication_records,
    perform_password_login,
    record_authentication,
)
from allauth.account.models import Login
from allauth.mfa.models import Authenticator
from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from wagtail.admin.views.account import LoginView as WagtailLoginView
from wagtail.admin.widgets.chooser import BaseChooser

from config.csp_tags import csp_nonce, current_request

Handler = Callable[[HttpRequest], HttpResponse]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp, plus this host's socket address and inline styles in the admin only."""

    def process_request(self, request: HttpRequest) -> None:
        """Make the nonce reachable for ``{% csp_nonce %}`` while this request is served."""
        super().process_request(request)
        request._csp_request_token = current_request.set(request)  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Write the header, then forget the request."""
        response = super().process_response(request, response)
        token = getattr(request, "_csp_request_token", None)
        if token is not None:
            try:
                current_request.reset(token)
            except ValueError:  # set in another context (async hand-over): just clear it
                current_request.set(None)
        return response

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponse, report_only: bool = False
    ) -> PolicyParts:
        """Add the socket origin to connect-src; relax style-src under ADMIN_CSP_PREFIXES."""
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        try:
            host = request.get_host()
        except Exception:  # noqa: BLE001 - a refused Host header: keep the plain policy
            host = ""
        if host:
            update["connect-src"] = [f"{'wss' if request.is_secure() else 'ws'}://{host}"]
        parts.update = update
        if request.path_info.startswith(tuple(settings.ADMIN_CSP_PREFIXES)):
            # A nonce in style-src makes browsers ignore 'unsafe-inline', so none here.
            parts.replace = {**(parts.replace or {}), "style-src": [SELF, UNSAFE_INLINE]}
        return parts


# --- Wagtail's chooser widgets -------------------------------------------------------------


def _chooser_render_with_nonce(self, name, value, attrs=None, renderer=None):
    """Wagtail's ``BaseChooser.render`` (8.0), with the CSP nonce on its inline script."""
    try:
        id_ = attrs["id"]
    except (KeyError, TypeError) as e:
        raise TypeError("BaseChooser cannot be rendered without an 'id' attribute") from e
    value_data = self.get_value_data(value)
    widget_html = self.render_html(name, value_data, attrs)
    js = self.render_js_init(id_, name, value_data)
    return format_html('{}<script nonce="{}">{}</script>', widget_html, csp_nonce(), mark_safe(js))


# Page, image, document and snippet choosers write their set-up script inline, from Python
# where no template can add the nonce (wagtail/wagtail#1288). Same output, plus the nonce.
BaseChooser.render = _chooser_render_with_nonce


# --- Wagtail admin login: through allauth, rate-limited --------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server sees it (the proxy must set REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _failure_keys(request: HttpRequest) -> list[str]:
    username = request.POST.get("username", "").strip().lower()[:150]
    keys = [f"adminlogin:ip:{client_ip(request)}"]
    if username:
        keys.append(f"adminlogin:user:{username}")
    return keys


def admin_login_blocked(request: HttpRequest) -> bool:
    """True when this IP or this username has too many failed admin logins in the window."""
    limit = settings.ADMIN_LOGIN_MAX_FAILURES
    return any((cache.get(key) or 0) >= limit for key in _failure_keys(request))


def count_admin_login_failure(request: HttpRequest) -> None:
    """Count one failed admin login for this IP and for the username tried."""
    for key in _failure_keys(request):
        if not cache.add(key, 1, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.ADMIN_LOGIN_WINDOW_SECONDS)


class StaffLoginView(WagtailLoginView):
    """Wagtail's login form; a right password starts allauth's login (and its MFA step)."""

    def form_valid(self, form) -> HttpResponse:
        """Log in through allauth, so a user with an authenticator must give its code."""
        user = form.get_user()
        login = Login(
            user=user,
            redirect_url=self.get_success_url(),
            # Staff addresses are set by an administrator, not confirmed by mail.
            email_verification=EmailVerificationMethod.NONE,
        )
        return perform_password_login(self.request, {"username": user.get_username()}, login)


class StaffLoginMiddleware:
    """Serves /beheer/login/ with ``StaffLoginView`` and refuses POSTs after too many failures."""

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        """Replace Wagtail's login view; count failed attempts."""
        match = request.resolver_match
        if match is None or match.url_name != "wagtailadmin_login":
            return None
        if request.method == "POST" and admin_login_blocked(request):
            minutes = max(1, settings.ADMIN_LOGIN_WINDOW_SECONDS // 60)
            response = render(
                request, "wagtailadmin/login_rate_limited.html", {"minutes": minutes}, status=429
            )
            response["Retry-After"] = str(settings.ADMIN_LOGIN_WINDOW_SECONDS)
            return response
        response = StaffLoginView.as_view()(request, *view_args, **view_kwargs)
        if request.method == "POST" and response.status_code == 200:
            # The form came back: wrong username or password.
            count_admin_login_failure(request)
        return response


# --- Second factor for staff -----------------------------------------------------------------


def needs_second_factor(user) -> bool:
    """Staff, superusers and anyone who may open the Wagtail admin."""
    return bool(user.is_staff or user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


def used_second_factor(request: HttpRequest, user) -> bool:
    """True when this session logged this user in (or set one up) with a second factor."""
    records = get_authentication_records(request, user)
    return any(record.get("method") == "mfa" for record in records)


def _has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMFAMiddleware:
    """Staff without a second factor in this session reach only the set-up pages."""

    def __init__(self, get_response: Handler):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            not settings.STAFF_REQUIRE_MFA
            or user is None
            or not user.is_authenticated
            or used_second_factor(request, user)
            or not needs_second_factor(user)
        ):
            return self.get_response(request)
        path = request.path_info
        if path.startswith(self._open_prefixes()) or path in self._open_paths():
            return self.get_response(request)
        if _has_totp(user):
            # Logged in without the code (an old session, or a way around allauth): start over.
            logout(request)
            messages.info(request, _("Log opnieuw in. Daarna vragen we de code uit je app."))
            login_url = reverse("wagtailadmin_login")
            return HttpResponseRedirect(f"{login_url}?{urlencode({'next': path})}")
        activate = reverse("mfa_activate_totp")
        if path in (activate, reverse("account_reauthenticate")):
            response = self.get_response(request)
            if path == activate and request.method == "POST" and _has_totp(user):
                # Setting up the app needs a right code from it: that is the second factor.
                record_authentication(request, user, method="mfa", type="totp")
            return response
        messages.info(
            request,
            _(
                "Je hebt beheerrechten. Stel eerst een tweede stap in: "
                "een code uit een app op je telefoon."
            ),
        )
        return HttpResponseRedirect(activate)

    @staticmethod
    def _open_prefixes() -> tuple[str, ...]:
        return (settings.STATIC_URL, settings.MEDIA_URL, "/taal/", "/gezond/")

    @staticmethod
    def _open_paths() -> set[str]:
        return {reverse("account_logout"), reverse("wagtailadmin_logout")}
