"""Public consultation views: the page's comment forms, placing and flagging a comment, and
asking to comment for an organisation. Every post answers with a 303 redirect or the form
again, with the text kept.

The consultation page's sub-pages (report, versions, trail) are routed by the page itself
(ConsultationPage.report_page and friends) and rendered here."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.pagecache import mark_request_cacheable
from consultations import rules, youth
from consultations import versions as draft_versions
from consultations.comments import Target, TokenTaken, find_target, flag_comment, place_comment
from consultations.forms import CommentForm, MembershipRequestForm
from consultations.models import Comment, ConsultationPage, DraftVersion, Flag, Membership
from consultations.phases import Phase
from consultations.report import participation_trail, response_report


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _when(moment) -> str:
    return formats.date_format(moment, "j F Y, H:i") if moment else ""


def closed_message(consultation: ConsultationPage) -> str:
    """Why commenting is not possible in the current phase, in plain words."""
    if consultation.phase == Phase.ANNOUNCED:
        return _("Reageren kan nog niet. Dat kan vanaf %(date)s.") % {
            "date": _when(consultation.opens_at)
        }
    return _("Reageren kan niet meer. De inspraak is gesloten sinds %(date)s.") % {
        "date": _when(consultation.closes_at)
    }


def _comment_form(request, target: Target, organisations, **kwargs) -> CommentForm:
    return CommentForm(prefix=target.key, organisations=organisations, **kwargs)


def consultation_context(request: HttpRequest, consultation: ConsultationPage) -> dict:
    """What the consultation page shows this reader: text, comments, forms, flags."""
    user = request.user
    version = consultation.current_version()
    organisations = rules.confirmed_organisations(user)
    may_comment = rules.may_comment(user, consultation)
    open_now = consultation.allows("comment")
    comments = list(
        rules.visible_comments(user, consultation).select_related(
            "organisation", "version", "chapter", "paragraph__chapter"
        )
    )
    flagged: set[int] = set()
    if user.is_authenticated:
        flagged = set(
            Flag.objects.filter(user=user, comment__consultation=consultation).values_list(
                "comment_id", flat=True
            )
        )
    by_paragraph: dict[int, list[Comment]] = defaultdict(list)
    by_chapter: dict[int, list[Comment]] = defaultdict(list)
    older: list[Comment] = []
    for comment in comments:
        if version is None or comment.version_id != version.pk:
            older.append(comment)
        elif comment.paragraph_id:
            by_paragraph[comment.paragraph_id].append(comment)
        else:
            by_chapter[comment.chapter_id].append(comment)

    def form_for(target: Target) -> CommentForm | None:
        if not (may_comment and open_now):
            return None
        return _comment_form(request, target, organisations)

    # "Gewijzigd sinds versie N": each paragraph compared with the version before this one.
    previous = None
    changes: dict[str, str] = {}
    if version is not None and version.number > 1:
        previous = consultation.versions.filter(number__lt=version.number).order_by("-number")
        previous = previous.first()
        changes = draft_versions.paragraph_status(previous, version)

    chapters = []
    if version is not None:
        for chapter in version.chapters.prefetch_related("paragraphs"):
            paragraphs = [
                {
                    "paragraph": paragraph,
                    "target": Target(chapter, paragraph),
                    "comments": by_paragraph.get(paragraph.pk, []),
                    "form": form_for(Target(chapter, paragraph)),
                    "change": changes.get(paragraph.label, draft_versions.SAME),
                }
                for paragraph in chapter.paragraphs.all()
            ]
            chapters.append(
                {
                    "chapter": chapter,
                    "target": Target(chapter),
                    "comments": by_chapter.get(chapter.pk, []),
                    "form": form_for(Target(chapter)),
                    "paragraphs": paragraphs,
                }
            )
    older_groups: dict[int, dict] = {}
    for comment in older:
        group = older_groups.setdefault(
            comment.version_id, {"version": comment.version, "comments": []}
        )
        group["comments"].append(comment)
    # What became of the paragraph an older comment is about: same, changed or removed.
    for group in older_groups.values():
        group["compare_url"] = ""
        if version is not None and group["version"].number < version.number:
            statuses = draft_versions.label_status(group["version"], version)
            group["compare_url"] = consultation.subpage_url(
                "compare", group["version"].number, version.number
            )
            for comment in group["comments"]:
                comment.now_status = (
                    statuses.get(comment.paragraph.label, "") if comment.paragraph_id else ""
                )
    return {
        **subpage_links(consultation),
        "previous_version": previous,
        "compare_url": (
            consultation.subpage_url("compare", previous.number, version.number) if previous else ""
        ),
        "version": version,
        "chapters": chapters,
        "older_versions": sorted(older_groups.values(), key=lambda g: g["version"].number),
        "comment_count": len(comments),
        "may_comment": may_comment,
        "comments_open": open_now,
        "closed_message": "" if open_now else closed_message(consultation),
        "flagged": flagged,
    }


def may_view(request: HttpRequest, page: ConsultationPage) -> bool:
    """Whether Wagtail's page privacy (login, groups, password) lets this request see the page."""
    return all(restriction.accept_request(request) for restriction in page.get_view_restrictions())


