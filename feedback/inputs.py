"""All input per core task: what young people, parents and partners said, and where it came from.

Four sources, each tagged to the core tasks:
- survey: answers to the post-case survey, tagged through their type of help (HELP_TYPE_CORE_TASK);
- polls: people who voted in a live poll tagged with the core task, once per poll. Only polls
  whose results are public (ended, results_public) count, as the poll's host chose;
- youth: filled-in question sets of the youth rounds of published consultations with the tag;
- comments: public, published stakeholder comments on those consultations (never staff-only,
  waiting or hidden ones).
Arrivals per channel are the poster visits (consultations.ArrivalCount) to those consultations
and to every poll tagged with the core task.

Everything that is counted is counted in the database (GROUP BY); Python only analyses the texts
(sentiment and themes), and that result is cached per core task under a key made of counts and
latest ids of the inputs, so it is computed again only when the input changed.

Publishing rules (feedback.suppression): the counts by source and by channel are public one-way
tables; sentiment per source is shown only where that source's count is shown (every comment
has a text, so its sentiment total would give away a count hidden as a complement); the number
of people per poll only where the poll total is shown. Texts are never quoted here: only themes
(each in at least SUPPRESSION_MIN_N different texts) and counts. Youth round answers count for
sentiment and themes only once the round closed, as on the consultation's own results.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from consultations.models import (
    ArrivalCount,
    Comment,
    ConsultationPage,
    YouthAnswer,
    YouthQuestion,
    YouthResponse,
)
from consultations.phases import Phase
from feedback import text as text_analysis
from feedback.choices import HelpType
from feedback.indicators import HALF_YEAR, figures
from feedback.models import Action, ResponseAggregate, SurveyResponse
from feedback.retention import RESPONSES
from feedback.suppression import (
    Breakdown,
    Cell,
    figure,
    min_n,
    min_n_percent,
    round_public,
    suppress_breakdown,
)
from home.models import CoreTask
from youth_panel import rules as poll_rules
from youth_panel.models import PollQuestion, PollSession, Vote, Word
from youth_panel.polls import is_blocked

# Which core task a type of help belongs to, after the policy vision (seeds/000, chapters 8-9):
# - Chapter 8 "Stevig lokaal team / CJG" names the CJG and the Jeugd- en Gezinscoaches, who
#   "zelf (lichte) hulp bieden": that is the local team's own help (LOCAL_TEAM).
# - Chapter 9 "Specialistische zorg" lists the forms of specialist youth care: "behandeling
#   (ambulant, dagbehandeling of residentieel), crisisopvang, gezinshuizen en pleegzorg", and
#   the zorgvelden "ambulante jeugdhulp" and "jeugdhulp met verblijf" (gesloten verblijf
#   included). Help in the young person's own network is ambulant care by a provider in the
#   home surroundings: 9.2/9.3a want care "zoveel mogelijk in de leefomgeving" and "thuisnabij".
# - Chapter 7 (sterke sociale basis: clubs, youth work, neighbours) and chapter 10 (a sustainable
#   and affordable system) are not help that ends in a case, so no survey answer belongs there.
HELP_TYPE_CORE_TASK: dict[str, str] = {
    HelpType.LOCAL_TEAM: "stevig-lokaal-team",
    HelpType.AMBULANT: "specialistische-zorg",
    HelpType.DAY_TREATMENT: "specialistische-zorg",
    HelpType.OWN_NETWORK: "specialistische-zorg",
    HelpType.FOSTER_CARE: "specialistische-zorg",
    HelpType.FAMILY_HOME: "specialistische-zorg",
    HelpType.SECURE_RESIDENTIAL: "specialistische-zorg",
    HelpType.OTHER_RESIDENTIAL: "specialistische-zorg",
}

SURVEY, POLLS, YOUTH, COMMENTS = "survey", "polls", "youth", "comments"
SOURCE_LABELS: dict[str, Promise] = {
    SURVEY: _("Vragenlijst na de hulp (jongeren en ouders)"),
    POLLS: _("Peilingen (jongeren die meestemden)"),
    YOUTH: _("Vragen voor jongeren bij inspraak (ingevulde lijsten)"),
    COMMENTS: _("Reacties van partners bij inspraak"),
}
SOURCES = tuple(SOURCE_LABELS)
SENTIMENT_LABELS: dict[str, Promise] = {
    text_analysis.POSITIVE: _("Positief"),
    text_analysis.NEUTRAL: _("Neutraal"),
    text_analysis.NEGATIVE: _("Negatief"),
}
# The survey figures shown per core task (the latest half-year).
HEADLINE_KEYS = ("mark_mean", "mark_7_plus", "carry_on", "goals_reached")
THEME_LIMIT = 12
CACHE_SECONDS = 6 * 60 * 60
# Open youth-round questions: their answers are texts.
TEXT_KINDS = (YouthQuestion.Kind.OPEN, YouthQuestion.Kind.STORY)


def _public_pages():
    """Published consultations that Wagtail's page privacy does not hide from anyone."""
    return ConsultationPage.objects.live().public()


