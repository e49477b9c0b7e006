"""Live poll rules: the options of a question, checking and storing a vote, counting results."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from youth_panel.models import PollQuestion, PollSession, Vote, Word

Kind = PollQuestion.Kind
SCALE_LABELS = [
    ("😡", gettext_lazy("Heel slecht")),
    ("🙁", gettext_lazy("Slecht")),
    ("😐", gettext_lazy("Gaat wel")),
    ("🙂", gettext_lazy("Goed")),
    ("😍", gettext_lazy("Heel goed")),
]
YES_NO_LABELS = [gettext_lazy("Ja"), gettext_lazy("Nee"), gettext_lazy("Weet ik niet")]
MAX_WORDS = 3
MAX_WORD_LENGTH = 40
# Words that are never shown in a word cloud (Dutch and English); stems match inside words.
BLOCKED_STEMS = [
    "kanker",
    "kut",
    "tering",
    "tyfus",
    "klootzak",
    "hoer",
    "lul",
    "eikel",
    "mongool",
    "flikker",
    "neuk",
    "pik",
    "slet",
    "debiel",
    "kkr",
    "fuck",
    "shit",
    "bitch",
    "cunt",
    "dick",
    "whore",
    "slut",
    "nigg",
    "fag",
    "retard",
    "bastard",
    "asshole",
]
_BLOCKED = re.compile("|".join(BLOCKED_STEMS))


class VoteError(Exception):
    """A vote that cannot count, with a message for the participant."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Option:
    """One answer a participant can pick."""

    index: int
    label: str
    emoji: str = ""


def options(question: PollQuestion) -> list[Option]:
    """The answers of a question, in their order."""
    if question.kind == Kind.SCALE:
        return [
            Option(i, f"{i + 1}. {label}", emoji) for i, (emoji, label) in enumerate(SCALE_LABELS)
        ]
    if question.kind == Kind.YES_NO:
        return [Option(i, str(label)) for i, label in enumerate(YES_NO_LABELS)]
    lines = [line.strip() for line in question.options_text.splitlines() if line.strip()]
    return [Option(i, line) for i, line in enumerate(lines)]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def is_blocked(word: str) -> bool:
    """Whether a word may never appear in the cloud."""
    return bool(_BLOCKED.search(_fold(word).replace(" ", "")))


