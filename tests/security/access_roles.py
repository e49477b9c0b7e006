"""Personas and one shared world for the access walk (tests/security/test_access_walk.py).

Every owner has a twin, so each URL with an id can be tried with the caller's own object and
with someone else's ("swapped ids"):

- organisations A and B, each with a confirmed member (stakeholder_a, stakeholder_b) and
  comments of every kind (public, staff-only, waiting, hidden) on an open consultation, and a
  staff-only comment on a closed one;
- providers X and Y, each with a staff member (provider_x, provider_y), a case, invitations
  with known plain codes and an anonymous answer with a danger signal;
- poll A hosted by stakeholder_a (live room), poll B hosted by stakeholder_b (counted, with
  paper codes), and an ended poll with public results.

Personas (who can do what):
- `anonymous`: reads the public site.
- `young`: signed in, not in the panel, no organisation.
- `panel`: an active youth panel member; votes for the story of the half-year.
- `stakeholder_a` / `stakeholder_b`: confirmed for organisation A / B; host of poll A / B.
- `provider_x` / `provider_y`: staff of provider X / Y; cases, letters and own figures.
- `editor`: group Beleidsmedewerkers (policy officer), Wagtail admin.
- `moderator`: group Moderators, Wagtail admin.
- `admin`: superuser.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import PageViewRestriction, Site

from consultations.models import (
    Comment,
    ConsultationIndexPage,
    ConsultationPage,
    Membership,
    Organisation,
    YouthQuestion,
)
from consultations.rules import MODERATORS_GROUP, POLICY_GROUP
from feedback.choices import AgeBand, Channel, District, EndReason, HelpType, Referrer
from feedback.invitations import issue_invitations
from feedback.models import (
    Action,
    Case,
    HalfYearReport,
    Provider,
    SafeguardingFlag,
    SurveyResponse,
)
from home.models import CoreTask
from youth_panel import counted, panel
from youth_panel.models import PanelMember, PollQuestion, PollSession, Word
from youth_panel.polls import control

ROLES = (
    "anonymous",
    "young",
    "panel",
    "stakeholder_a",
    "stakeholder_b",
    "provider_x",
    "provider_y",
    "editor",
    "moderator",
    "admin",
)

DRAFT = """# 1. Een sterke sociale basis

Jongeren vinden steun in hun eigen omgeving.

# 2. Een stevig lokaal team

