"""Synthetic demo feedback: closed cases, invitations and answers with a structure worth showing.

`seed_synthetic_feedback` fills an empty demo with about 2,000 closed cases over the four
half-years before today, the invitations the age rules produce, and answers drawn from
plausible distributions: some providers clearly better than others, a mild upward trend,
parents a little more positive than young people, cases ended early by the client worse.
Everything is marked `synthetic`, the random generator has a fixed seed (the same demo every
time) and a second run changes nothing. The codes are thrown away: only their hashes are kept,
as for real invitations, so no demo code opens the survey.
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from feedback import tally
from feedback.choices import (
    AgeBand,
    Agreement,
    Channel,
    District,
    EndedRightMoment,
    EndReason,
    FurtherHelp,
    GoalsReached,
    HelpType,
    NoInviteReason,
    Referrer,
    Respondent,
)
from feedback.invitations import hash_code, new_code, respondents_for
from feedback.models import Case, Invitation, Provider, SurveyResponse
from feedback.survey import case_categories, half_year

DEFAULT_CASES = 2000
DEFAULT_SEED = 20261122
HALF_YEARS = 4
BATCH_SIZE = 500
REFERENCE_PREFIX = "DEMO-"
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_REFERENCE_LENGTH = 8

Weights = dict[str, float]


@dataclass(frozen=True)
class DemoProvider:
    """A made-up provider: the help it gives and how good it is on average."""

    name: str
    is_cjg: bool
    mean_mark: float
    help_types: tuple[str, ...]


# Base marks from 6.2 to 7.7 (the demo's observed means come out at about 6.3 to 7.8); the best
# and the worst both give ambulant help, so the difference shows within one type of help too.
PROVIDERS: tuple[DemoProvider, ...] = (
    DemoProvider("CJG Alkmaar (demo)", True, 7.3, (HelpType.LOCAL_TEAM,)),
    DemoProvider("Demo Wijkteam Alkmaar-Oost", True, 6.7, (HelpType.LOCAL_TEAM,)),
    DemoProvider(
        "Demo Zorgaanbieder Noord",
        False,
        7.7,
        (HelpType.AMBULANT, HelpType.DAY_TREATMENT, HelpType.OWN_NETWORK),
    ),
    DemoProvider("Demo Jeugd GGZ", False, 6.2, (HelpType.AMBULANT, HelpType.DAY_TREATMENT)),
    DemoProvider(
        "Demo Gezinshulp West",
        False,
        7.1,
        (HelpType.AMBULANT, HelpType.OWN_NETWORK, HelpType.FOSTER_CARE, HelpType.FAMILY_HOME),
    ),
    DemoProvider(
        "Demo Verblijf en Pleegzorg",
        False,
        6.8,
        (
            HelpType.FOSTER_CARE,
            HelpType.FAMILY_HOME,
            HelpType.SECURE_RESIDENTIAL,
            HelpType.OTHER_RESIDENTIAL,
            HelpType.DAY_TREATMENT,
        ),
    ),
)

HELP_TYPES: Weights = {
    HelpType.LOCAL_TEAM: 30,
    HelpType.AMBULANT: 35,
    HelpType.DAY_TREATMENT: 8,
    HelpType.OWN_NETWORK: 7,
    HelpType.FOSTER_CARE: 6,
    HelpType.FAMILY_HOME: 4,
    HelpType.SECURE_RESIDENTIAL: 2,
    HelpType.OTHER_RESIDENTIAL: 8,
}
# Longest duration in months, per type of help; the start month is drawn up to this far back.
MAX_MONTHS: dict[str, int] = {
    HelpType.LOCAL_TEAM: 8,
    HelpType.AMBULANT: 12,
    HelpType.DAY_TREATMENT: 12,
    HelpType.OWN_NETWORK: 10,
    HelpType.FOSTER_CARE: 36,
    HelpType.FAMILY_HOME: 36,
    HelpType.SECURE_RESIDENTIAL: 9,
    HelpType.OTHER_RESIDENTIAL: 18,
}
REFERRERS: Weights = {
    Referrer.MUNICIPALITY: 40,
    Referrer.GP: 28,
    Referrer.YOUTH_DOCTOR: 7,
    Referrer.SPECIALIST: 10,
    Referrer.CERTIFIED_INSTITUTION: 8,
    Referrer.COURT: 4,
    Referrer.NONE: 3,
}
REFERRERS_LOCAL_TEAM: Weights = {
    Referrer.MUNICIPALITY: 70,
    Referrer.GP: 10,
    Referrer.YOUTH_DOCTOR: 10,
    Referrer.NONE: 10,
}
REFERRERS_SECURE: Weights = {
    Referrer.COURT: 50,
    Referrer.CERTIFIED_INSTITUTION: 40,
    Referrer.MUNICIPALITY: 10,
}
END_REASONS: Weights = {
    EndReason.AS_PLANNED: 60,
    EndReason.EARLY_AGREED: 15,
    EndReason.EARLY_CLIENT: 12,
    EndReason.EARLY_PROVIDER: 5,
    EndReason.EXTERNAL: 8,
}
DISTRICTS: Weights = {
    District.CENTRUM: 7,
    District.OUDORP: 7,
    District.DAALMEER_KOEDIJK: 8,
    District.DE_MARE: 9,
    District.HOEF: 5,
    District.OVERSTAD: 5,
    District.VROONERMEER: 8,
    District.HUISWAARD: 9,
    District.OOSTERWEZEN: 6,
    District.OUDE_GRACHT: 6,
    District.BERGERMEER: 7,
    District.PETTEMERBUURT: 5,
    District.GRAFT_DE_RIJP: 5,
    District.STOMPETOREN: 4,
    District.SCHERMERHORN: 2,
    District.OTHER: 3,
}
AGE_BANDS: Weights = {
    AgeBand.AGE_0_3: 10,
    AgeBand.AGE_4_11: 38,
    AgeBand.AGE_12_15: 27,
    AgeBand.AGE_16_17: 15,
    AgeBand.AGE_18_22: 10,
}
CHANNELS: Weights = {Channel.LETTER: 45, Channel.EMAIL: 40, Channel.SMS: 15}
NO_INVITE_SHARE = 0.03
NO_INVITE_REASONS: Weights = {
    NoInviteReason.ANONYMOUS: 30,
    NoInviteReason.WITHOUT_PARENTS: 20,
    NoInviteReason.SAFETY: 40,
    NoInviteReason.DECEASED: 5,
}
YOUTH_AGREES_PARENT_INVITE = 0.3

RESPONSE_RATE = {Respondent.YOUTH: 0.35, Respondent.PARENT: 0.45}
RESPONSE_FACTOR = {EndReason.EARLY_CLIENT: 0.55, EndReason.EXTERNAL: 0.85}

# The mark is a latent score: provider mean + these effects + noise, rounded into 1-10.
TREND = (-0.3, -0.1, 0.1, 0.3)  # per half-year, oldest first
RESPONDENT_EFFECT = {Respondent.YOUTH: -0.35, Respondent.PARENT: 0.1}
END_REASON_EFFECT = {
    EndReason.AS_PLANNED: 0.25,
    EndReason.EARLY_AGREED: 0.0,
    EndReason.EARLY_CLIENT: -1.6,
    EndReason.EARLY_PROVIDER: -0.8,
    EndReason.EXTERNAL: -0.3,
}
HELP_TYPE_EFFECT = {HelpType.LOCAL_TEAM: 0.1, HelpType.SECURE_RESIDENTIAL: -0.5}
CASE_SPREAD = 0.6  # shared by the young person and the parent of one case
PERSON_SPREAD = 1.1

SKIP = 0.04  # every question is sometimes left blank
# Offsets on the five-point scale: waiting times are the usual complaint, being heard the praise.
AGREEMENT_ITEMS = {
    "problems_reduced": 0.0,
    "better_at_home": 0.0,
    "better_at_school": -0.3,
    "feels_safer": 0.2,
    "taken_seriously": 0.4,
    "decided_together": 0.1,
    "started_fast": -0.7,
}
DONT_KNOW = 0.04
NO_GOALS = 0.06
OPEN_ANSWER_SHARE = 0.3
CONSENT_SHARE = 0.5
PARENT_AGREES = 0.75
APPROVED_SHARE = 0.2

BOTH, YOUTH, PARENT = "both", Respondent.YOUTH, Respondent.PARENT
# Short B1 sentences, each with who could have written it.
CHANGE_GOOD: tuple[tuple[str, str], ...] = (
    ("Ik werd eindelijk gehoord.", BOTH),
    ("Er is minder ruzie thuis.", BOTH),
    ("We praten thuis meer met elkaar.", BOTH),
    ("Ik weet nu bij wie ik terecht kan.", BOTH),
    ("De hulpverlener dacht echt met ons mee.", BOTH),
    ("Ik heb geleerd om hulp te vragen.", BOTH),
    ("Ik heb weer zin om naar school te gaan.", YOUTH),
    ("Ik kan beter omgaan met mijn boosheid.", YOUTH),
    ("Ik voel me sterker dan eerst.", YOUTH),
    ("Ik heb weer vrienden gemaakt.", YOUTH),
    ("Ik durf weer voor mezelf op te komen.", YOUTH),
    ("Ons gezin heeft weer rust.", PARENT),
    ("Mijn kind slaapt weer goed.", PARENT),
    ("Mijn dochter gaat weer met plezier naar school.", PARENT),
    ("Ik snap nu beter wat mijn kind nodig heeft.", PARENT),
)
CHANGE_POOR: tuple[tuple[str, str], ...] = (
    ("Er is eigenlijk weinig veranderd.", BOTH),
    ("De problemen zijn nog hetzelfde.", BOTH),
    ("Het ging even beter, maar nu niet meer.", BOTH),
    ("Ik weet nog steeds niet goed waar ik heen moet.", BOTH),
    ("Ik merk er thuis niet veel van.", BOTH),
    ("Mijn zoon zit nog steeds thuis zonder school.", PARENT),
)
SHOULD_CHANGE: tuple[tuple[str, str], ...] = (
    ("Het duurde te lang voordat de hulp begon.", BOTH),
    ("De wachtlijst was veel te lang.", BOTH),
    ("Ik moest mijn verhaal steeds opnieuw vertellen.", BOTH),
    ("Er kwam steeds een andere hulpverlener.", BOTH),
    ("Ik wil meer uitleg over wat er gaat gebeuren.", BOTH),
    ("De hulp stopte te snel.", BOTH),
    ("Het was lastig om iemand te bereiken.", BOTH),
    ("Minder formulieren en meer tijd voor gesprekken.", BOTH),
    ("Luister beter naar wat kinderen zelf willen.", BOTH),
    ("De gesprekken waren te vaak onder schooltijd.", YOUTH),
    ("Ik wil liever appen dan bellen.", YOUTH),
    ("Neem ouders eerder serieus.", PARENT),
    ("Maak betere afspraken tussen school en de hulp.", PARENT),
    ("Kijk ook naar de broers en zussen.", PARENT),
)
SHOULD_CHANGE_NOTHING: tuple[tuple[str, str], ...] = (
    ("Niets, het was goed zo.", BOTH),
    ("Eigenlijk niets, ga zo door.", BOTH),
    ("Ik zou niets anders doen.", BOTH),
    ("Misschien iets vaker langskomen, verder was het prima.", BOTH),
    ("Alleen de start kon sneller, de rest was goed.", BOTH),
)
SENTENCES = tuple(
    text
    for table in (CHANGE_GOOD, CHANGE_POOR, SHOULD_CHANGE, SHOULD_CHANGE_NOTHING)
    for text, _ in table
)


@dataclass(frozen=True)
class SyntheticReport:
    """What one run created; `skipped` when synthetic feedback was already there."""

    cases: int = 0
    invitations: int = 0
    responses: int = 0
    stories: int = 0
    approved_stories: int = 0
    new_providers: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "Synthetic feedback already present: nothing to do."
        return (
            f"Synthetic feedback: {self.cases} cases, {self.invitations} invitations, "
            f"{self.responses} answers, {self.stories} stories ({self.approved_stories} "
            f"approved), {self.new_providers} new providers."
        )


@dataclass
class _PlannedCase:
    case: Case
    mean_mark: float
    half_year: int
    case_effect: float


def seed_synthetic_feedback(
    now: datetime.date | None = None, cases: int = DEFAULT_CASES, seed: int = DEFAULT_SEED
) -> SyntheticReport:
    """Create the synthetic demo cases, invitations and answers once; later calls do nothing."""
    now = now or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic(), tally.paused():
        if (
            Case.objects.filter(synthetic=True).exists()
            or SurveyResponse.objects.filter(synthetic=True).exists()
        ):
            return SyntheticReport(skipped=True)
        providers, new_providers = _providers()
        planned = _plan_cases(rng, providers, now, cases)
        Case.objects.bulk_create([p.case for p in planned], batch_size=BATCH_SIZE)
        _fill_missing_pks(planned)
        invitations, responses = _invitations_and_answers(rng, planned, now)
        Invitation.objects.bulk_create(invitations, batch_size=BATCH_SIZE)
        SurveyResponse.objects.bulk_create(responses, batch_size=BATCH_SIZE)
        tally.rebuild()
    stories = [r for r in responses if r.story_status]
    return SyntheticReport(
        cases=len(planned),
        invitations=len(invitations),
        responses=len(responses),
        stories=len(stories),
        approved_stories=sum(
            r.story_status == SurveyResponse.StoryStatus.APPROVED for r in stories
        ),
        new_providers=new_providers,
    )


def demo_half_years(now: datetime.date) -> list[str]:
    """The four half-years before the one `now` falls in, oldest first (e.g. 2024-H2..2026-H1)."""
    first = _first_month(now)
    return [half_year(_add_months(first, 6 * i)) for i in range(HALF_YEARS)]


def _providers() -> tuple[dict[str, tuple[Provider, DemoProvider]], int]:
    found: dict[str, tuple[Provider, DemoProvider]] = {}
    created_count = 0
    for demo in PROVIDERS:
        provider, created = Provider.objects.get_or_create(
            name=demo.name, defaults={"is_cjg": demo.is_cjg}
        )
        found[demo.name] = (provider, demo)
        created_count += created
    return found, created_count


def _plan_cases(
    rng: random.Random,
    providers: dict[str, tuple[Provider, DemoProvider]],
    now: datetime.date,
    count: int,
) -> list[_PlannedCase]:
    first = _first_month(now)
    months = 6 * HALF_YEARS
    taken = set(
        Case.objects.filter(reference__startswith=REFERENCE_PREFIX).values_list(
            "reference", flat=True
        )
    )
    planned: list[_PlannedCase] = []
    for _ in range(count):
        help_type = _pick(rng, HELP_TYPES)
        candidates = [pair for pair in providers.values() if help_type in pair[1].help_types]
        provider, demo = rng.choice(candidates)
        offset = rng.randrange(months)
        end_month = _add_months(first, offset)
        start_month = _add_months(end_month, -rng.randint(0, MAX_MONTHS[help_type]))
        age_band = _pick(rng, AGE_BANDS)
        no_invite = rng.random() < NO_INVITE_SHARE
        reasons = dict(NO_INVITE_REASONS)
        if age_band in (AgeBand.AGE_0_3, AgeBand.AGE_4_11):
            del reasons[NoInviteReason.WITHOUT_PARENTS]
        case = Case(
            reference=_reference(rng, taken),
            provider=provider,
            help_type=help_type,
            referrer=_pick(rng, _referrers(help_type)),
            start_month=start_month,
            end_month=end_month,
            end_reason=_pick(rng, _end_reasons(demo)),
            district=_pick(rng, DISTRICTS),
            age_band=age_band,
            channel=_pick(rng, CHANNELS),
            youth_agreed_parent_invite=(
                age_band in (AgeBand.AGE_16_17, AgeBand.AGE_18_22)
                and rng.random() < YOUTH_AGREES_PARENT_INVITE
            ),
            no_invite=no_invite,
            no_invite_reason=_pick(rng, reasons) if no_invite else "",
            synthetic=True,
        )
        planned.append(_PlannedCase(case, demo.mean_mark, offset // 6, rng.gauss(0, CASE_SPREAD)))
    return planned


def _fill_missing_pks(planned: list[_PlannedCase]) -> None:
    # Databases that cannot return keys from a bulk insert leave them empty: look them up.
    if all(p.case.pk for p in planned):
        return
    by_reference = dict(
        Case.objects.filter(reference__in=[p.case.reference for p in planned]).values_list(
            "reference", "pk"
        )
    )
    for p in planned:
        p.case.pk = by_reference[p.case.reference]


def _invitations_and_answers(
    rng: random.Random, planned: list[_PlannedCase], now: datetime.date
) -> tuple[list[Invitation], list[SurveyResponse]]:
    valid = datetime.timedelta(days=settings.SURVEY_CODE_VALID_DAYS)
    reminder = datetime.timedelta(days=settings.SURVEY_REMINDER_AFTER_DAYS)
    cutoff = datetime.datetime.combine(now, datetime.time(0), tzinfo=datetime.UTC)
    invitations: list[Invitation] = []
    responses: list[SurveyResponse] = []
    for p in planned:
        case = p.case
        for respondent in respondents_for(case):
            sent_at = datetime.datetime.combine(
                case.end_month, datetime.time(9), tzinfo=datetime.UTC
            ) + datetime.timedelta(days=rng.randint(3, 40))
            if sent_at + valid >= cutoff:  # demo codes are always expired
                sent_at = cutoff - valid - datetime.timedelta(days=1)
            rate = RESPONSE_RATE[respondent] * RESPONSE_FACTOR.get(case.end_reason, 1.0)
            answered = rng.random() < rate
            invitations.append(
                Invitation(
                    case=case,
                    respondent=respondent,
                    code_hash=hash_code(new_code()),
                    channel=case.channel,
                    expires_at=sent_at + valid,
                    sent_at=sent_at,
                    reminded_at=None if answered else sent_at + reminder,
                    used=answered,
                )
            )
            if answered:
                days = min(int(rng.expovariate(1 / 6)), valid.days - 1)
                answered_on = (sent_at + datetime.timedelta(days=days)).date()
                responses.append(_answer(rng, p, respondent, answered_on))
    return invitations, responses


def _answer(
    rng: random.Random, p: _PlannedCase, respondent: str, answered_on: datetime.date
) -> SurveyResponse:
    case = p.case
    latent = (
        p.mean_mark
        + TREND[p.half_year]
        + RESPONDENT_EFFECT[respondent]
        + END_REASON_EFFECT[case.end_reason]
        + HELP_TYPE_EFFECT.get(case.help_type, 0.0)
        + p.case_effect
        + rng.gauss(0, PERSON_SPREAD)
    )
    agreements = {
        name: _agreement(rng, latent, offset, _dont_know(name, case.age_band))
        for name, offset in AGREEMENT_ITEMS.items()
    }
    change, should_change = _open_answers(rng, latent, respondent)
    consent = parent_consent = False
    if (change or should_change) and rng.random() < CONSENT_SHARE:
        consent = True
        if respondent == Respondent.YOUTH and case.age_band == AgeBand.AGE_12_15:
            # As in the real survey: under-16s are quoted only with a parent's consent too.
            parent_consent = rng.random() < PARENT_AGREES
            consent = parent_consent
    story_status = SurveyResponse.StoryStatus.NONE
    if consent:
        story_status = (
            SurveyResponse.StoryStatus.APPROVED
            if rng.random() < APPROVED_SHARE
            else SurveyResponse.StoryStatus.PENDING
        )
    return SurveyResponse(
        respondent=respondent,
        period=answered_on.strftime("%Y-%m"),
        **case_categories(case),
        usefulness=None if rng.random() < SKIP else _clamp(round(latent), 1, 10),
        further_help=_further_help(rng, latent, case.end_reason),
        goals_reached=_goals(rng, latent, case.help_type),
        **agreements,
        ended_right_moment=_ended_right_moment(rng, latent, case.end_reason),
        most_important_change=change,
        what_should_change=should_change,
        consent_to_quote=consent,
        parent_consent=parent_consent,
        story_status=story_status,
        synthetic=True,
    )


def _agreement(rng: random.Random, latent: float, offset: float, dont_know: float) -> str:
    if rng.random() < SKIP:
        return ""
    if rng.random() < dont_know:
        return Agreement.DONT_KNOW
    score = 3.5 + 0.75 * (latent - 7) + offset + rng.gauss(0, 0.8)
    return str(_clamp(round(score), 1, 5))


def _dont_know(name: str, age_band: str) -> float:
    if name == "better_at_school":
        return 0.4 if age_band == AgeBand.AGE_0_3 else 0.08
    if name == "feels_safer":
        return 0.07
    return DONT_KNOW


def _goals(rng: random.Random, latent: float, help_type: str) -> str:
    if rng.random() < SKIP:
        return ""
    if rng.random() < (2 * NO_GOALS if help_type == HelpType.LOCAL_TEAM else NO_GOALS):
        return GoalsReached.NO_GOALS
    score = 3.4 + 0.8 * (latent - 7) + rng.gauss(0, 0.8)
    return str(_clamp(round(score), 1, 5))


def _further_help(rng: random.Random, latent: float, end_reason: str) -> str:
    if rng.random() < SKIP:
        return ""
    score = latent + rng.gauss(0, 1)
    if score >= 8:
        weights = {FurtherHelp.NONE: 55, FurtherHelp.LIGHTER: 25, FurtherHelp.NONE_BUT_EXPECTED: 15}
        weights[FurtherHelp.SAME_OR_HEAVIER] = 5
    elif score >= 6.5:
        weights = {FurtherHelp.NONE: 35, FurtherHelp.LIGHTER: 30, FurtherHelp.NONE_BUT_EXPECTED: 20}
        weights[FurtherHelp.SAME_OR_HEAVIER] = 15
    else:
        weights = {FurtherHelp.NONE: 12, FurtherHelp.LIGHTER: 20, FurtherHelp.NONE_BUT_EXPECTED: 20}
        weights[FurtherHelp.SAME_OR_HEAVIER] = 48
    if end_reason == EndReason.EARLY_CLIENT:
        weights[FurtherHelp.SAME_OR_HEAVIER] *= 1.5
    return _pick(rng, weights)


_ENDED_RIGHT: dict[str, tuple[float, float, float]] = {  # yes, partly, no
    EndReason.AS_PLANNED: (75, 18, 7),
    EndReason.EARLY_AGREED: (50, 35, 15),
    EndReason.EARLY_CLIENT: (25, 30, 45),
    EndReason.EARLY_PROVIDER: (15, 30, 55),
    EndReason.EXTERNAL: (30, 35, 35),
}


def _ended_right_moment(rng: random.Random, latent: float, end_reason: str) -> str:
    if rng.random() < SKIP:
        return ""
    yes, partly, no = _ENDED_RIGHT[end_reason]
    tilt = math.exp(0.3 * (latent - 7))
    return _pick(
        rng,
        {
            EndedRightMoment.YES: yes * tilt,
            EndedRightMoment.PARTLY: partly,
            EndedRightMoment.NO: no / tilt,
        },
    )


def _open_answers(rng: random.Random, latent: float, respondent: str) -> tuple[str, str]:
    if rng.random() >= OPEN_ANSWER_SHARE:
        return "", ""
    shape = rng.random()
    change = should_change = ""
    good = latent + rng.gauss(0, 0.5) >= 6.5
    if shape < 0.8:  # 45 % both, 35 % only the change, 20 % only what should change
        change = _sentence(rng, CHANGE_GOOD if good else CHANGE_POOR, respondent)
    if shape < 0.45 or shape >= 0.8:
        content = good and rng.random() < 0.4
        should_change = _sentence(
            rng, SHOULD_CHANGE_NOTHING if content else SHOULD_CHANGE, respondent
        )
    return change, should_change


def _sentence(rng: random.Random, table: tuple[tuple[str, str], ...], respondent: str) -> str:
    return rng.choice([text for text, who in table if who in (BOTH, respondent)])


def _referrers(help_type: str) -> Weights:
    if help_type == HelpType.LOCAL_TEAM:
        return REFERRERS_LOCAL_TEAM
    if help_type == HelpType.SECURE_RESIDENTIAL:
        return REFERRERS_SECURE
    return REFERRERS


def _end_reasons(demo: DemoProvider) -> Weights:
    # Weaker providers lose more clients along the way, so drop-out differs per provider too.
    weights = dict(END_REASONS)
    weights[EndReason.EARLY_CLIENT] *= max(0.3, 1 + 0.5 * (7 - demo.mean_mark))
    return weights


def _reference(rng: random.Random, taken: set[str]) -> str:
    while True:
        reference = REFERENCE_PREFIX + "".join(
            rng.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH)
        )
        if reference not in taken:
            taken.add(reference)
            return reference


def _pick(rng: random.Random, weights: Weights) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _first_month(now: datetime.date) -> datetime.date:
    """The first month of the oldest of the four half-years before the current one."""
    current = datetime.date(now.year, 1 if now.month <= 6 else 7, 1)
    return _add_months(current, -6 * HALF_YEARS)


def _add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)
