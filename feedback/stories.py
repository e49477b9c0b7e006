"""Stories: consented open answers that staff approved and rewrote without names or places.

Plain functions for the story wall, the vote for the "story of the half-year", the admin and the
demo. What the public may see of a story is decided here, in one place: only approved answers
whose writer agreed to be quoted, and of those only the rewritten `story_text`, the half-year,
whether a young person or a parent wrote it, and the indicator it speaks to. The two open
answers themselves are never read for a public page. A voter's name is never shown anywhere;
staff see the reasons without names.

A story's half-year is the half-year in which the help ended (`end_period`), as for the
indicators it stands beside.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from feedback.choices import Respondent
from feedback.indicators import INDICATORS
from feedback.models import StoryOfHalfYear, StoryVote, SurveyResponse
from feedback.rules import can_moderate_stories

WHY_MAX_LENGTH = 500
HALF_YEAR_PATTERN = re.compile(r"^(\d{4})-H([12])$")
# What a public page reads of an answer: never the open answers themselves.
_PUBLIC_FIELDS = ("id", "story_text", "end_period", "period", "respondent", "story_indicator")


@dataclass(frozen=True)
class PublicStory:
    """A story as the public may see it."""

    pk: str
    text: str
    half_year: str
    respondent: str
    indicator_key: str = ""

    @property
    def respondent_label(self) -> Promise:
        """Who wrote it, in words: a young person or a parent."""
        return _("Een ouder") if self.respondent == Respondent.PARENT else _("Een jongere")

    @property
    def indicator_label(self) -> Promise | str:
        """The label of the indicator this story speaks to, or "" when it has none."""
        indicator = INDICATORS.get(self.indicator_key)
        return indicator.label if indicator else ""

    @property
    def half_year_label(self) -> str:
        """The half-year in words, such as "eerste helft van 2026"."""
        return half_year_label(self.half_year)


@dataclass(frozen=True)
class Highlight:
    """The published story of a half-year with why it was chosen."""

    story: PublicStory
    why: str


@dataclass
class HalfYearStories:
    """One half-year on the story wall: its story of the half-year first, then the others."""

    half_year: str
    highlight: Highlight | None
    stories: list[PublicStory] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The half-year in words."""
        return half_year_label(self.half_year)

    @property
    def anchor(self) -> str:
        """The id of this half-year's heading on the wall."""
        return f"halfjaar-{self.half_year.lower()}"


@dataclass
class VoteResult:
    """For staff: one story with how often the panel chose it and the reasons, without names."""

    story: PublicStory
    votes: int
    reasons: list[str]


class VoteRefused(Exception):
    """A vote that may not be cast; the message says why in plain words."""


class ChoiceRefused(Exception):
    """A story of the half-year that staff cannot choose; the message says why."""


def half_year_label(period: str) -> str:
    """ "2026-H1" in words ("eerste helft van 2026"); anything else as it is."""
    match = HALF_YEAR_PATTERN.match(period or "")
    if not match:
        return period
    year, half = match.groups()
    if half == "1":
        return str(_("eerste helft van %(year)s") % {"year": year})
    return str(_("tweede helft van %(year)s") % {"year": year})


def is_half_year(period: str) -> bool:
    """Whether a string is a half-year such as 2026-H1."""
    return bool(HALF_YEAR_PATTERN.match(period or ""))


def prefill_text(response: SurveyResponse) -> str:
    """The starting point for the moderator's rewrite: both open answers, one paragraph each."""
    texts = (response.most_important_change, response.what_should_change)
    return "\n\n".join(text.strip() for text in texts if text and text.strip())


# --- the public side ----------------------------------------------------------------------------


def public_queryset() -> QuerySet[SurveyResponse]:
    """Answers that may be published: approved, consented, with a rewritten text."""
    return (
        SurveyResponse.objects.filter(
            story_status=SurveyResponse.StoryStatus.APPROVED, consent_to_quote=True
        )
        .exclude(story_text="")
        .only(*_PUBLIC_FIELDS)
        .order_by("-end_period", "-period", "story_text", "id")
    )


def _public(response: SurveyResponse) -> PublicStory:
    return PublicStory(
        pk=str(response.pk),
        text=response.story_text.strip(),
        half_year=response.end_period,
        respondent=response.respondent,
        indicator_key=response.story_indicator if response.story_indicator in INDICATORS else "",
    )


def public_stories(period: str | None = None) -> list[PublicStory]:
    """Published stories, newest half-year first; only those of `period` when given."""
    queryset = public_queryset()
    if period is not None:
        queryset = queryset.filter(end_period=period)
    return [_public(response) for response in queryset]


