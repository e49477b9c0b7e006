"""The response report (nota van beantwoording) and the participation trail of a consultation.

Both are public and the same for every reader. They show only published comments (never
pending or hidden ones). A public comment shows its organisation, text and answer; a staff-only
comment shows only that it exists, where it is about and its outcome, never its author, its
organisation (name or kind) or its text. Counts about young people pass feedback.suppression:
below SUPPRESSION_MIN_N they read "minder dan 10", the others are rounded like every public
count; counts about organisations are exact, because organisations are not minors.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Min
from django.utils.translation import gettext as _

from consultations.models import Comment, ConsultationPage, DraftVersion, Organisation
from feedback import suppression


@dataclass
class CommentGroup:
    """The comments on one paragraph (or on the whole chapter) of one version."""

    paragraph_number: int | None
    version: DraftVersion
    is_current: bool
    comments: list[Comment] = field(default_factory=list)

    @property
    def heading(self) -> str:
        """ "Alinea 7.3" or "Over het hele hoofdstuk", with the version when it is an old one."""
        chapter = self.comments[0].chapter.number
        if self.paragraph_number is None:
            text = _("Over het hele hoofdstuk")
        else:
            text = _("Alinea %(label)s") % {"label": f"{chapter}.{self.paragraph_number}"}
        if not self.is_current:
            text = _("%(text)s (versie %(number)s)") % {"text": text, "number": self.version.number}
        return text


@dataclass
class ChapterGroup:
    """A chapter number with the comments on it, in any version."""

    number: int
    title: str
    groups: list[CommentGroup] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        """The id of this chapter in the report."""
        return f"hoofdstuk-{self.number}"

    @property
    def comment_count(self) -> int:
        """All comments in this chapter."""
        return sum(len(group.comments) for group in self.groups)

    @property
    def public_count(self) -> int:
        """The public comments in this chapter."""
        return sum(1 for g in self.groups for c in g.comments if c.is_public)

    @property
    def staff_only_count(self) -> int:
        """The staff-only comments in this chapter."""
        return self.comment_count - self.public_count


@dataclass
class CountRow:
    """One row of a count table."""

    label: str
    count: int
    extra: int | None = None


def shown_comments(consultation: ConsultationPage) -> list[Comment]:
    """The comments the report shows: published ones, public and staff-only."""
    return list(
        Comment.objects.filter(consultation=consultation, status=Comment.Status.PUBLISHED)
        .select_related("organisation", "version", "chapter", "paragraph")
        .order_by("chapter__number", "paragraph__number", "version__number", "created_at", "pk")
    )


def group_by_chapter(consultation: ConsultationPage, comments: list[Comment]) -> list[ChapterGroup]:
    """Every chapter of the current version, and older chapters that have comments, in order.

    Within a chapter: comments on the whole chapter first, then by paragraph, then by version.
    """
    current = consultation.current_version()
    chapters: dict[int, ChapterGroup] = {}
    if current is not None:
        for chapter in current.chapters.all():
            chapters[chapter.number] = ChapterGroup(chapter.number, chapter.title)
    groups: dict[tuple[int, int | None, int], CommentGroup] = {}
    for comment in comments:
        number = comment.chapter.number
        chapter_group = chapters.setdefault(number, ChapterGroup(number, comment.chapter.title))
        paragraph_number = comment.paragraph.number if comment.paragraph_id else None
        key = (number, paragraph_number, comment.version.number)
        group = groups.get(key)
        if group is None:
            group = CommentGroup(
                paragraph_number,
                comment.version,
                is_current=current is not None and comment.version_id == current.pk,
            )
            groups[key] = group
            chapter_group.groups.append(group)
        group.comments.append(comment)
    for chapter_group in chapters.values():
        # Paragraph numbers start at 1, so comments on the whole chapter (None) come first.
        chapter_group.groups.sort(key=lambda g: (g.paragraph_number or 0, g.version.number))
    return [chapters[number] for number in sorted(chapters)]


def outcome_counts(comments: list[Comment]) -> list[CountRow]:
    """How many comments got each answer, with "Nog geen antwoord" last."""
    counts = Counter(comment.answer_outcome for comment in comments)
    rows = [CountRow(str(label), counts.get(value, 0)) for value, label in Comment.Outcome.choices]
    rows.append(CountRow(_("Nog geen antwoord"), counts.get("", 0)))
    return rows


def organisation_kind_counts(comments: list[Comment]) -> list[CountRow]:
    """Per kind of organisation: how many organisations commented in public, and how often.

    Staff-only comments are left out here: counting them per kind could show which
    organisation sent them when only one of its kind takes part.
    """
    public = [comment for comment in comments if comment.is_public]
    organisations: dict[str, set[int]] = {}
    per_kind: Counter[str] = Counter()
    for comment in public:
        kind = comment.organisation.kind
        organisations.setdefault(kind, set()).add(comment.organisation_id)
        per_kind[kind] += 1
    return [
        CountRow(str(label), len(organisations.get(value, ())), per_kind.get(value, 0))
        for value, label in Organisation.Kind.choices
        if per_kind.get(value)
    ]


def response_report(consultation: ConsultationPage) -> dict:
    """Everything the response report shows, for the template."""
    comments = shown_comments(consultation)
    public = sum(1 for comment in comments if comment.is_public)
    return {
        "chapters": group_by_chapter(consultation, comments),
        "total": len(comments),
        "public_total": public,
        "staff_only_total": len(comments) - public,
        "answered_total": sum(1 for comment in comments if comment.is_answered),
        "outcome_rows": outcome_counts(comments),
        "kind_rows": organisation_kind_counts(comments),
        "current_version": consultation.current_version(),
    }


# The participation trail.


def small_count() -> int:
    """Counts about young people below this are hidden (settings.SUPPRESSION_MIN_N)."""
    return suppression.min_n()


def youth_count(count: int) -> str:
    """A count about young people on a public page: hidden under the suppression minimum
    ("minder dan 10"), else rounded as feedback.suppression rounds public counts."""
    if count < small_count():
        return _("minder dan %(number)s") % {"number": small_count()}
    return str(suppression.round_public(count))


def youth_total(counts: list[int]) -> str:
    """The sum of counts about young people, without giving away a hidden part.

    When a part is hidden, an exact total minus the shown parts would reveal it; the total then
    says "minstens" with a number that is true (the shown parts, rounded down) and reveals
    nothing new.
    """
    total = sum(counts)
    if total < small_count():
        return youth_count(total)
    if all(count >= small_count() for count in counts):
        return youth_count(total)
    shown = sum(count for count in counts if count >= small_count())
    step = max(1, settings.PUBLIC_COUNT_ROUNDING)
    return _("minstens %(number)s") % {"number": max(small_count(), shown - shown % step)}


@dataclass
class PollRound:
    """A live poll linked to the consultation, as the trail shows it."""

    title: str
    held_on: object
    participants: str
    question_count: int
    results_url: str = ""


def poll_rounds(consultation: ConsultationPage) -> tuple[list[PollRound], str]:
    """The live polls linked to this consultation and their total participation.

    The link from a poll session to a consultation may not exist (yet): then there are none.
    """
    sessions = getattr(consultation, "poll_sessions", None)
    if sessions is None:
        return [], ""
    from django.urls import NoReverseMatch, reverse

    from youth_panel.polls import participant_count

    rounds: list[PollRound] = []
    counts: list[int] = []
    for session in sessions.annotate(first_vote=Min("questions__votes__updated_at")).order_by(
        "created_at", "pk"
    ):
        count = participant_count(session)
        counts.append(count)
        url = ""
        if session.status == "ended" and session.results_public:
            try:
                url = reverse("polls:results", args=(session.join_code,))
            except NoReverseMatch:
                url = ""
        rounds.append(
            PollRound(
                title=session.title,
                held_on=session.first_vote or session.created_at,
                participants=youth_count(count),
                question_count=session.questions.count(),
                results_url=url,
            )
        )
    return rounds, youth_total(counts) if counts else ""


def participation_trail(consultation: ConsultationPage) -> dict:
    """Everything the participation trail shows: rounds, who took part, what came in and
    what was done with it."""
    comments = shown_comments(consultation)
    public = [comment for comment in comments if comment.is_public]
    chapters = [c for c in group_by_chapter(consultation, comments) if c.comment_count]
    polls, poll_total = poll_rounds(consultation)
    versions = list(consultation.versions.order_by("number"))
    # Organisations that spoke in public are named, as on the consultation page itself.
    named = sorted(
        {comment.organisation.name for comment in public}, key=lambda name: name.casefold()
    )
    public_count = len(public)
    return {
        "versions": versions,
        "polls": polls,
        "poll_total": poll_total,
        "kind_rows": organisation_kind_counts(comments),
        "organisation_total": len({comment.organisation_id for comment in public}),
        "named_organisations": named,
        "chapters": chapters,
        "total": len(comments),
        "public_total": public_count,
        "staff_only_total": len(comments) - public_count,
        "outcome_rows": outcome_counts(comments),
        "answered_total": sum(1 for comment in comments if comment.is_answered),
        "text_changes": sum(1 for comment in comments if comment.answer_text_change.strip()),
    }