def help_types_for(core_task: CoreTask) -> list[str]:
    """The types of help whose survey answers belong to this core task."""
    return [help_type for help_type, slug in HELP_TYPE_CORE_TASK.items() if slug == core_task.slug]


def _public_polls():
    return PollSession.objects.filter(status=PollSession.Status.ENDED, results_public=True)


def _closed(consultation: ConsultationPage) -> bool:
    return consultation.phase in (Phase.CLOSED, Phase.ANSWERED)


# --- counting (the database groups) ---------------------------------------------------------


def source_counts() -> dict[int, dict[str, int]]:
    """Per core task id: survey answers, poll voters, youth question sets and public comments."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SOURCES, 0))
    tasks = {task.slug: task.pk for task in CoreTask.objects.all()}
    answers = (
        SurveyResponse.objects.values("help_type").annotate(n=Count("pk")).order_by()
    ).values_list("help_type", "n")
    kept = (
        ResponseAggregate.objects.filter(question=RESPONSES)
        .values("help_type")
        .annotate(n=Sum("count"))
        .order_by()
        .values_list("help_type", "n")
    )
    for help_type, n in [*answers, *kept]:
        task = tasks.get(HELP_TYPE_CORE_TASK.get(help_type, ""))
        if task is not None:
            counts[task][SURVEY] += n or 0
    for task, n in _poll_voters().items():
        counts[task][POLLS] = sum(n.values())
    youth = (
        YouthResponse.objects.filter(
            consultation__in=_public_pages(), consultation__core_tasks__isnull=False
        )
        .values_list("consultation__core_tasks")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for task, n in youth:
        counts[task][YOUTH] = n
    comments = (
        Comment.objects.public()
        .filter(consultation__in=_public_pages(), consultation__core_tasks__isnull=False)
        .values_list("consultation__core_tasks")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for task, n in comments:
        counts[task][COMMENTS] = n
    return counts


def _poll_voters() -> dict[int, dict[int, int]]:
    """Per core task id: per public poll session id, how many different people voted."""
    rows = (
        Vote.objects.filter(
            question__session__in=_public_polls(), question__session__core_tasks__isnull=False
        )
        .values_list("question__session__core_tasks", "question__session")
        .annotate(n=Count("participant", distinct=True))
        .order_by()
    )
    result: dict[int, dict[int, int]] = defaultdict(dict)
    for task, session, n in rows:
        result[task][session] = n
    return result


def channel_counts(core_task: CoreTask) -> dict[str, int]:
    """Poster visits per channel to the core task's published consultations and its polls."""
    consultations = _public_pages().filter(core_tasks=core_task).values("pk")
    polls = PollSession.objects.filter(core_tasks=core_task).values("pk")
    rows = (
        ArrivalCount.objects.filter(
            Q(target_kind=ArrivalCount.TargetKind.CONSULTATION, target_id__in=consultations)
            | Q(target_kind=ArrivalCount.TargetKind.POLL, target_id__in=polls)
        )
        .values_list("channel")
        .annotate(n=Sum("count"))
        .order_by()
    )
    found = dict(rows)
    return {channel: found.get(channel, 0) or 0 for channel in ArrivalCount.Channel.values}