@require_POST
def comment(request: HttpRequest, page_id: int) -> HttpResponse:
    """Place a comment; on any problem show the form again with the text kept."""
    consultation = get_object_or_404(ConsultationPage.objects.live(), pk=page_id)
    if not may_view(request, consultation):
        raise Http404
    target = find_target(consultation, request.POST.get("target", ""))
    if target is None:
        raise Http404
    organisations = rules.confirmed_organisations(request.user)
    problem = ""
    status = 200
    if not request.user.is_authenticated:
        problem, status = _("Je bent niet (meer) ingelogd. Log eerst in."), 403
    elif not rules.may_comment(request.user, consultation):
        problem, status = (
            _("Je kunt hier alleen reageren als je lid bent van een organisatie."),
            403,
        )
    elif not consultation.allows("comment"):
        problem = closed_message(consultation)

    fresh_token = False
    if not problem:
        form = _comment_form(request, target, organisations, data=request.POST)
        if form.is_valid():
            try:
                placed, created = place_comment(
                    user=request.user,
                    consultation=consultation,
                    target=target,
                    organisation=form.cleaned_data["organisation"],
                    text=form.cleaned_data["text"],
                    visibility=form.cleaned_data["visibility"],
                    token=form.cleaned_data["token"],
                )
            except TokenTaken:
                problem = _("Dit formulier was al gebruikt. Verstuur je reactie nog een keer.")
                fresh_token = True
            else:
                messages.success(request, _placed_message(placed, created))
                return _see_other(f"{consultation.url}#reactie-{placed.pk}")
        else:
            return render(
                request,
                "consultations/comment_form.html",
                {"page": consultation, "target": target, "form": form},
            )
    # Not placed: keep everything the writer typed, and the same token for a retry.
    sent = _comment_form(request, target, organisations, data=request.POST)
    initial = {name: sent[name].value() for name in ("text", "organisation", "visibility")}
    if not fresh_token and sent["token"].value():
        initial["token"] = sent["token"].value()
    form = _comment_form(request, target, organisations, initial=initial)
    return render(
        request,
        "consultations/comment_form.html",
        {
            "page": consultation,
            "target": target,
            "form": form,
            "problem": problem,
            "login_url": f"{reverse('account_login')}?{urlencode({'next': consultation.url})}",
        },
        status=status,
    )


def _placed_message(comment: Comment, created: bool) -> str:
    if not created:
        return _("Je reactie was al opgeslagen.")
    if comment.status == Comment.Status.PENDING:
        return _(
            "Dank je wel. Je reactie is opgeslagen. Een moderator kijkt er eerst naar. "
            "Daarna is hij te zien."
        )
    return _("Dank je wel. Je reactie is opgeslagen.")


