"""Provider pages for invitations that go out on paper or by SMS.

A code exists in plain text only when it is made, so printing letters or exporting texts
makes fresh codes each time: the previous letters or texts stop working.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from feedback import delivery
from feedback.models import Invitation
from feedback.rules import providers_for


def provider_page(view):
    """Signed in with a provider role (else 403); never cached (codes inside).

    Codes appear only in page bodies, never in URLs, so the site-wide same-origin referrer
    policy is enough; no-referrer would make browsers post these forms with `Origin: null`,
    which the CSRF check refuses.
    """

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        providers = providers_for(request.user)
        if not providers.exists():
            raise PermissionDenied
        response = view(request, providers, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


@require_GET
@provider_page
def batch(request: HttpRequest, providers) -> HttpResponse:
    """Per provider: the letters to print and the texts ready for the SMS gateway."""
    batches = delivery.provider_batches(providers, timezone.now())
    return render(request, "feedback/invitations/batch.html", {"batches": batches})


@require_POST
@provider_page
def print_letters(request: HttpRequest, providers) -> HttpResponse:
    """Make fresh codes for the chosen letters and show them ready to print."""
    ids = [value for value in request.POST.getlist("invitation") if value.isdigit()]
    if Invitation.objects.filter(pk__in=ids).exclude(case__provider__in=providers).exists():
        raise PermissionDenied
    now = timezone.now()
    chosen = delivery.printable_letters(providers, now).filter(pk__in=ids)
    letters = delivery.make_letters(chosen, delivery.site_root(request), now)
    if not letters:
        messages.error(request, _("Kies eerst de brieven die u wilt afdrukken."))
        return redirect("feedback:invitations_batch")
    return render(
        request,
        "feedback/invitations/print.html",
        # Letters are in the municipality's language, whatever language the sender browses in.
        {"letters": letters, "letter_language": settings.LANGUAGE_CODE},
    )


@require_POST
@provider_page
def sms_export(request: HttpRequest, providers) -> HttpResponse:
    """Download the texts for the SMS gateway (phone;message), each with a fresh code."""
    provider_id = request.POST.get("provider", "")
    if provider_id:
        if not provider_id.isdigit() or not providers.filter(pk=provider_id).exists():
            raise PermissionDenied
        providers = providers.filter(pk=provider_id)
    now = timezone.now()
    waiting = delivery.sms_waiting(providers, now)
    if not waiting.exists():
        messages.info(request, _("Er zijn geen sms-berichten om te versturen."))
        return redirect("feedback:invitations_batch")
    content = delivery.export_sms(waiting, delivery.site_root(request), now)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = f"sms-{now:%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