def for_indicator(key: str, limit: int = 2) -> list[PublicStory]:
    """Up to `limit` published stories that speak to one indicator, newest half-year first."""
    if key not in INDICATORS or limit <= 0:
        return []
    return [_public(response) for response in public_queryset().filter(story_indicator=key)[:limit]]


def half_years() -> list[str]:
    """The half-years that have published stories, newest first."""
    return sorted(
        set(public_queryset().values_list("end_period", flat=True).order_by()), reverse=True
    )


def highlight(half_year: str) -> Highlight | None:
    """The published story of this half-year, while its story is still public."""
    chosen = StoryOfHalfYear.objects.filter(half_year=half_year, published=True).first()
    if chosen is None:
        return None
    story = public_queryset().filter(pk=chosen.story_id, end_period=half_year).first()
    return Highlight(_public(story), chosen.why) if story else None


def wall() -> list[HalfYearStories]:
    """The story wall: per half-year (newest first) the story of the half-year, then the rest."""
    stories = public_stories()
    chosen = {
        c.half_year: c
        for c in StoryOfHalfYear.objects.filter(published=True).only("half_year", "story", "why")
    }
    groups: dict[str, HalfYearStories] = {}
    for story in stories:
        group = groups.setdefault(story.half_year, HalfYearStories(story.half_year, None))
        pick = chosen.get(story.half_year)
        if pick is not None and str(pick.story_id) == story.pk:
            group.highlight = Highlight(story, pick.why)
        else:
            group.stories.append(story)
    return list(groups.values())


# --- voting -------------------------------------------------------------------------------------


def is_active_panel_member(user) -> bool:
    """A signed-in young person in the youth panel who no longer waits for a parent."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    from youth_panel.models import PanelMember

    return PanelMember.objects.confirmed().filter(user=user).exists()


def can_vote(user) -> bool:
    """Active panel members and story moderators choose the story of the half-year."""
    return is_active_panel_member(user) or can_moderate_stories(user)


def can_choose(user) -> bool:
    """Story moderators choose and publish the story of the half-year."""
    return can_moderate_stories(user)


def vote_half_year() -> str | None:
    """The half-year the panel votes on now: the newest one with published stories."""
    found = half_years()
    return found[0] if found else None


def voting_open(half_year: str) -> bool:
    """Votes may be cast or changed until staff publish the story of this half-year."""
    return not StoryOfHalfYear.objects.filter(half_year=half_year, published=True).exists()


def votable(half_year: str) -> QuerySet[SurveyResponse]:
    """The stories one may vote for in this half-year."""
    return public_queryset().filter(end_period=half_year)


def vote_of(user, half_year: str) -> StoryVote | None:
    """This user's vote for the half-year, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return StoryVote.objects.filter(half_year=half_year, voter=user).first()


def cast_vote(user, half_year: str, story: SurveyResponse, why: str) -> StoryVote:
    """Store or change the user's one vote for this half-year; VoteRefused when not allowed."""
    if not can_vote(user):
        raise VoteRefused(_("Alleen leden van het jongerenpanel kunnen een verhaal kiezen."))
    if not voting_open(half_year):
        raise VoteRefused(
            _("Het kiezen is voorbij. De gemeente heeft het verhaal al bekendgemaakt.")
        )
    if not votable(half_year).filter(pk=story.pk).exists():
        raise VoteRefused(_("Kies een verhaal uit de lijst."))
    why = (why or "").strip()
    if not why:
        raise VoteRefused(_("Schrijf op waarom je dit verhaal kiest."))
    if len(why) > WHY_MAX_LENGTH:
        raise VoteRefused(_("Schrijf hoogstens %(max)s tekens.") % {"max": WHY_MAX_LENGTH})
    # update_or_create locks the row and retries on a concurrent insert: one vote per voter.
    vote, _created = StoryVote.objects.update_or_create(
        half_year=half_year, voter=user, defaults={"story": story, "why": why}
    )
    return vote


def results(half_year: str) -> list[VoteResult]:
    """For staff: every story of the half-year with its votes and reasons, most chosen first."""
    votes = StoryVote.objects.filter(half_year=half_year).order_by("updated_at", "pk")
    reasons: dict[str, list[str]] = {}
    for story_id, why in votes.values_list("story_id", "why"):
        reasons.setdefault(str(story_id), []).append(why)
    found = [
        VoteResult(story, len(reasons.get(story.pk, [])), reasons.get(story.pk, []))
        for story in public_stories(half_year)
    ]
    return sorted(found, key=lambda result: -result.votes)