# --- texts (analysed in Python, cached) -----------------------------------------------------


def _survey_texts(core_task: CoreTask) -> list[str]:
    """One text per answer: both open answers together, so counts are people, not fields."""
    rows = (
        SurveyResponse.objects.filter(help_type__in=help_types_for(core_task))
        .exclude(most_important_change="", what_should_change="")
        .values_list("most_important_change", "what_should_change")
    )
    return [". ".join(part for part in pair if part) for pair in rows.iterator()]


def _comment_texts(core_task: CoreTask) -> list[str]:
    return list(
        Comment.objects.public()
        .filter(consultation__in=_public_pages(), consultation__core_tasks=core_task)
        .values_list("text", flat=True)
    )


def _closed_consultation_ids(core_task: CoreTask) -> list[int]:
    pages = _public_pages().filter(core_tasks=core_task)
    return sorted(page.pk for page in pages if _closed(page))


def _youth_texts(core_task: CoreTask, closed: list[int]) -> list[str]:
    """One text per filled-in question set: its open answers, one per line."""
    rows = (
        YouthAnswer.objects.filter(response__consultation__in=closed, question__kind__in=TEXT_KINDS)
        .exclude(text="")
        .values_list("response_id", "text")
        .order_by("response_id", "question__sort_order", "pk")
    )
    texts: dict = defaultdict(list)
    for response, answer in rows.iterator():
        texts[response].append(answer)
    return ["\n".join(parts) for parts in texts.values()]


def _poll_texts(core_task: CoreTask) -> list[str]:
    """One text per person per poll: their open words that are shown (not hidden or waiting)."""
    questions = PollQuestion.objects.filter(
        session__in=_public_polls().filter(core_tasks=core_task), kind=PollQuestion.Kind.WORDS
    )
    shown = set(
        Word.objects.filter(question__in=questions, status=Word.Status.SHOWN).values_list(
            "question_id", "text"
        )
    )
    texts: dict = defaultdict(list)
    votes = Vote.objects.filter(question__in=questions).values_list(
        "question__session_id", "participant", "question_id", "answer"
    )
    for session, participant, question, answer in votes.iterator():
        words = [w for w in (answer or []) if isinstance(w, str) and (question, w.lower()) in shown]
        if words:
            texts[(session, participant)].extend(words)
    return ["\n".join(words) for words in texts.values()]


def _fingerprint(core_task: CoreTask, closed: list[int]) -> str:
    """Counts and latest ids of every text source: a new, changed or hidden input changes it."""
    survey = SurveyResponse.objects.filter(help_type__in=help_types_for(core_task)).aggregate(
        n=Count("pk")
    )
    comments = (
        Comment.objects.public()
        .filter(consultation__in=_public_pages(), consultation__core_tasks=core_task)
        .aggregate(n=Count("pk"), last=Max("pk"))
    )
    youth = YouthAnswer.objects.filter(response__consultation__in=closed).aggregate(n=Count("pk"))
    polls = _public_polls().filter(core_tasks=core_task)
    votes = Vote.objects.filter(question__session__in=polls).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    words = Word.objects.filter(question__session__in=polls, status=Word.Status.SHOWN).aggregate(
        n=Count("pk"), last=Max("pk"), total=Sum("count")
    )
    raw = repr((core_task.pk, survey, comments, closed, youth, votes, words))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class TextAnalysis:
    """Sentiment counts per source (positive, neutral, negative) and the core task's themes."""

    sentiment: dict[str, tuple[int, int, int]]
    themes: list[text_analysis.Theme]


def _sentiment_counts(texts: list[str]) -> tuple[int, int, int]:
    labels = [text_analysis.sentiment_label(text_analysis.sentiment(t)) for t in texts]
    return tuple(labels.count(label) for label in text_analysis.LABELS)  # type: ignore[return-value]