@require_POST
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    """Flag a public comment, once per reader."""
    comment = get_object_or_404(Comment.objects.public().select_related("consultation"), pk=pk)
    consultation = comment.consultation
    if not consultation.live or not may_view(request, consultation):
        raise Http404
    back = f"{consultation.url}#reactie-{comment.pk}"
    if not request.user.is_authenticated:
        return redirect_to_login(consultation.url)
    if flag_comment(request.user, comment):
        messages.success(request, _("Dank je wel. Een moderator kijkt naar deze reactie."))
    else:
        messages.info(request, _("Je had deze reactie al gemeld."))
    return _see_other(back)


@login_required
@require_http_methods(["GET", "POST"])
def organisations(request: HttpRequest) -> HttpResponse:
    """The organisations a user comments for, and a form to ask for another one."""
    form = MembershipRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _membership, created = Membership.objects.get_or_create(
            user=request.user, organisation=form.cleaned_data["organisation"]
        )
        if created:
            messages.success(
                request,
                _(
                    "Je aanvraag is verstuurd. De gemeente kijkt of je bij deze organisatie "
                    "werkt. Daarna kun je reageren."
                ),
            )
        else:
            messages.info(request, _("Je had deze organisatie al aangevraagd."))
        return _see_other(reverse("consultations:organisations"))
    memberships = Membership.objects.filter(user=request.user).select_related("organisation")
    return render(
        request,
        "consultations/organisations.html",
        {"form": form, "memberships": memberships},
    )


def subpage_links(consultation: ConsultationPage) -> dict:
    """The URLs of the consultation page and its sub-pages, for links between them."""
    return {
        "report_url": consultation.subpage_url("report"),
        "versions_url": consultation.subpage_url("versions"),
        "trail_url": consultation.subpage_url("trail"),
        "questions_url": consultation.subpage_url("questions"),
    }


def _subpage(
    request: HttpRequest, consultation: ConsultationPage, template: str, context: dict
) -> TemplateResponse:
    """Render a sub-page of the consultation; it is the same for every reader, so cacheable.

    ConsultationPage.serve decided whether the page cache may keep it (not when the phase
    changes soon); RoutablePageMixin calls the sub-page view without CacheablePage.serve.
    """
    if consultation.page_cache and not consultation.get_view_restrictions().exists():
        mark_request_cacheable(request)
    links = subpage_links(consultation)
    # Printed pages show the address of each link, so those must be complete.
    full_links = {
        name.replace("_url", "_full_url"): request.build_absolute_uri(url)
        for name, url in links.items()
    }
    return TemplateResponse(
        request,
        template,
        {
            "page": consultation,
            "self": consultation,
            "page_full_url": request.build_absolute_uri(consultation.url or "/"),
            **links,
            **full_links,
            **context,
        },
    )


def report(request: HttpRequest, consultation: ConsultationPage) -> TemplateResponse:
    """The response report: every published comment with its answer, grouped by chapter."""
    return _subpage(
        request,
        consultation,
        "consultations/report.html",
        {**response_report(consultation), **youth.public_summary(consultation)},
    )


def versions(
    request: HttpRequest,
    consultation: ConsultationPage,
    old: int | None = None,
    new: int | None = None,
) -> TemplateResponse:
    """What changed between two versions of the draft: the newest and the one before it,
    or the two the URL names."""
    all_versions = list(consultation.versions.order_by("number"))
    by_number = {version.number: version for version in all_versions}
    if new is None:
        new_version = all_versions[-1] if all_versions else None
        old_version = all_versions[-2] if len(all_versions) > 1 else None
    else:
        new_version, old_version = by_number.get(new), by_number.get(old)
        if new_version is None or old_version is None or old >= new:
            raise Http404
    chapters = []
    if old_version is not None and new_version is not None:
        chapters = draft_versions.compare_versions(old_version, new_version)
        _count_old_comments(old_version, chapters)
    return _subpage(
        request,
        consultation,
        "consultations/versions.html",
        {
            "versions": [
                {
                    "version": version,
                    "compare_url": (
                        consultation.subpage_url("compare", previous.number, version.number)
                        if previous
                        else ""
                    ),
                    "shown": version == new_version and old_version == previous,
                }
                for previous, version in zip([None, *all_versions], all_versions, strict=False)
            ],
            "old_version": old_version,
            "new_version": new_version,
            "is_current": new_version is not None and new_version == all_versions[-1],
            "chapters": chapters,
            "changed_chapters": [c for c in chapters if c.status != draft_versions.SAME],
        },
    )


