"""Cross-site scripting: 500+ payloads posted raw into every free-text field and name, then every
page, admin screen, mail and poll frame that shows them is checked: first by a strict HTML parse
(fast, every payload), then in headless Chromium with dialog and console hooks (0 executions).

The payloads live in xss_payloads.txt, one a line; a line starting with "## " names a section.
Every payload that runs sets `window.__xss`, logs "XSS" and calls `alert`.

How data gets in: the comment form is public, so comments are posted through it with the test
client. Names and texts that only staff set (organisations, providers, actions, reports, polls,
glossary, stories' website texts) are written through the ORM, as the admin form would store
them; the live-site test writes the same data with `plant()` through `manage.py shell`.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest

# The browser rig of tests/e2e (a daphne process with its own seeded database, and Chromium).
from tests.e2e.conftest import browser, live_site  # noqa: F401

HERE = Path(__file__).resolve().parent
CORPUS_FILE = HERE / "xss_payloads.txt"
MARKERS = ("__xss", "alert", "XSS")
FORM_EVERY = 5  # every 5th comment goes through the form, the rest through place_comment
SAMPLE = 40  # payloads per field; the comment text and organisation names get all of them
# Sections whose payloads run when pasted into a page unescaped: the checker must see each one.
RAW_EXECUTABLE = {
    "script elements",
    "event handlers on common tags",
    "javascript, data and vbscript urls",
    "css",
    "svg and mathml",
    "json and script-block breaking",
}
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "codebase", "dynsrc", "lowsrc", "cite", "longdesc", "usemap", "ping", "to", "values", "from",
    "by", "content",
}  # fmt: skip
BAD_SCHEMES = re.compile(
    r"^(?:(?:javascript|vbscript|livescript):|data:(?!image/(?:png|gif|jpe?g|webp)))"
)
# Elements a payload brings that a page of ours never needs.
FOREIGN_TAGS = {
    "object", "embed", "frame", "frameset", "base", "applet", "marquee", "math",
    "xmp", "plaintext", "isindex", "keygen", "noembed", "noframes", "xss", "image", "set",
    "animate", "handler", "listener", "foreignobject", "maction", "bgsound", "discard",
    "feimage", "mglyph",
}  # fmt: skip
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


def load_corpus() -> dict[str, list[str]]:
    """The payloads by section, in file order (split on "\\n" only: some hold U+2028)."""
    sections: dict[str, list[str]] = {}
    current = "unsorted"
    for line in CORPUS_FILE.read_text(encoding="utf-8").split("\n"):
        if line.startswith("## "):
            current = line[3:].strip()
            continue
        if line:
            sections.setdefault(current, []).append(line)
    return sections


CORPUS = load_corpus()
PAYLOADS = [payload for items in CORPUS.values() for payload in items]
TEMPLATE_PAYLOADS = CORPUS["template injection"]


# --- the checker ------------------------------------------------------------------------------


def _clean_url(value: str) -> str:
    """What a browser makes of a URL attribute: control characters and spaces dropped."""
    return re.sub(r"[\x00-\x20\x7f]+", "", value).lower()


class _Finder(HTMLParser):
    """Collects every element or attribute that could run script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script: dict | None = None
        self._style = False

    def handle_starttag(self, tag, attrs):
        self._check(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._check(tag, attrs, closed=True)

    def _check(self, tag, attrs, closed=False):
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "srcdoc":
                self.found.append(f"<{tag} srcdoc>")
            elif name in URL_ATTRIBUTES and BAD_SCHEMES.match(_clean_url(value)):
                if name != "content" or "url=" in _clean_url(value):
                    self.found.append(f"<{tag} {name}={value[:40]!r}>")
            elif name == "style" and _bad_css(value):
                self.found.append(f"<{tag} style={value[:40]!r}>")
        if tag in FOREIGN_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "iframe" and ("srcdoc" in values or not _own(values.get("src", "/"))):
            self.found.append(f"<iframe src={values.get('src', '')[:40]!r}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")
        if tag == "script" and not closed:
            self._script = values
            self._script_text = []
        if tag == "style" and not closed:
            self._style = True

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)
        elif self._style and _bad_css(data):
            self.found.append(f"<style>{data[:40]!r}")

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self._end_script("".join(self._script_text))
        if tag == "style":
            self._style = False

    def _end_script(self, text: str):
        attrs, self._script = self._script, None
        kind = attrs.get("type", "").lower()
        if kind in DATA_SCRIPT_TYPES:
            try:
                json.loads(text)
            except ValueError:
                self.found.append(f"<script type={kind}> that is not JSON: {text[:60]!r}")
            return
        source = attrs.get("src", "")
        if source and not _own(source):
            self.found.append(f"<script src={source[:60]!r}>")
        if text.strip() and any(marker in text for marker in MARKERS):
            self.found.append(f"<script>{text[:60]!r}")