def overview() -> list[dict]:
    """For staff: per half-year with stories, how many stories and votes, and the choice."""
    counts = dict(StoryVote.objects.values_list("half_year").annotate(n=Count("pk")).order_by())
    chosen = {c.half_year: c for c in StoryOfHalfYear.objects.all()}
    rows = []
    for period in half_years():
        rows.append(
            {
                "half_year": period,
                "label": half_year_label(period),
                "stories": votable(period).count(),
                "votes": counts.get(period, 0),
                "choice": chosen.get(period),
            }
        )
    return rows


def current_choice(half_year: str) -> StoryOfHalfYear | None:
    """Staff's choice for this half-year, published or not."""
    return StoryOfHalfYear.objects.filter(half_year=half_year).first()


def choose(half_year: str, story: SurveyResponse, why: str, published: bool) -> StoryOfHalfYear:
    """Record staff's story of the half-year; publishing it closes the panel's vote."""
    if not votable(half_year).filter(pk=story.pk).exists():
        raise ChoiceRefused(_("Kies een goedgekeurd verhaal uit dit halve jaar."))
    why = (why or "").strip()
    if not why:
        raise ChoiceRefused(_("Schrijf op waarom dit het verhaal van het halfjaar is."))
    with transaction.atomic():
        chosen, _created = StoryOfHalfYear.objects.select_for_update().get_or_create(
            half_year=half_year, defaults={"story": story, "why": why}
        )
        chosen.story = story
        chosen.why = why
        chosen.published = published
        if published and chosen.published_at is None:
            chosen.published_at = timezone.now()
        chosen.save()
    return chosen


# --- demo ---------------------------------------------------------------------------------------

# The indicator each sentence of the synthetic demo (feedback.synthetic) speaks to.
_DEMO_INDICATORS: dict[str, str] = {
    "Ik werd eindelijk gehoord.": "agree_taken_seriously",
    "Er is minder ruzie thuis.": "agree_better_at_home",
    "We praten thuis meer met elkaar.": "agree_better_at_home",
    "Ik weet nu bij wie ik terecht kan.": "carry_on",
    "De hulpverlener dacht echt met ons mee.": "agree_decided_together",
    "Ik heb geleerd om hulp te vragen.": "carry_on",
    "Ik heb weer zin om naar school te gaan.": "agree_better_at_school",
    "Ik kan beter omgaan met mijn boosheid.": "agree_problems_reduced",
    "Ik voel me sterker dan eerst.": "carry_on",
    "Ik heb weer vrienden gemaakt.": "agree_problems_reduced",
    "Ik durf weer voor mezelf op te komen.": "agree_feels_safer",
    "Ons gezin heeft weer rust.": "agree_better_at_home",
    "Mijn kind slaapt weer goed.": "agree_problems_reduced",
    "Mijn dochter gaat weer met plezier naar school.": "agree_better_at_school",
    "Ik snap nu beter wat mijn kind nodig heeft.": "carry_on",
    "Er is eigenlijk weinig veranderd.": "agree_problems_reduced",
    "De problemen zijn nog hetzelfde.": "agree_problems_reduced",
    "Het ging even beter, maar nu niet meer.": "carry_on",
    "Ik weet nog steeds niet goed waar ik heen moet.": "carry_on",
    "Ik merk er thuis niet veel van.": "agree_better_at_home",
    "Mijn zoon zit nog steeds thuis zonder school.": "agree_better_at_school",
    "Het duurde te lang voordat de hulp begon.": "agree_started_fast",
    "De wachtlijst was veel te lang.": "agree_started_fast",
    "Ik moest mijn verhaal steeds opnieuw vertellen.": "agree_taken_seriously",
    "Ik wil meer uitleg over wat er gaat gebeuren.": "agree_decided_together",
    "De hulp stopte te snel.": "ended_right_moment",
    "Luister beter naar wat kinderen zelf willen.": "agree_taken_seriously",
    "De gesprekken waren te vaak onder schooltijd.": "agree_better_at_school",
    "Neem ouders eerder serieus.": "agree_taken_seriously",
    "Maak betere afspraken tussen school en de hulp.": "agree_better_at_school",
    "Kijk ook naar de broers en zussen.": "agree_better_at_home",
    "Alleen de start kon sneller, de rest was goed.": "agree_started_fast",
}
_DEMO_FALLBACK_INDICATOR = "mark_mean"
# Demo panel members: no e-mail address, no password, so they never get mail and cannot sign in.
_DEMO_VOTERS = (
    ("demo-panellid-1", "16-17", "Centrum"),
    ("demo-panellid-2", "18-23", "Bergermeer"),
    ("demo-panellid-3", "16-17", "Oudorp"),
)
_DEMO_REASONS = (
    "Dit verhaal laat zien dat luisteren echt helpt. Dat wil ik voor iedereen.",
    "Ik herken dit. Als iemand naar je luistert, durf je meer te vertellen.",
    "Het is eerlijk. Ook wat niet goed ging, mag gezegd worden.",
)
_DEMO_WHY = (
    "Het jongerenpanel koos dit verhaal. Het laat zien wat goede hulp doet: iemand die echt "
    "naar je luistert. Dat willen we voor elke jongere in Alkmaar."
)