def _count_old_comments(version: DraftVersion, chapters: list) -> None:
    """Note on each changed or removed paragraph how many public comments its old text had."""
    counts = {
        (row["paragraph__chapter__number"], row["paragraph__number"]): row["count"]
        for row in Comment.objects.public()
        .filter(version=version, paragraph__isnull=False)
        .values("paragraph__chapter__number", "paragraph__number")
        .annotate(count=Count("pk"))
    }
    for chapter in chapters:
        for paragraph in chapter.paragraphs:
            paragraph.comment_count = counts.get((chapter.number, paragraph.number), 0)


def trail(request: HttpRequest, consultation: ConsultationPage) -> TemplateResponse:
    """The participation trail, in the style of the vision's Bijlage 2."""
    return _subpage(
        request,
        consultation,
        "consultations/trail.html",
        {**participation_trail(consultation), **youth.public_summary(consultation)},
    )


def questions(request: HttpRequest, consultation: ConsultationPage) -> HttpResponse:
    """The youth round: all questions on one page, answered once, in the open phase only.

    Never cached (the answers and the cookie are per visitor). On any problem the form comes
    back with everything typed still in it.
    """
    question_list = consultation.youth_question_list()
    if not question_list:
        raise Http404
    member = youth.panel_member_user(request.user)
    open_now = consultation.allows("answer_questions")
    context = {
        "page": consultation,
        "self": consultation,
        **subpage_links(consultation),
        "member": member is not None,
        "problem": "",
        "form": None,
        "done": False,
    }
    if request.method == "POST":
        form = youth.QuestionSetForm(request.POST, questions=question_list)
        context["form"] = form
        if not open_now:
            context["problem"] = youth.closed_message(consultation)
        elif form.is_valid():
            if member is None and youth.answered_in_browser(request, consultation):
                saved = youth.Saved.TOOK_PART
            else:
                saved = youth.save_response(
                    consultation, form.answers(), form.cleaned_data["token"], member
                )
            if saved == youth.Saved.SAVED:
                messages.success(request, _("Dank je wel! Je antwoorden zijn opgeslagen."))
            elif saved == youth.Saved.ALREADY_SAVED:
                messages.info(request, _("Je antwoorden waren al opgeslagen. Ze tellen één keer."))
            else:
                messages.info(
                    request, _("Je had de vragen al ingevuld. Je kunt dat één keer doen.")
                )
            response = _see_other(consultation.subpage_url("questions"))
            if member is None:
                youth.remember_in_browser(response, request, consultation)
            add_never_cache_headers(response)
            return response
    elif youth.already_took_part(request, consultation):
        context["done"] = True
    elif open_now:
        context["form"] = youth.QuestionSetForm(questions=question_list)
    else:
        context["problem"] = youth.closed_message(consultation)
    if context["form"] is not None:
        context["fields"] = _question_fields(context["form"], question_list)
    response = TemplateResponse(request, "consultations/questions.html", context)
    add_never_cache_headers(response)
    return response


def _question_fields(form: youth.QuestionSetForm, question_list: list) -> list[dict]:
    """Each question with its bound field (and consent box), for the template."""
    return [
        {
            "question": question,
            "field": form[youth.field_name(question)],
            "consent": (
                form[youth.consent_name(question)] if question.kind == question.Kind.STORY else None
            ),
        }
        for question in question_list
    ]