def analyse_texts(core_task: CoreTask) -> TextAnalysis:
    """Sentiment per source and themes over all texts of the core task, cached per input state."""
    closed = _closed_consultation_ids(core_task)
    key = f"feedback:inputs:text:{core_task.slug}:{_fingerprint(core_task, closed)}"
    found = cache.get(key)
    if found is not None:
        return found
    texts = {
        SURVEY: _survey_texts(core_task),
        POLLS: _poll_texts(core_task),
        YOUTH: _youth_texts(core_task, closed),
        COMMENTS: _comment_texts(core_task),
    }
    result = TextAnalysis(
        sentiment={source: _sentiment_counts(items) for source, items in texts.items()},
        themes=text_analysis.themes(
            (t for items in texts.values() for t in items),
            limit=THEME_LIMIT,
            blocked=is_blocked,
        ),
    )
    cache.set(key, result, CACHE_SECONDS)
    return result


# --- what the pages show --------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSentiment:
    """The sentiment counts of one source, or None where that source's count is hidden."""

    source: str
    label: Promise
    breakdown: Breakdown | None
    texts: int


@dataclass(frozen=True)
class PollLink:
    """A poll with public results: title, day, people who voted (None when hidden), link."""

    title: str
    day: datetime.date
    voters: Cell | None
    url: str


@dataclass(frozen=True)
class Link:
    """A titled link (a consultation or an action)."""

    title: str
    url: str
    status: str = ""


@dataclass(frozen=True)
class PublicTheme:
    """A theme as the page shows it: the number of texts rounded like every public count."""

    phrase: str
    count: int


@dataclass(frozen=True)
class Headline:
    """One survey figure for the core task, as it may be published."""

    label: Promise | str
    cell: Cell


@dataclass
class CoreTaskInput:
    """Everything the page about one core task shows."""

    core_task: CoreTask
    by_source: Breakdown
    by_channel: Breakdown | None = None
    sentiment: list[SourceSentiment] = field(default_factory=list)
    themes: list[PublicTheme] = field(default_factory=list)
    headlines: list[Headline] = field(default_factory=list)
    headline_period: str = ""
    has_survey: bool = False
    polls: list[PollLink] = field(default_factory=list)
    consultations: list[Link] = field(default_factory=list)
    actions: list[Link] = field(default_factory=list)

    def source_cell(self, source: str) -> Cell:
        """The published count of one source."""
        return self.by_source.cells[SOURCES.index(source)]


def publish(counts: list[int], labels: list[str], *, percent: bool = False) -> Breakdown:
    """A public one-way table in which a count of 0 is shown as 0.

    feedback.suppression hides every count under the minimum, 0 included, and then hides more
    cells so that the 0 cannot be worked out: a core task with only comments would show nothing.
    A 0 tells nothing about anyone, so only the other lines go through suppress_breakdown (with
    the total) and the 0 lines are shown as they are.
    """
    nonzero = [i for i, count in enumerate(counts) if count]
    if not nonzero:
        zero = Cell(0, 0, True)
        return Breakdown(tuple(labels), (zero,) * len(counts), zero, True)
    inner = suppress_breakdown([counts[i] for i in nonzero], public=True, percent=percent)
    base_shown = inner.total.shown and sum(counts) >= min_n_percent()
    cells = []
    for i in range(len(counts)):
        if i in nonzero:
            cells.append(inner.cells[nonzero.index(i)])
        else:
            cells.append(Cell(0, 0, True, percent=0 if percent and base_shown else None))
    return Breakdown(tuple(labels), tuple(cells), inner.total, True)


def _by_source(counts: dict[str, int]) -> Breakdown:
    return publish(
        [counts.get(source, 0) for source in SOURCES],
        [str(label) for label in SOURCE_LABELS.values()],
    )


@dataclass(frozen=True)
class Overview:
    """One core task on the overview page, with its counts by source."""

    core_task: CoreTask
    by_source: Breakdown


def overview() -> list[Overview]:
    """The four core tasks with their published counts by source."""
    counts = source_counts()
    return [
        Overview(task, _by_source(counts.get(task.pk, {})))
        for task in CoreTask.objects.order_by("number")
    ]