def _demo_indicator(response: SurveyResponse) -> str:
    for text in (response.most_important_change, response.what_should_change):
        key = _DEMO_INDICATORS.get(text.strip())
        if key in INDICATORS:
            return key
    return _DEMO_FALLBACK_INDICATOR if _DEMO_FALLBACK_INDICATOR in INDICATORS else ""


def _demo_voters() -> list:
    from youth_panel.models import CONSENT_VERSION, DISTRICTS, PanelMember

    User = get_user_model()
    voters = []
    for username, age_band, district in _DEMO_VOTERS:
        user, created = User.objects.get_or_create(username=username, defaults={"email": ""})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        PanelMember.objects.get_or_create(
            user=user,
            defaults={
                "age_band": age_band,
                "district": district if district in DISTRICTS else DISTRICTS[0],
                "consent_version": CONSENT_VERSION,
                "consented_at": timezone.now(),
                "needs_parent": False,
            },
        )
        voters.append(user)
    return voters


def _preferred(stories: list[SurveyResponse]) -> SurveyResponse:
    """A young person's story about being taken seriously, else the first."""
    for story in stories:
        if (
            story.respondent == Respondent.YOUTH
            and story.story_indicator == "agree_taken_seriously"
        ):
            return story
    for story in stories:
        if story.respondent == Respondent.YOUTH:
            return story
    return stories[0]


def seed_demo_stories(now: datetime.datetime | None = None) -> str:
    """Make the demo's stories complete; a second run changes nothing.

    Approved synthetic stories get a text for the website and an indicator; three demo panel
    members vote on the two newest half-years with stories, with reasons; the older of the two
    gets a published story of the half-year, so the newest stays open for voting.
    """
    now = now or timezone.now()
    written = votes = chosen = 0
    with transaction.atomic():
        approved = SurveyResponse.objects.filter(
            synthetic=True,
            consent_to_quote=True,
            story_status=SurveyResponse.StoryStatus.APPROVED,
        )
        for response in approved.filter(Q(story_text="") | Q(story_indicator="")):
            if not response.story_text:
                response.story_text = prefill_text(response)
                written += 1
            if not response.story_indicator:
                response.story_indicator = _demo_indicator(response)
            response.save(update_fields=["story_text", "story_indicator"])

        periods = [
            p
            for p in half_years()
            if public_queryset().filter(end_period=p, synthetic=True).exists()
        ][:2]
        if not periods:
            return "Demo stories: no approved synthetic stories, nothing to do."
        voters = _demo_voters()
        for index, period in enumerate(reversed(periods)):
            stories = list(public_queryset().filter(end_period=period, synthetic=True))
            favourite = _preferred(stories)
            other = next((s for s in stories if s.pk != favourite.pk), favourite)
            for number, voter in enumerate(voters):
                # The older half-year: all three vote; the newest: two, so one can still vote.
                if index == 1 and number == 2:
                    continue
                story = other if number == 2 else favourite
                _vote, created = StoryVote.objects.get_or_create(
                    half_year=period,
                    voter=voter,
                    defaults={"story": story, "why": _DEMO_REASONS[number]},
                )
                votes += created
            if index == 0 and len(periods) == 2:
                _choice, created = StoryOfHalfYear.objects.get_or_create(
                    half_year=period,
                    defaults={
                        "story": favourite,
                        "why": _DEMO_WHY,
                        "published": True,
                        "published_at": now,
                    },
                )
                chosen += created
    return (
        f"Demo stories: {written} texts written, {votes} votes, "
        f"{chosen} story of the half-year published."
    )


def cited(action) -> list[PublicStory]:
    """The stories a "wij deden" action cites, as the public may see them: a story that is no
    longer approved (or lost its website text) is left out."""
    return [_public(response) for response in public_queryset().filter(actions=action)]