def _own(url: str) -> bool:
    """Whether a URL points at this site (the test server or the live test site)."""
    url = _clean_url(url)
    if url.startswith("//") or "://" in url:
        return re.match(r"^(?:https?:)?//(?:testserver|127\.0\.0\.1(?::\d+)?)/", url) is not None
    return url.startswith("/")


def _bad_css(text: str) -> bool:
    # CSS escapes ("\\65" is "e") are undone first, as a browser does.
    unescaped = re.sub(r"\\([0-9a-f]{1,6})\s?", lambda m: chr(int(m[1], 16)), text.lower())
    folded = re.sub(r"\s+", "", unescaped)
    return any(bad in folded for bad in ("expression(", "javascript:", "-moz-binding", "behavior:"))


def executable_parts(html: str) -> list[str]:
    """Every element or attribute in `html` that could run script: empty for a safe page."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    if finder._script is not None:  # an unclosed script runs to the end of the page
        finder._end_script("".join(finder._script_text))
    return finder.found


def sample(offset: int, count: int = SAMPLE, limit: int | None = None) -> list[str]:
    """`count` payloads starting at `offset` (wrapping), cut to a field's `limit`."""
    items = [PAYLOADS[(offset + i) % len(PAYLOADS)] for i in range(count)]
    return [item[:limit] if limit else item for item in items]


# --- planting the payloads --------------------------------------------------------------------

STAFF = "xss-beheer"
MEMBER = "xss-lid"
POLL_CODE = "XSSPOL"
TEXT_LIMIT_NAMES = 200