def _headlines(core_task: CoreTask) -> tuple[str, list[Headline]]:
    """The latest half-year's survey figures for this core task, after suppression.

    The types of help split all answers between the core tasks, so the n's of one indicator
    across the core tasks add up to the overall n that the dashboard shows: they are protected
    as one breakdown, so that a hidden one cannot be worked out from the others and the total.
    """
    own = help_types_for(core_task)
    if not own:
        return "", []
    slugs = sorted(set(HELP_TYPE_CORE_TASK.values()))
    per_task = {
        slug: figures(
            "overall",
            HALF_YEAR,
            filters={"help_type": [t for t, s in HELP_TYPE_CORE_TASK.items() if s == slug]},
            keys=HEADLINE_KEYS,
        )
        for slug in slugs
    }
    periods = sorted({f.period for f in per_task[core_task.slug]})
    if not periods:
        return "", []
    period = periods[-1]
    result = []
    for key in HEADLINE_KEYS:
        found = {
            slug: next((f for f in items if f.period == period and f.key == key), None)
            for slug, items in per_task.items()
        }
        mine = found[core_task.slug]
        if mine is None or not mine.n:
            continue
        # A core task without answers gives nothing away about anyone: leave it out.
        ns = {slug: f.n for slug, f in found.items() if f is not None and f.n}
        protected = suppress_breakdown(list(ns.values())).cells[list(ns).index(core_task.slug)]
        if protected.shown:
            cell = figure(mine.value, mine.n, share=mine.kind == "share", public=True)
        else:
            cell = Cell(None, None, False, protected.reason, kind=mine.kind)  # type: ignore[arg-type]
        result.append(Headline(mine.label, cell))
    return period, result


def core_task_input(core_task: CoreTask) -> CoreTaskInput:
    """What young people, parents and partners said about one core task, ready to publish."""
    counts = source_counts().get(core_task.pk, dict.fromkeys(SOURCES, 0))
    result = CoreTaskInput(core_task=core_task, by_source=_by_source(counts))
    result.has_survey = bool(help_types_for(core_task))

    channels = channel_counts(core_task)
    if any(channels.values()):
        result.by_channel = publish(
            list(channels.values()), [str(ArrivalCount.Channel(c).label) for c in channels]
        )

    analysis = analyse_texts(core_task)
    for source in SOURCES:
        numbers = analysis.sentiment[source]
        shown = result.source_cell(source).shown and sum(numbers) > 0
        result.sentiment.append(
            SourceSentiment(
                source,
                SOURCE_LABELS[source],
                publish(
                    list(numbers),
                    [str(label) for label in SENTIMENT_LABELS.values()],
                    percent=True,
                )
                if shown
                else None,
                sum(numbers),
            )
        )
    result.themes = [PublicTheme(t.phrase, round_public(t.count_texts)) for t in analysis.themes]
    result.headline_period, result.headlines = _headlines(core_task)

    voters = _poll_voters().get(core_task.pk, {})
    sessions = list(_public_polls().filter(core_tasks=core_task).order_by("-created_at", "-pk"))
    # Per poll only where the polls total is shown, and protected against that total.
    per_poll = (
        suppress_breakdown([voters.get(s.pk, 0) for s in sessions], public=True)
        if (sessions and result.source_cell(POLLS).shown)
        else None
    )
    anonymous = AnonymousUser()
    for index, session in enumerate(sessions):
        if not poll_rules.can_see_results(anonymous, session):
            continue
        result.polls.append(
            PollLink(
                session.title,
                session.created_at.date(),
                per_poll.cells[index] if per_poll else None,
                reverse("polls:results", args=[session.join_code]),
            )
        )

    result.consultations = [
        Link(page.title, page.url or "")
        for page in _public_pages().filter(core_tasks=core_task).order_by("-opens_at", "-pk")
    ]
    anchor = reverse("actions:list") + f"#kernopgave-{core_task.number}"
    result.actions = [
        Link(action.title, anchor, action.get_status_display())
        for action in Action.objects.published()
        .filter(core_tasks=core_task)
        .order_by("-planned_on", "-first_published_at", "pk")
    ]
    return result


def minimum_texts() -> int:
    """How many different texts a theme needs (for the page's explanation)."""
    return min_n()