Het CJG is de plek voor hulp dichtbij.
"""


@dataclass
class World:
    """Every object the walk fills into URLs, by owner."""

    users: dict = field(default_factory=dict)
    org: dict = field(default_factory=dict)
    provider: dict = field(default_factory=dict)
    case: dict = field(default_factory=dict)
    invitation: dict = field(default_factory=dict)
    code: dict = field(default_factory=dict)  # plain survey codes, per provider
    response: dict = field(default_factory=dict)  # SurveyResponse (story) per provider
    flag: dict = field(default_factory=dict)  # SafeguardingFlag per provider
    comment: dict = field(default_factory=dict)  # (org, kind) -> Comment
    poll: dict = field(default_factory=dict)
    word: dict = field(default_factory=dict)  # per poll
    membership: dict = field(default_factory=dict)
    consultation: ConsultationPage | None = None
    closed_consultation: ConsultationPage | None = None
    youth_round: ConsultationPage | None = None
    draft_consultation: ConsultationPage | None = None
    restricted: ConsultationPage | None = None
    core_task: CoreTask | None = None
    report_public: HalfYearReport | None = None
    report_draft: HalfYearReport | None = None
    action: Action | None = None
    parent_token: str = ""
    unsubscribe_token: str = ""
    waiting_member: PanelMember | None = None


def _user(username: str, **extra):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", **extra
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _consultation(index, slug: str, opens: datetime.datetime, closes: datetime.datetime, **kw):
    page = ConsultationPage(
        title=kw.pop("title", f"Inspraak {slug}"),
        slug=slug,
        summary="Zeg wat u van de tekst vindt.",
        audience=kw.pop("audience", ConsultationPage.Audience.STAKEHOLDERS),
        opens_at=opens,
        closes_at=closes,
        moderation=ConsultationPage.Moderation.AFTER,
        draft_text=kw.pop("draft_text", DRAFT),
        **kw,
    )
    index.add_child(instance=page)
    page.save_revision().publish()
    return ConsultationPage.objects.get(pk=page.pk)


def _comment(page, org, author, visibility, status, text) -> Comment:
    version = page.current_version()
    chapter = version.chapters.first()
    return Comment.objects.create(
        consultation=page,
        version=version,
        chapter=chapter,
        paragraph=chapter.paragraphs.first(),
        organisation=org,
        author=author,
        text=text,
        visibility=visibility,
        status=status,
    )


def _case(provider, reference: str) -> Case:
    return Case.objects.create(
        reference=reference,
        provider=provider,
        help_type=HelpType.AMBULANT,
        referrer=Referrer.GP,
        start_month=datetime.date(2026, 1, 1),
        end_month=datetime.date(2026, 3, 1),
        end_reason=EndReason.AS_PLANNED,
        district=District.OUDORP,
        age_band=AgeBand.AGE_12_15,
        channel=Channel.LETTER,
    )


def _poll(title: str, join_code: str, host, **fields) -> PollSession:
    poll = PollSession.objects.create(title=title, join_code=join_code, **fields)
    PollQuestion.objects.create(
        session=poll, sort_order=0, text="Welke woorden?", kind=PollQuestion.Kind.WORDS
    )
    PollQuestion.objects.create(
        session=poll, sort_order=1, text="Ja of nee?", kind=PollQuestion.Kind.YES_NO
    )
    if host is not None:
        poll.hosts.add(host)
    return control(poll, "start")


def build_world() -> World:
    """Make every persona and object; a few hundred milliseconds on SQLite."""
    w = World()
    now = timezone.now()
    users = w.users
    users["young"] = _user("jongere")
    users["panel"] = _user("panellid")
    PanelMember.objects.create(
        user=users["panel"],
        age_band=PanelMember.AgeBand.AGE_16_17,
        district=District.OUDORP,
        consent_version="1",
        consented_at=now,
    )
    # A member under 16 whose parent has not confirmed yet: the parent link's token.
    waiting = _user("wacht-op-ouder")
    w.waiting_member = PanelMember.objects.create(
        user=waiting,
        age_band=PanelMember.AgeBand.AGE_12_15,
        district=District.OUDORP,
        consent_version="1",
        consented_at=now,
        needs_parent=True,
        parent_email="ouder@example.org",
        parent_token_hash=panel.hash_token("ouder-link-token-0123456789"),
        parent_requested_at=now,
    )
    w.parent_token = "ouder-link-token-0123456789"
    w.unsubscribe_token = panel.unsubscribe_token(PanelMember.objects.get(user=users["panel"]))

    w.org = {
        "A": Organisation.objects.create(name="Zorg A", kind=Organisation.Kind.CARE_PROVIDER),
        "B": Organisation.objects.create(name="School B", kind=Organisation.Kind.SCHOOL),
    }
    for key in ("a", "b"):
        user = _user(f"lid-{key}")
        users[f"stakeholder_{key}"] = user
        w.membership[key.upper()] = Membership.objects.create(
            user=user, organisation=w.org[key.upper()], confirmed_at=now
        )
    # A also asked for B, which staff did not confirm: that must not let A comment for B.
    Membership.objects.create(user=users["stakeholder_a"], organisation=w.org["B"])

    w.provider = {"X": Provider.objects.create(name="Aanbieder X")}
    w.provider["Y"] = Provider.objects.create(name="Aanbieder Y")
    for key in ("x", "y"):
        users[f"provider_{key}"] = _user(f"aanbieder-{key}")
        w.provider[key.upper()].members.add(users[f"provider_{key}"])

    users["editor"] = _user("beleid", is_staff=True)
    users["editor"].groups.add(Group.objects.get(name=POLICY_GROUP))
    users["moderator"] = _user("moderator", is_staff=True)
    users["moderator"].groups.add(Group.objects.get(name=MODERATORS_GROUP))
    users["admin"] = get_user_model().objects.create_superuser(
        "admin", "admin@example.org", "x" * 16
    )

    # Consultations: an open one with comments of every kind, a closed one, a youth round and
    # an unpublished draft.
    home = Site.objects.get(is_default_site=True).root_page
    index = ConsultationIndexPage(title="Inspraak", slug="inspraak")
    home.add_child(instance=index)
    index.save_revision().publish()
    day = datetime.timedelta(days=1)
    w.consultation = _consultation(index, "open", now - day, now + 14 * day)
    w.closed_consultation = _consultation(index, "gesloten", now - 40 * day, now - 10 * day)
    w.youth_round = _consultation(
        index,
        "jongeren",
        now - day,
        now + 14 * day,
        audience=ConsultationPage.Audience.YOUTH_PANEL,
        draft_text="",
    )
    YouthQuestion.objects.create(
        page=w.youth_round,
        sort_order=0,
        kind=YouthQuestion.Kind.SINGLE,
        text="Vind je je weg?",
        options_text="Ja\nNee",
        required=True,
    )
    draft = ConsultationPage(
        title="Nog niet openbaar",
        slug="concept",
        summary="-",
        audience=ConsultationPage.Audience.STAKEHOLDERS,
        opens_at=now - day,
        closes_at=now + 14 * day,
        draft_text=DRAFT,
        live=False,
    )
    index.add_child(instance=draft)
    draft.save_revision()
    w.draft_consultation = ConsultationPage.objects.get(pk=draft.pk)

    # A consultation only policy staff may open (Wagtail page privacy: groups).
    w.restricted = _consultation(index, "besloten", now - day, now + 14 * day, title="Besloten-zzq")
    restriction = PageViewRestriction.objects.create(
        page=w.restricted, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.get(name=POLICY_GROUP))

    V, S = Comment.Visibility, Comment.Status
    for key in ("A", "B"):
        author = users[f"stakeholder_{key.lower()}"]
        org = w.org[key]
        w.comment[key, "public"] = _comment(
            w.consultation, org, author, V.PUBLIC, S.PUBLISHED, f"Openbaar van {key}"
        )
        w.comment[key, "staff_only"] = _comment(
            w.consultation, org, author, V.STAFF_ONLY, S.PUBLISHED, f"Geheim-{key}-zzq"
        )
        w.comment[key, "pending"] = _comment(
            w.consultation, org, author, V.PUBLIC, S.PENDING, f"Wacht-{key}-zzq"
        )
        w.comment[key, "hidden"] = _comment(
            w.consultation, org, author, V.PUBLIC, S.HIDDEN, f"Verborgen-{key}-zzq"
        )
        w.comment[key, "closed_staff_only"] = _comment(
            w.closed_consultation, org, author, V.STAFF_ONLY, S.PUBLISHED, f"Dicht-{key}-zzq"
        )

    # Feedback: cases with invitations (plain codes kept here), answers with a signal.
    for key in ("X", "Y"):
        case = _case(w.provider[key], f"{key}-000001")
        w.case[key] = case
        issued = issue_invitations(case)
        w.invitation[key] = issued[0].invitation
        w.code[key] = issued[0].code
        response = SurveyResponse.objects.create(
            respondent="youth",
            period="2026-03",
            provider=w.provider[key],
            help_type=HelpType.AMBULANT,
            end_reason=EndReason.AS_PLANNED,
            district=District.OUDORP,
            age_band=AgeBand.AGE_12_15,
            end_period="2026-H1",
            what_should_change=f"Ik ben bang thuis {key}-zzq",
            consent_to_quote=True,
            story_status=SurveyResponse.StoryStatus.APPROVED,
            story_text=f"Het hielp mij {key}.",
        )
        w.response[key] = response
        w.flag[key] = SafeguardingFlag.objects.create(response=response, matched="bang")

    w.core_task = CoreTask.objects.create(
        number=7, title="Een sterke sociale basis", short_title="Sociale basis", slug="basis"
    )
    # Both consultations are about this core task, so "wat jullie zeiden" could list them.
    for page in (w.consultation, w.restricted):
        page.core_tasks.add(w.core_task)
        page.save()
    w.comment["A", "restricted"] = _comment(
        w.restricted, w.org["A"], users["stakeholder_a"], V.PUBLIC, S.PUBLISHED,
        "Besloten-reactie-zzq",
    )  # fmt: skip
    w.report_public = HalfYearReport.objects.create(
        period="2025-H2", title="Rapport", summary="-", analysis="-", implications="-",
        published=True, published_at=now,
    )  # fmt: skip
    w.report_draft = HalfYearReport.objects.create(
        period="2026-H1", title="Concept-zzq", summary="-", analysis="-", implications="-"
    )
    w.action = Action.objects.create(title="Meer jongerenwerk", description="-")

    # Polls: A is a live room hosted by stakeholder_a; B is counted, hosted by stakeholder_b.
    w.poll["A"] = _poll("Peiling A", "AAAA22", users["stakeholder_a"])
    w.poll["B"] = _poll(
        "Peiling B", "BBBB33", users["stakeholder_b"], mode=PollSession.Mode.COUNTED
    )
    counted.issue_codes(w.poll["B"], 3)
    ended = _poll("Afgelopen", "EEEE44", None, results_public=True)
    w.poll["ended"] = control(ended, "end")
    for key in ("A", "B"):
        question = w.poll[key].questions.get(kind=PollQuestion.Kind.WORDS)
        w.word[key] = Word.objects.create(question=question, text=f"woord{key.lower()}")
    return w