def _index(value, count: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise VoteError("unknown_option", _("Dit antwoord bestaat niet.")) from None
    if not 0 <= number < count:
        raise VoteError("unknown_option", _("Dit antwoord bestaat niet."))
    return number


def clean_answer(question: PollQuestion, raw) -> int | list:
    """Check a submitted answer and bring it into the stored form; VoteError when it is wrong."""
    count = len(options(question))
    if question.kind in (Kind.SINGLE, Kind.SCALE, Kind.YES_NO):
        if isinstance(raw, list):
            raw = raw[0] if len(raw) == 1 else None
        return _index(raw, count)
    if question.kind == Kind.MULTIPLE:
        values = raw if isinstance(raw, list) else [raw]
        chosen = sorted({_index(value, count) for value in values})
        if not chosen:
            raise VoteError("empty", _("Kies minstens één antwoord."))
        if len(chosen) > question.max_choices:
            raise VoteError(
                "too_many",
                _("Je mag hoogstens %(n)s antwoorden kiezen.") % {"n": question.max_choices},
            )
        return chosen
    if question.kind == Kind.RANKING:
        values = raw if isinstance(raw, list) else []
        order = [_index(value, count) for value in values]
        if sorted(order) != list(range(count)):
            raise VoteError("bad_ranking", _("Zet alle antwoorden in een volgorde, elk één keer."))
        return order
    words = raw if isinstance(raw, list) else [raw]
    cleaned: list[str] = []
    for word in words:
        if not isinstance(word, str):
            continue
        # Control and format characters (NUL, zero-width, direction marks) never reach the
        # cloud: PostgreSQL refuses NUL, and the others can hide or reorder what a word shows.
        word = "".join(
            ch for ch in word if unicodedata.category(ch) not in ("Cc", "Cf") or ch.isspace()
        )
        word = " ".join(word.split())[:MAX_WORD_LENGTH]
        if word and word.lower() not in (w.lower() for w in cleaned):
            cleaned.append(word)
    if not cleaned:
        raise VoteError("empty", _("Typ minstens één woord."))
    if len(cleaned) > MAX_WORDS:
        raise VoteError("too_many", _("Je mag hoogstens %(n)s woorden sturen.") % {"n": MAX_WORDS})
    if any(is_blocked(word) for word in cleaned):
        raise VoteError("blocked_word", _("Dit woord mag niet. Kies een ander woord."))
    return cleaned


def check_open(session: PollSession, question: PollQuestion) -> None:
    """VoteError unless this question is the current one and voting on it is open."""
    if session.status != PollSession.Status.RUNNING or session.current_question_id != question.pk:
        raise VoteError("not_current", _("Deze vraag is niet meer aan de beurt."))
    if not session.voting_open:
        raise VoteError("closed", _("Stemmen is gesloten voor deze vraag."))


def _count_words(question: PollQuestion, words: list[str], step: int) -> None:
    for word in words:
        key = word.lower()
        if step > 0:
            status = Word.Status.WAITING if question.moderate_words else Word.Status.SHOWN
            obj, created = Word.objects.get_or_create(
                question=question, text=key, defaults={"status": status, "count": 1}
            )
            if not created:
                Word.objects.filter(pk=obj.pk).update(count=F("count") + 1)
        else:
            Word.objects.filter(question=question, text=key, count__gt=0).update(
                count=F("count") - 1
            )


def _replayed(vote_uuid: uuid.UUID, participant: str) -> Vote | None:
    """The stored vote when this vote id was seen before (a retry); VoteError if not theirs."""
    existing = Vote.objects.filter(vote_id=vote_uuid).first()
    if existing is not None and existing.participant != participant:
        raise VoteError("bad_message", _("Er ging iets mis met je stem. Probeer het nog een keer."))
    return existing


def cast_vote(
    session: PollSession, question: PollQuestion, participant: str, vote_id: uuid.UUID | str, raw
) -> tuple[Vote, bool]:
    """Store a vote (or replace this participant's earlier one); True when it changed something.

    A vote id seen before returns the stored vote unchanged, so a retried message counts once.
    """
    try:
        vote_uuid = uuid.UUID(str(vote_id))
    except ValueError:
        raise VoteError(
            "bad_message", _("Er ging iets mis met je stem. Probeer het nog een keer.")
        ) from None
    existing = _replayed(vote_uuid, participant)
    if existing is not None:
        return existing, False
    with transaction.atomic():
        session = PollSession.objects.select_for_update().get(pk=session.pk)
        # Again under the lock: a copy of this message may have been stored while we waited.
        existing = _replayed(vote_uuid, participant)
        if existing is not None:
            return existing, False
        check_open(session, question)
        answer = clean_answer(question, raw)
        previous = (
            Vote.objects.select_for_update()
            .filter(question=question, participant=participant)
            .first()
        )
        if previous is not None:
            if question.kind == Kind.WORDS:
                _count_words(question, previous.answer, -1)
            previous.answer = answer
            previous.vote_id = vote_uuid
            previous.save(update_fields=["answer", "vote_id", "updated_at"])
            vote = previous
        else:
            try:
                with transaction.atomic():
                    vote = Vote.objects.create(
                        question=question, participant=participant, vote_id=vote_uuid, answer=answer
                    )
            except IntegrityError:
                # The same vote id arrived twice at the same moment: the first one counts.
                return Vote.objects.get(vote_id=vote_uuid), False
        if question.kind == Kind.WORDS:
            _count_words(question, answer, +1)
    return vote, True


def tally(question: PollQuestion) -> dict:
    """The absolute results of one question, ready to show or send.

    The database groups the votes (one row per distinct answer), so a tally costs one query
    however many phones voted; words are counted per word in Word rows already.
    """
    result: dict = {"question": question.pk, "kind": question.kind}
    if question.kind == Kind.WORDS:
        result["total"] = Vote.objects.filter(question=question).count()
        words = Word.objects.filter(question=question, status=Word.Status.SHOWN, count__gt=0)
        result["words"] = [
            {"text": w.text, "count": w.count} for w in words.order_by("-count", "text")[:60]
        ]
        return result
    groups = list(
        Vote.objects.filter(question=question)
        .order_by()
        .values_list("answer")
        .annotate(n=Count("pk"))
    )
    total = sum(n for _, n in groups)
    result["total"] = total
    opts = options(question)
    if question.kind == Kind.RANKING:
        sums = [0] * len(opts)
        for order, n in groups:
            for rank, index in enumerate(order, start=1):
                if index < len(sums):
                    sums[index] += rank * n
        result["options"] = sorted(
            (
                {
                    "label": option.label,
                    "average_rank": round(sums[option.index] / total, 2) if total else None,
                }
                for option in opts
            ),
            key=lambda item: (item["average_rank"] is None, item["average_rank"]),
        )
        return result
    counts = [0] * len(opts)
    for answer, n in groups:
        for index in answer if isinstance(answer, list) else [answer]:
            if 0 <= index < len(counts):
                counts[index] += n
    result["options"] = [
        {
            "label": option.label,
            "emoji": option.emoji,
            "count": counts[option.index],
            "percent": round(100 * counts[option.index] / total) if total else 0,
        }
        for option in opts
    ]
    return result


ACTIONS = ("start", "open", "close", "show", "hide", "next", "previous", "end")


def control(session: PollSession, action: str) -> PollSession:
    """Apply one host action to the session; the caller has checked the host's rights."""
    if action not in ACTIONS:
        raise VoteError("unknown_action", _("Deze knop bestaat niet."))
    with transaction.atomic():
        session = PollSession.objects.select_for_update().get(pk=session.pk)
        questions = session.ordered_questions()
        if not questions:
            raise VoteError("no_questions", _("Deze peiling heeft nog geen vragen."))
        position = next(
            (i for i, q in enumerate(questions) if q.pk == session.current_question_id), None
        )
        if action == "start":
            session.status = PollSession.Status.RUNNING
            if position is None:
                session.current_question = questions[0]
            session.voting_open, session.results_visible = True, False
        elif session.status != PollSession.Status.RUNNING:
            raise VoteError("not_running", _("Start de peiling eerst."))
        elif action in ("next", "previous"):
            step = 1 if action == "next" else -1
            target = (position or 0) + step
            if not 0 <= target < len(questions):
                raise VoteError("no_more", _("Er is geen vraag meer in die richting."))
            session.current_question = questions[target]
            session.voting_open, session.results_visible = True, False
        elif action == "end":
            session.status = PollSession.Status.ENDED
            session.voting_open = False
            session.results_visible = True
        else:
            session.voting_open = {"open": True, "close": False}.get(action, session.voting_open)
            session.results_visible = {"show": True, "hide": False}.get(
                action, session.results_visible
            )
        session.version += 1
        session.save()
    return session


def participant_count(session: PollSession) -> int:
    """How many different phones voted in this session."""
    return Vote.objects.filter(question__session=session).values("participant").distinct().count()