def plant(post_comment=None) -> dict:
    """Write the payloads into every free-text field and name of a seeded demo database.

    Returns what was planted and the number of payloads per field. `post_comment(consultation,
    target_key, organisation, text)` places a comment through the form; without it, the code
    that the form calls (`place_comment`) stores them.
    """
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from consultations.comments import find_target, record_answer
    from consultations.demo import SLUG
    from consultations.models import (
        Comment,
        ConsultationIndexPage,
        ConsultationPage,
        Membership,
        Organisation,
        YouthAnswer,
        YouthQuestion,
        YouthResponse,
    )
    from feedback.models import (
        Action,
        HalfYearReport,
        Provider,
        SafeguardingFlag,
        StoryOfHalfYear,
        SurveyResponse,
    )
    from home.models import CoreTask, GlossaryTerm
    from youth_panel.models import PollQuestion, PollSession, Word
    from youth_panel.polls import control

    User = get_user_model()
    fields: dict[str, int] = {}
    now = timezone.now()

    staff, _ = User.objects.get_or_create(
        username=STAFF, defaults={"is_staff": True, "is_superuser": True, "email": "b@example.org"}
    )
    member, _ = User.objects.get_or_create(username=MEMBER, defaults={"email": "l@example.org"})
    # User names (set at sign-up or by staff): 40 people, each a member of one organisation.
    people = []
    for index, (first, last) in enumerate(
        zip(sample(0, limit=150), sample(1, limit=150), strict=False)
    ):
        person, _ = User.objects.get_or_create(
            username=f"xss-{index}",
            defaults={"first_name": first, "last_name": last, "email": f"x{index}@example.org"},
        )
        people.append(person)
    fields["user.first_name"] = fields["user.last_name"] = len(people)

    # Organisation names: the whole corpus.
    organisations = [
        Organisation.objects.get_or_create(
            name=payload[:TEXT_LIMIT_NAMES], defaults={"kind": Organisation.Kind.CARE_PROVIDER}
        )[0]
        for payload in PAYLOADS
    ]
    Membership.objects.bulk_create(
        [Membership(user=member, organisation=o, confirmed_at=now) for o in organisations]
        + [
            Membership(user=person, organisation=organisations[i], confirmed_at=None)
            for i, person in enumerate(people)
        ],
        ignore_conflicts=True,
    )
    fields["organisation.name"] = len(organisations)

    consultation = ConsultationPage.objects.get(slug=SLUG)
    paragraphs = list(consultation.current_version().chapters.first().paragraphs.all())
    target = find_target(consultation, f"a{paragraphs[0].pk}")
    for payload, organisation in zip(PAYLOADS, organisations, strict=False):
        (post_comment or place_directly)(consultation, target.key, organisation, payload)
    fields["comment.text"] = Comment.objects.filter(author=member).count()

    # A consultation whose title, summary, chapter titles and paragraphs are payloads, with a
    # youth round whose questions, options and answers are payloads too.
    index = ConsultationIndexPage.objects.first()
    titles = sample(100, 20, limit=250)
    draft = "\n\n".join(
        f"# {n}. {title}\n\n{text}\n\n{more}"
        for n, (title, text, more) in enumerate(
            zip(titles, sample(120, 20), sample(140, 20), strict=False), start=1
        )
    )
    page = ConsultationPage(
        title=sample(160, 1)[0][:250],
        slug="xss-inspraak",
        summary=sample(161, 1)[0],
        audience=ConsultationPage.Audience.EVERYONE,
        opens_at=now - datetime.timedelta(days=2),
        closes_at=now + datetime.timedelta(days=10),
        moderation=ConsultationPage.Moderation.AFTER,
        draft_text=draft,
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    page = ConsultationPage.objects.get(pk=page.pk)
    fields["consultation.title+summary"] = 2
    fields["chapter.title"] = len(titles)
    fields["paragraph.text"] = 40
    questions = []
    for order, (text, explanation, options) in enumerate(
        zip(sample(200, 8, 300), sample(210, 8, 200), sample(220, 8), strict=False)
    ):
        kind = YouthQuestion.Kind.OPEN if order % 2 else YouthQuestion.Kind.SINGLE
        questions.append(
            YouthQuestion.objects.create(
                page=page,
                sort_order=order,
                text=text,
                explanation=explanation,
                kind=kind,
                options_text=f"{options}\n{sample(230 + order, 1)[0]}" if order % 2 == 0 else "",
                required=False,
            )
        )
    fields["youth_question.text+explanation+options"] = 8 * 4
    answers = sample(240)
    for number, text in enumerate(answers):
        response = YouthResponse.objects.create(
            consultation=page, submitted_on=now.date(), submission_token=uuid.uuid4()
        )
        question = questions[1 + 2 * (number % 4)]
        YouthAnswer.objects.create(response=response, question=question, text=text)
    fields["youth_answer.text"] = len(answers)

    # Live poll: title, questions, options and words are the host's and participants' texts.
    poll, _ = PollSession.objects.get_or_create(
        join_code=POLL_CODE, defaults={"title": sample(260, 1, 200)[0]}
    )
    poll.hosts.add(staff)
    words_question = None
    for order, (text, option_a, option_b) in enumerate(
        zip(sample(270, 20, 300), sample(290), sample(330), strict=False)
    ):
        kind = PollQuestion.Kind.WORDS if order == 0 else PollQuestion.Kind.SINGLE
        question = PollQuestion.objects.create(
            session=poll,
            sort_order=order,
            text=text,
            kind=kind,
            options_text="" if kind == PollQuestion.Kind.WORDS else f"{option_a}\n{option_b}",
            max_choices=2,
        )
        words_question = words_question or question
    for word in sample(370, limit=40):
        Word.objects.get_or_create(question=words_question, text=word, defaults={"count": 2})
    poll = control(poll, "start")
    poll = control(control(poll, "open"), "show")
    fields["poll.title"] = 1
    fields["poll_question.text"] = 20
    fields["poll_question.options"] = 40
    fields["word.text"] = 40

    # Feedback: provider names, stories (the staff's website text and the raw answers),
    # danger-signal notes, the story of the half-year, actions, reports, core tasks, glossary.
    providers = [
        Provider.objects.get_or_create(name=name)[0] for name in sample(400, 10, TEXT_LIMIT_NAMES)
    ]
    fields["provider.name"] = len(providers)
    stories = []
    texts = zip(sample(410), sample(450), sample(490), strict=False)
    for number, (story, change, should) in enumerate(texts):
        stories.append(
            SurveyResponse.objects.create(
                respondent="youth",
                period="2026-03",
                provider=providers[number % len(providers)],
                help_type="ambulant",
                end_reason="as_planned",
                district="oudorp",
                age_band="12-15",
                end_period="2026-H1",
                usefulness=8,
                most_important_change=change,
                what_should_change=should,
                consent_to_quote=True,
                story_status=SurveyResponse.StoryStatus.APPROVED,
                story_text=story,
            )
        )
    fields["survey.story_text"] = fields["survey.most_important_change"] = len(stories)
    fields["survey.what_should_change"] = len(stories)
    for story, matched, note in zip(stories, sample(530, limit=300), sample(0), strict=False):
        SafeguardingFlag.objects.create(response=story, matched=matched, note=note)
    fields["safeguarding.matched+note"] = 80
    StoryOfHalfYear.objects.update_or_create(
        half_year="2026-H1",
        defaults={
            "story": stories[0],
            "why": sample(20, 1)[0],
            "published": True,
            "published_at": now,
        },
    )
    fields["story_of_half_year.why"] = 1
    core_task = CoreTask.objects.order_by("number").first()
    for number, (title, short) in enumerate(
        zip(sample(60, 5, 200), sample(65, 5, 80), strict=False)
    ):
        CoreTask.objects.filter(number=number + 1).update(title=title, short_title=short)
    fields["core_task.title+short_title"] = 10
    for number, term in enumerate(sample(70, limit=200)):
        GlossaryTerm.objects.get_or_create(
            term=term, defaults={"definition": "<p>uitleg</p>", "slug": f"xss-{number}"}
        )
    fields["glossary.term"] = 40
    for title, description, heard in zip(
        sample(110, limit=200), sample(150), sample(190), strict=False
    ):
        action = Action.objects.create(
            title=title,
            description=description,
            heard=heard,
            published=True,
            first_published_at=now,
        )
        if core_task is not None:
            action.core_tasks.add(core_task)
        action.stories.add(stories[0])
    fields["action.title+description+heard"] = 120
    for year, (title, summary, analysis, implications) in enumerate(
        zip(sample(230, 10, 200), sample(240, 10), sample(250, 10), sample(260, 10), strict=False),
        start=2010,
    ):
        HalfYearReport.objects.update_or_create(
            period=f"{year}-H1",
            defaults={
                "title": title,
                "summary": summary,
                "analysis": analysis,
                "implications": implications,
                "published": True,
                "published_at": now,
            },
        )
    fields["report.title+summary+analysis+implications"] = 40

    # Staff answer some comments: the reasoning and text change go to the page and a mail.
    answered = []
    for comment, reasoning, change in zip(
        Comment.objects.filter(author=member).order_by("pk")[:SAMPLE],
        sample(300),
        sample(340),
        strict=False,
    ):
        comment.answer_outcome = Comment.Outcome.PARTLY
        comment.answer_reasoning = reasoning
        comment.answer_text_change = change
        record_answer(comment, staff)
        comment.save()
        answered.append(comment.pk)
    fields["comment.answer_reasoning+text_change"] = 2 * len(answered)
    Comment.objects.filter(consultation=consultation).update(status=Comment.Status.PUBLISHED)

    return {
        "fields": fields,
        "consultation": consultation.url,
        "payload_consultation": page.url,
        "payload_consultation_id": page.pk,
        "poll": POLL_CODE,
        "comment_ids": answered,
        "story_ids": [str(s.pk) for s in stories[:3]],
        "action_ids": list(Action.objects.order_by("-pk").values_list("pk", flat=True)[:3]),
        "organisation_ids": [o.pk for o in organisations[:3]],
        "report_periods": [f"{year}-H1" for year in range(2010, 2020)],
        "core_task_slug": core_task.slug if core_task else "",
    }


def place_directly(consultation, key: str, organisation, text: str) -> None:
    """Store a comment with the function the comment form calls."""
    from django.contrib.auth import get_user_model

    from consultations.comments import find_target, place_comment
    from consultations.models import Comment

    place_comment(
        user=get_user_model().objects.get(username=MEMBER),
        consultation=consultation,
        target=find_target(consultation, key),
        organisation=organisation,
        text=text.strip(),
        visibility=Comment.Visibility.PUBLIC,
        token=uuid.uuid4(),
    )


def pages_to_check(planted: dict) -> list[tuple[str, str]]:
    """(URL, who looks) for every page that shows a payload: "anon", "member" or "staff"."""
    from urllib.parse import quote

    from django.urls import NoReverseMatch, reverse
    from wagtail.admin.viewsets import viewsets
    from wagtail.admin.viewsets.model import ModelViewSet

    from consultations.models import ConsultationPage
    from home.models import GlossaryPage

    consultation = planted["consultation"]
    youth = planted["payload_consultation"]
    poll = planted["poll"]
    pages = [("/", "anon")]
    for base in (consultation, youth):
        pages += [(base, "anon"), (base + "nota/", "anon"), (base + "versies/", "anon")]
        pages += [(base + "verloop/", "anon"), (base, "member")]
    pages += [(youth + "vragen/", "anon")]
    pages += [(reverse("consultations:organisations"), "member")]
    pages += [("/wij-deden/", "anon"), ("/wat-jullie-zeiden/", "anon"), ("/verhalen/", "anon")]
    if planted["core_task_slug"]:
        pages.append((f"/wat-jullie-zeiden/{planted['core_task_slug']}/", "anon"))
    pages += [("/cijfers/rapport/", "anon")]
    pages += [(f"/cijfers/rapport/{period}/", "anon") for period in planted["report_periods"]]
    glossary = GlossaryPage.objects.live().first()
    if glossary is not None:
        pages.append((glossary.url, "anon"))
    pages += [(f"/p/{poll}/", "anon")]
    for view in ("scherm", "bediening", "woorden", "uitslag"):
        pages.append((f"/p/{poll}/{view}/", "staff"))
    pages += [("/feedback/cijfers/", "staff"), ("/jongerenpanel/mijn-gegevens/", "member")]
    # Reflected input: a search query and a missing page whose path is a payload.
    for payload in sample(500, 12):
        pages.append((f"/zoeken/?q={quote(payload)}", "anon"))
    for payload in sample(512, 4):
        pages.append(("/" + quote(payload, safe="") + "/", "anon"))
    # The Wagtail admin: every listing of our models, and edit and inspect screens.
    pages += [("/beheer/", "staff"), ("/beheer/cijfers/", "staff")]
    pages += [("/beheer/leergesprekken/", "staff")]
    youth_id = planted["payload_consultation_id"]
    pages += [(reverse("consultations_youth_results", args=[youth_id]), "staff")]
    pages += [(reverse("wagtailadmin_pages:edit", args=[youth_id]), "staff")]
    index_id = ConsultationPage.objects.get(pk=youth_id).get_parent().pk
    pages += [(reverse("wagtailadmin_explore", args=[index_id]), "staff")]
    for viewset in viewsets.viewsets:
        if not isinstance(viewset, ModelViewSet):
            continue
        model = viewset.model
        if model._meta.app_label not in {"consultations", "feedback", "youth_panel", "home"}:
            continue
        try:
            pages.append((reverse(viewset.get_url_name("index")), "staff"))
        except NoReverseMatch:
            continue
        objects = model.objects.order_by("-pk")
        if hasattr(model, "StoryStatus"):  # only stories open in the admin
            objects = objects.exclude(story_status="")
        for pk in objects.values_list("pk", flat=True)[:2]:
            for name in ("edit", "inspect"):
                if name == "inspect" and not getattr(viewset, "inspect_view_enabled", False):
                    continue
                with contextlib.suppress(NoReverseMatch):
                    pages.append((reverse(viewset.get_url_name(name), args=[pk]), "staff"))
    return list(dict.fromkeys(pages))


def plant_for_live_site() -> None:
    """Entry point for `manage.py shell`: plant, then print what to look at as JSON."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    planted = plant()
    User = get_user_model()
    cookies = {}
    for who in ("member", "staff"):
        client = Client()
        client.force_login(User.objects.get(username=MEMBER if who == "member" else STAFF))
        cookies[who] = client.cookies[settings.SESSION_COOKIE_NAME].value
    pages = pages_to_check(planted)
    print(
        json.dumps(
            {
                **planted,
                "pages": pages,
                "cookies": cookies,
                "cookie_name": settings.SESSION_COOKIE_NAME,
            }
        )
    )


# --- the tests --------------------------------------------------------------------------------


def test_the_corpus_holds_at_least_500_distinct_payloads_that_call_a_detectable_hook():
    assert len(PAYLOADS) >= 500
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    assert all("\n" not in payload and "\r" not in payload for payload in PAYLOADS)
    for name in RAW_EXECUTABLE:
        for payload in CORPUS[name]:
            # base64 and atob payloads hide the same hook: "window.__xss=1;alert(1)".
            assert any(hook in payload for hook in ("__xss", "msgbox", "base64", "atob(")), payload


def test_the_checker_sees_every_payload_that_would_run_if_pasted_unescaped():
    # The checker must be able to fail: raw, each of these payloads runs in a browser.
    missed = [
        payload
        for name in RAW_EXECUTABLE
        for payload in CORPUS[name]
        if not executable_parts(f"<!doctype html><html><body><div>{payload}</div></body></html>")
    ]
    assert missed == []


def test_the_checker_lets_a_safe_page_pass():
    page = (
        '<!doctype html><html><head><script src="/static/js/site.js" defer></script>'
        '<script type="application/json" id="t">{"a": "&lt;b&gt;"}</script></head><body>'
        '<a href="/inspraak/">x</a><img src="data:image/png;base64,AAAA" alt="">'
        "<p>&lt;img src=x onerror=alert(1)&gt; javascript:alert(1)</p></body></html>"
    )
    assert executable_parts(page) == []


def test_poll_script_inserts_text_only_never_html():
    script = Path(__file__).resolve().parents[2] / "youth_panel/static/youth_panel/poll.js"
    source = script.read_text(encoding="utf-8")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        'setTimeout("',
        "createContextualFragment",
    ):
        assert sink not in source, sink
    # Fragments fetched from the server are parsed inertly and the page's own (escaped) HTML.
    assert "DOMParser" in source


def _seed_and_plant(client, django_capture_on_commit_callbacks) -> dict:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from consultations.demo import seed_demo_consultation
    from feedback.actions import seed_demo_actions
    from feedback.reports import seed_demo_report
    from home.seed import seed
    from youth_panel.demo import seed_demo_poll

    # seed_demo without its synthetic answers (4 s): plant() writes the stories it needs.
    seed()
    seed_demo_poll()
    seed_demo_consultation()
    seed_demo_actions()
    seed_demo_report()
    posted = {"ok": 0}
    through_form = set(PAYLOADS[::FORM_EVERY])

    def post_comment(consultation, key, organisation, text):
        if text not in through_form:
            return place_directly(consultation, key, organisation, text)
        if "_auth_user_id" not in client.session:
            client.force_login(get_user_model().objects.get(username=MEMBER))
        response = client.post(
            reverse("consultations:comment", args=[consultation.pk]),
            {
                "target": key,
                f"{key}-text": text,
                f"{key}-organisation": organisation.pk,
                f"{key}-visibility": "public",
                f"{key}-token": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 303, (text, response.status_code)
        posted["ok"] += 1

    with django_capture_on_commit_callbacks(execute=True):
        planted = plant(post_comment=post_comment)
    client.logout()
    planted["posted"] = posted["ok"]
    return planted


@pytest.mark.django_db
def test_no_payload_can_run_on_any_page_mail_or_poll_frame_that_shows_it(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    from django.contrib.auth import get_user_model

    from youth_panel import live
    from youth_panel.models import PollSession

    planted = _seed_and_plant(client, django_capture_on_commit_callbacks)
    assert planted["posted"] == len(PAYLOADS[::FORM_EVERY])
    assert planted["fields"]["comment.text"] == len(PAYLOADS)
    assert len(planted["fields"]) >= 20
    User = get_user_model()
    clients = {"anon": client}
    for who, name in (("member", MEMBER), ("staff", STAFF)):
        from django.test import Client

        clients[who] = Client()
        clients[who].force_login(User.objects.get(username=name))

    problems, statuses, shown = {}, {}, set()
    pages = pages_to_check(planted)
    for url, who in pages:
        response = clients[who].get(url, follow=True)
        statuses[(url, who)] = response.status_code
        body = response.content.decode("utf-8", "replace")
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            found = executable_parts(body)
            if found:
                problems[(url, who)] = found[:5]
        shown.update(p for p in TEMPLATE_PAYLOADS + PAYLOADS[:80] if _escaped(p) in body)
    # A page that could not be rendered hides nothing: only missing pages may answer 404.
    assert {k: v for k, v in statuses.items() if v not in (200, 404)} == {}
    failed_404 = [k for k, v in statuses.items() if v == 404 and "/zoeken/" not in k[0]]
    assert len(failed_404) <= 4, failed_404  # the 4 payload paths, nothing else
    assert problems == {}
    # The payloads really were on the pages (escaped), not filtered out before rendering.
    assert len(shown) >= 60
    # Template syntax reached the pages as text ({{ "XSS"|add:"TPL" }} was not run).
    assert len(shown.intersection(TEMPLATE_PAYLOADS)) >= len(TEMPLATE_PAYLOADS) // 2
    assert len(pages) >= 60

    # Mails: plain text only, the payload kept as typed (no HTML part that could run it).
    answered = [m for m in mailoutbox if MEMBER in str(m.to) or "l@example.org" in m.to]
    assert len(answered) == len(planted["comment_ids"])
    for message in mailoutbox:
        assert not getattr(message, "alternatives", None), message.subject
        assert "\n" not in message.subject
    # Plain text keeps the payload exactly as typed: not escaped, and template text not evaluated.
    from consultations.models import Comment

    bodies = "\n".join(m.body for m in answered)
    for comment in Comment.objects.filter(pk__in=planted["comment_ids"]):
        assert comment.answer_reasoning.strip() in bodies
        assert comment.organisation.name in bodies

    # Live poll frames: valid JSON that carries the texts as data, byte for byte.
    session = PollSession.objects.get(join_code=planted["poll"])
    frames = live._frames(live.read_state(session.pk))
    for frame in (frames.public, frames.host):
        state = json.loads(frame)
        assert state["question"]["text"] == session.current_question.text
    snapshot = clients["anon"].get(f"/p/{planted['poll']}/stand.json")
    assert snapshot.status_code == 200
    assert snapshot["Content-Type"].startswith("application/json")
    assert json.loads(snapshot.content)["question"]["text"] == session.current_question.text


def _escaped(payload: str) -> str:
    from django.utils.html import escape

    return str(escape(payload.strip()))


# --- in the browser -----------------------------------------------------------------------------

# Raw payloads that must trip the hooks: proof that the browser check can fail.
HOOK_PROBES = [
    "<img src=x onerror=window.__xss=1;console.log(/XSS/.source);alert(1)>",
    "<svg onload=window.__xss=1,console.log`XSS`,alert`1`>",
    "<details open ontoggle=window.__xss=1;console.log(/XSS/.source);alert(1)>",
]


class Hooks:
    """Dialogs and "XSS" console messages of one browser context, and `window.__xss`."""

    def __init__(self, context):
        self.hits: list[str] = []
        context.on("page", self.watch)

    def watch(self, page):
        page.on(
            "dialog",
            lambda dialog: (self.hits.append(f"dialog {dialog.message}"), dialog.dismiss()),
        )
        page.on(
            "console",
            lambda message: "XSS" in message.text and self.hits.append(f"console {message.text}"),
        )

    def check(self, page, where: str) -> None:
        page.wait_for_timeout(60)  # autofocus, toggle and animation events fire after load
        if page.evaluate("() => window.__xss !== undefined"):
            self.hits.append(f"window.__xss on {where}")


@pytest.mark.browser
def test_no_payload_runs_in_chromium_on_any_page_that_shows_them(live_site, browser):  # noqa: F811
    output = live_site.shell(
        "from tests.security.test_xss import plant_for_live_site; plant_for_live_site()"
    )
    planted = json.loads(output.strip().splitlines()[-1])
    contexts, hooks = {}, {}
    for who in ("probe", "anon", "member", "staff"):
        # bypass_csp: the test measures escaping, not the Content-Security-Policy behind it.
        contexts[who] = browser.new_context(bypass_csp=True, locale="nl-NL")
        hooks[who] = Hooks(contexts[who])
        if who in planted["cookies"]:
            contexts[who].add_cookies([{
                "name": planted["cookie_name"], "value": planted["cookies"][who],
                "url": live_site.url,
            }])  # fmt: skip
    try:
        probe = contexts["probe"].new_page()
        for number, raw in enumerate(HOOK_PROBES, start=1):
            probe.set_content(f"<!doctype html><body>{raw}</body>")
            for _ in range(40):  # an image error arrives a moment after the page is drawn
                if sum(hit.startswith("dialog") for hit in hooks["probe"].hits) >= number:
                    break
                probe.wait_for_timeout(25)
            hooks["probe"].check(probe, "probe")
        assert sum(hit.startswith("dialog") for hit in hooks["probe"].hits) == len(HOOK_PROBES)
        assert sum(hit.startswith("console") for hit in hooks["probe"].hits) == len(HOOK_PROBES)
        assert sum(hit.startswith("window.__xss") for hit in hooks["probe"].hits) == len(
            HOOK_PROBES
        )

        tabs = {who: contexts[who].new_page() for who in ("anon", "member", "staff")}
        loads, bad_status = 0, []
        for url, who in planted["pages"]:
            response = tabs[who].goto(live_site.url + url, wait_until="load")
            loads += 1
            if response is None or response.status not in (200, 404):
                bad_status.append((url, who, response and response.status))
            if who == "staff" and url.startswith("/beheer/"):
                assert "/beheer/login/" not in tabs[who].url, "the admin wants a login: " + url
            hooks[who].check(tabs[who], url)
        executions = [hit for who in ("anon", "member", "staff") for hit in hooks[who].hits]
        assert executions == []
        assert bad_status == []
        assert loads >= 60
        print(f"xss browser: {len(PAYLOADS)} payloads, {loads} page loads, 0 executions")
    finally:
        for context in contexts.values():
            context.close()


# --- bidirectional and zero-width characters ---------------------------------------------------

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d"
# Elements that cannot hold <bdi> or are never drawn: a select's options are laid out one a line.
UNDRAWN = {"title", "option", "textarea", "script", "style"}


class _BidiFinder(HTMLParser):
    """Text with a bidi control or zero-width character that is not inside <bdi> (or dir=auto)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.loose: list[str] = []
        self.isolated = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        isolating = tag == "bdi" or values.get("dir") == "auto"
        hidden = tag in UNDRAWN or "visually-hidden" in (values.get("class") or "").split()
        if tag not in {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}:
            self.stack.append((tag, isolating or hidden))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        marked = any(ch in data for ch in BIDI_CONTROLS + ZERO_WIDTH)
        if marked and not any(flag for _, flag in self.stack):
            self.loose.append(data.strip()[:60])


def loose_bidi_text(html: str) -> list[str]:
    """Text runs that hold bidi or zero-width characters outside an isolating element."""
    finder = _BidiFinder()
    finder.feed(html)
    return finder.loose


def test_the_bidi_check_finds_a_name_that_is_not_isolated():
    assert loose_bidi_text("<p>Van <strong>Zorg \u202eA\u202c</strong> vandaag</p>") != []
    assert loose_bidi_text("<p>Van <strong><bdi>Zorg \u202eA</bdi></strong> vandaag</p>") == []


@pytest.mark.django_db
def test_names_and_labels_with_bidi_or_zero_width_characters_are_isolated(client):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from consultations.demo import SLUG, seed_demo_consultation
    from consultations.models import Comment, ConsultationPage, Membership, Organisation
    from home.seed import seed
    from youth_panel.models import PollQuestion, PollSession, Word
    from youth_panel.polls import control

    seed()
    seed_demo_consultation()
    name = "Zorg \u202eLIAM\u202c \u2067ABC\u2069 X\u200bY\u061c\u200f"
    organisation = Organisation.objects.create(name=name, kind=Organisation.Kind.CARE_PROVIDER)
    member = get_user_model().objects.create_user(MEMBER, "l@example.org")
    Membership.objects.create(user=member, organisation=organisation, confirmed_at=timezone.now())
    consultation = ConsultationPage.objects.get(slug=SLUG)
    first = consultation.current_version().chapters.first().paragraphs.first()
    place_directly(consultation, f"a{first.pk}", organisation, "Een gewone reactie.")
    Comment.objects.filter(author=member).update(status=Comment.Status.PUBLISHED)
    staff = get_user_model().objects.create_superuser(STAFF, "b@example.org", "x")
    poll = PollSession.objects.create(title="Peiling", join_code="BIDIPL")
    poll.hosts.add(staff)
    question = PollQuestion.objects.create(
        session=poll, sort_order=0, text="Vraag", kind=PollQuestion.Kind.SINGLE,
        options_text="\u202eJa\u202c\n\u2066Nee\u200b",
    )  # fmt: skip
    words = PollQuestion.objects.create(
        session=poll, sort_order=1, text="Woord", kind=PollQuestion.Kind.WORDS
    )
    Word.objects.create(question=words, text="\u202ehoi\u200d", count=2)
    control(control(control(poll, "start"), "open"), "show")

    as_member, as_staff = Client(), Client()
    as_member.force_login(member)
    as_staff.force_login(staff)
    pages = [
        (client, consultation.url),
        (client, consultation.url + "verloop/"),
        (as_member, consultation.url),
        (as_member, "/inspraak-acties/organisaties/"),
        (as_member, "/jongerenpanel/mijn-gegevens/"),
        (client, "/p/BIDIPL/"),
        (as_staff, "/p/BIDIPL/uitslag/"),
        (as_staff, "/p/BIDIPL/scherm/"),
        (as_staff, "/p/BIDIPL/woorden/"),
    ]
    seen = 0
    for who, url in pages:
        response = who.get(url, follow=True)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert loose_bidi_text(html) == [], url
        seen += html.count("<bdi>")
    assert question.pk
    assert seen >= 8  # the names and labels really were on the pages, isolated
