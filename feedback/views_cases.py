"""Pages where provider and CJG staff register closed cases: one by one, or a CSV file."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from feedback import delivery
from feedback.cases import (
    MAX_REPORTED_ERRORS,
    CaseForm,
    column_help,
    file_digest,
    import_csv,
    invitations_batch_url,
    register_case,
    template_csv,
)
from feedback.models import Case
from feedback.rules import can_register_cases, providers_for

PER_PAGE = 25
UPLOAD_RESULT_KEY = "case_upload_result"
UPLOAD_DIGESTS_KEY = "case_upload_digests"


def provider_required(view):
    """Signed in (else to the login page) and working for a provider or CJG team (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not can_register_cases(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class UploadForm(forms.Form):
    """The CSV file with closed cases."""

    file = forms.FileField(
        label=_("CSV-bestand met casussen"),
        help_text=_(
            "Zet een puntkomma of een komma tussen de kolommen. "
            "Het bestand mag niet groter zijn dan 5 MB en 20.000 rijen."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@provider_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """The cases of the user's providers, newest first: metadata only.

    Whether a respondent answered is not shown: per case it would tell a provider which family
    answered, which together with small groups could point at an answer.
    """
    providers = providers_for(request.user)
    cases = (
        Case.objects.filter(provider__in=providers)
        .select_related("provider")
        .annotate(invitation_count=Count("invitations"))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("pagina"))
    return render(
        request,
        "feedback/cases/list.html",
        {"page": page, "show_provider": providers.count() > 1},
    )


@provider_required
@require_http_methods(["GET", "POST"])
def case_add(request: HttpRequest) -> HttpResponse:
    """Register one closed case and make its invitations."""
    providers = providers_for(request.user)
    form = CaseForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        try:
            case, issued = register_case(form, request.user)
            delivery.deliver_new(issued, base_url=request.build_absolute_uri("/").rstrip("/"))
        except IntegrityError:
            form.add_error("reference", gettext("Dit casusnummer bestaat al."))
        else:
            return redirect("feedback:case_saved", pk=case.pk)
    return render(request, "feedback/cases/form.html", {"form": form})


@provider_required
@require_GET
def case_saved(request: HttpRequest, pk: int) -> HttpResponse:
    """What was saved for one case and how many invitations were made."""
    case = get_object_or_404(
        Case.objects.select_related("provider"), pk=pk, provider__in=providers_for(request.user)
    )
    invitations = list(case.invitations.order_by("-respondent"))
    return render(
        request,
        "feedback/cases/saved.html",
        {
            "case": case,
            "invitations": invitations,
            "letters_url": invitations_batch_url(),
        },
    )


@provider_required
@require_http_methods(["GET", "POST"])
def case_upload(request: HttpRequest) -> HttpResponse:
    """Upload a CSV: every row is checked, then all rows are saved, or none."""
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        digest = file_digest(upload)
        if digest in request.session.get(UPLOAD_DIGESTS_KEY, []):
            form.add_error(
                "file",
                gettext("Dit bestand is net al ingelezen. We hebben niets dubbel opgeslagen."),
            )
        else:
            result = import_csv(upload, request.user, providers_for(request.user))
            if result.ok:
                recent = request.session.get(UPLOAD_DIGESTS_KEY, [])[-9:]
                request.session[UPLOAD_DIGESTS_KEY] = [*recent, digest]
                request.session[UPLOAD_RESULT_KEY] = result.summary()
                return redirect("feedback:case_upload_done")
            if result.file_error:
                form.add_error("file", result.file_error)
    return render(
        request,
        "feedback/cases/upload.html",
        {
            "form": form,
            "result": result,
            "columns": column_help(),
            "providers": providers_for(request.user),
            "max_reported": MAX_REPORTED_ERRORS,
        },
    )


@provider_required
@require_GET
def case_upload_done(request: HttpRequest) -> HttpResponse:
    """The counts of the last successful upload in this session."""
    summary = request.session.get(UPLOAD_RESULT_KEY)
    if summary is None:
        return redirect("feedback:case_upload")
    return render(
        request,
        "feedback/cases/upload_done.html",
        {"summary": summary, "letters_url": invitations_batch_url()},
    )


@provider_required
@require_GET
def case_template(request: HttpRequest) -> HttpResponse:
    """The CSV template with the header and one example row, ready for Excel."""
    body = template_csv(providers_for(request.user))
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="casussen-voorbeeld.csv"'
    return response
