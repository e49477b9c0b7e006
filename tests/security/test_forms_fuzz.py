"""Every public form, fuzzed: generated posts through the real URL as the right user.

Each form gets 200 examples (50 in the PostgreSQL/Redis pass): data that Hypothesis draws from
the form's own fields (`hypothesis.extra.django.from_form`), that data with one field swapped
for something nasty (NUL, control and bidirectional characters, very long text, numbers as text,
lists, a missing field), and bodies of nothing but junk and unknown fields. For every example:

- the form class itself (where there is one) validates without raising;
- the view answers below 500 (the client does not re-raise, so a crash shows as a 500);
- a post that is refused (no redirect) has saved nothing.

Each example runs in a savepoint that is rolled back, and the client's cookies are put back
afterwards, so every example meets the same database and the same browser.

Personas: `visitor` (anonymous), `member` (confirmed for organisation A, in the youth panel),
`waiting` (a 12-15 panel member whose parent has not confirmed yet).
"""

from __future__ import annotations

import copy
import datetime
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_form
from wagtail.models import Site

# 200 examples per form in the embedded pass; the PostgreSQL/Redis pass, which sets the pace of
# `make test`, runs 50 of them to catch what only that database refuses (NUL in text).
EXAMPLES = 50 if os.environ.get("JEUGDSTEM_SERVICES", "") in {"1", "true", "yes"} else 200
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# --- what is posted -------------------------------------------------------------------------------

NASTY_TEXTS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\t\r\n",
    "\u202egnp.exe",
    "\u200b\u200d\ufeff",
    "0",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "true",
    "null",
    "[]",
    '{"a": 1}',
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '=HYPERLINK("http://x")',
    "../../etc/passwd",
    "%00",
    "😀" * 50,
    "x" * 5001,
    "y" * 70_000,
]
NASTY = st.one_of(
    st.sampled_from(NASTY_TEXTS),
    st.text(max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
# A field may come as one value or several (a list posts the name more than once).
VALUE = st.one_of(NASTY, st.lists(NASTY, min_size=2, max_size=4))
EXTRA_FIELDS = st.dictionaries(st.text(min_size=1, max_size=12), VALUE, max_size=3)


def encode(data: dict) -> dict:
    """Python values from from_form as a browser posts them (a box that is not ticked: absent)."""
    posted = {}
    for name, value in data.items():
        if value is None or value is False:
            continue
        if value is True:
            posted[name] = "on"
        elif isinstance(value, (list, tuple)):
            posted[name] = [str(item) for item in value]
        elif hasattr(value, "pk"):
            posted[name] = str(value.pk)
        else:
            posted[name] = str(value)
    return posted


def bodies(valid: st.SearchStrategy[dict], names: list[str]) -> st.SearchStrategy[dict]:
    """Good data, good data with one field spoilt or missing, and junk with unknown fields."""

    @st.composite
    def spoilt(draw):
        data = dict(draw(valid))
        name = draw(st.sampled_from(names))
        if draw(st.booleans()):
            data.pop(name, None)
        else:
            data[name] = draw(VALUE)
        return data

    junk = st.builds(
        lambda known, extra: {**extra, **known},
        st.fixed_dictionaries({}, optional=dict.fromkeys(names, VALUE)),
        EXTRA_FIELDS,
    )
    return st.one_of(valid, spoilt(), spoilt(), junk)


def query_dict(data: dict) -> QueryDict:
    """The posted dict as request.POST sees it."""
    result = QueryDict(mutable=True)
    for name, value in data.items():
        result.setlist(name, value if isinstance(value, list) else [value])
    return result


def form_data(form_class, form_kwargs: dict | None = None, **strategies) -> st.SearchStrategy:
    """Data for a form class, drawn by Hypothesis from the form's own fields, as posted."""
    return from_form(form_class, form_kwargs=form_kwargs or {}, **strategies).map(
        lambda form: encode(form.data)
    )


# --- running one example --------------------------------------------------------------------------


def rows(*models) -> Callable[[], tuple]:
    """A snapshot of what a view could save: every row of these models, as values."""
    return lambda: tuple(tuple(model.objects.order_by("pk").values_list()) for model in models)


@contextmanager
def example(client: Client) -> Iterator[None]:
    """One example: a savepoint rolled back at the end, the client's cookies put back."""
    cookies = copy.deepcopy(client.cookies)
    cache.clear()  # rate limits and the page cache start empty for every example
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies


def refused(response) -> bool:
    """The view did not accept the post: it showed a page (a form with errors) or an error."""
    return response.status_code not in (301, 302, 303)


class Outcomes:
    """What the examples of one form came to: both accepted and refused posts must occur."""

    def __init__(self) -> None:
        self.accepted = 0
        self.refused = 0

    def check(self) -> None:
        """The fuzzing reached the form's happy path and its error path."""
        assert self.accepted > 0, "no generated post was accepted: the valid data is wrong"
        assert self.refused > 0, "no generated post was refused"


def check_post(
    client: Client,
    url: str,
    data,
    state: Callable[[], object],
    outcomes: Outcomes | None = None,
    *,
    method: str = "post",
    form_valid: Callable[[QueryDict], bool] | None = None,
    **extra,
):
    """Post (or get) the data; no server error; when refused, nothing saved."""
    with example(client):
        valid = form_valid(query_dict(data)) if form_valid else None  # must not raise
        before = state()
        response = getattr(client, method)(url, data, **extra)
        assert response.status_code < 500, (url, data, response.status_code)
        if refused(response) or valid is False:
            assert state() == before, (url, data, response.status_code)
            if outcomes:
                outcomes.refused += 1
        elif outcomes:
            outcomes.accepted += 1
    return response


def fuzz_client(user=None) -> Client:
    """A browser that does not re-raise view errors (a crash is then a 500 to assert on)."""
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


# --- data -----------------------------------------------------------------------------------------


def make_user(username: str, **fields):
    """A participant with a verified e-mail address."""
    from allauth.account.models import EmailAddress

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", **fields
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def make_panel_member(user, *, waiting: bool = False):
    """A panel member (16-17), or a 12-15 member waiting for a parent."""
    from youth_panel.models import CONSENT_VERSION, PanelMember

    return PanelMember.objects.create(
        user=user,
        age_band=PanelMember.AgeBand.AGE_12_15 if waiting else PanelMember.AgeBand.AGE_16_17,
        district="Centrum",
        consent_version=CONSENT_VERSION,
        consented_at=timezone.now(),
        needs_parent=waiting,
    )


@pytest.fixture
def fuzz_settings(settings):
    """Rate limits off (they would answer 429 before the form is reached)."""
    settings.ACCOUNT_RATE_LIMITS = False
    settings.POLL_RATE_LIMITS = {"votes": (0, 60), "snapshot": (0, 60), "code_misses": (0, 60)}
    return settings


@pytest.fixture
def member(db, fuzz_settings):
    """Confirmed for organisation A and an active youth panel member."""
    from consultations.models import Membership, Organisation

    user = make_user("lid-fuzz")
    organisation = Organisation.objects.create(name="Zorg A", kind=Organisation.Kind.CARE_PROVIDER)
    Membership.objects.create(user=user, organisation=organisation, confirmed_at=timezone.now())
    make_panel_member(user)
    return user


def make_consultation(**fields):
    """An open consultation with a short draft, published below the home page."""
    from consultations.models import ConsultationIndexPage, ConsultationPage

    home = Site.objects.get(is_default_site=True).root_page
    index = ConsultationIndexPage(title="Inspraak", slug=f"inspraak-{uuid.uuid4().hex[:6]}")
    home.add_child(instance=index)
    index.save_revision().publish()
    now = timezone.now()
    defaults = {
        "title": "Concept visie Jeugd",
        "slug": "concept",
        "summary": "Zeg wat u van de tekst vindt.",
        "audience": ConsultationPage.Audience.STAKEHOLDERS,
        "opens_at": now - datetime.timedelta(days=1),
        "closes_at": now + datetime.timedelta(days=14),
        "moderation": ConsultationPage.Moderation.AFTER,
        "draft_text": "# 1. Hulp dichtbij\n\nHet CJG is de plek voor hulp dichtbij.\n",
    }
    page = ConsultationPage(**{**defaults, **fields})
    index.add_child(instance=page)
    page.save_revision().publish()
    return ConsultationPage.objects.get(pk=page.pk)


# --- consultations --------------------------------------------------------------------------------


def test_the_comment_form_never_crashes_and_a_refused_comment_saves_nothing(member):
    from consultations.comments import find_target
    from consultations.forms import CommentForm
    from consultations.models import Comment, Organisation
    from consultations.rules import confirmed_organisations

    consultation = make_consultation()
    paragraph = consultation.current_version().chapters.first().paragraphs.first()
    target_key = f"a{paragraph.pk}"
    target = find_target(consultation, target_key)
    organisations = confirmed_organisations(member).order_by("pk")
    client = fuzz_client(member)
    url = f"/inspraak-acties/{consultation.pk}/reageren/"

    def prefixed(data: dict) -> dict:
        return {f"{target.key}-{name}": value for name, value in data.items()}

    valid = form_data(
        CommentForm,
        {"organisations": organisations},
        organisation=st.sampled_from(list(organisations) + list(Organisation.objects.all())),
        token=st.one_of(st.uuids(), st.just("")),
    ).map(lambda data: {"target": target_key, **prefixed(data)})
    names = ["target", *prefixed(dict.fromkeys(CommentForm.base_fields)).keys()]

    def form_valid(posted):
        return CommentForm(
            posted, prefix=target.key, organisations=confirmed_organisations(member)
        ).is_valid()

    outcomes = Outcomes()

    @FUZZ
    @given(bodies(valid, names))
    def run(data):
        check_post(client, url, data, rows(Comment), outcomes, form_valid=form_valid)

    run()
    outcomes.check()


def test_the_organisation_request_form_never_crashes(member):
    from consultations.forms import MembershipRequestForm
    from consultations.models import Membership, Organisation

    Organisation.objects.create(name="School B", kind=Organisation.Kind.SCHOOL)
    client = fuzz_client(member)
    valid = form_data(
        MembershipRequestForm, organisation=st.sampled_from(list(Organisation.objects.all()))
    )
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(valid, ["organisation"]))
    def run(data):
        check_post(
            client,
            "/inspraak-acties/organisaties/",
            data,
            rows(Membership),
            outcomes,
            form_valid=lambda posted: MembershipRequestForm(posted).is_valid(),
        )

    run()
    outcomes.check()


def test_the_youth_round_answer_form_never_crashes_and_a_refused_answer_saves_nothing(member):
    from consultations import youth
    from consultations.models import (
        ConsultationPage,
        YouthAnswer,
        YouthParticipation,
        YouthQuestion,
        YouthResponse,
    )

    Kind = YouthQuestion.Kind
    page = make_consultation(audience=ConsultationPage.Audience.YOUTH_PANEL, draft_text="")
    for position, (kind, options) in enumerate(
        [
            (Kind.SINGLE, "Ja\nNee"),
            (Kind.MULTIPLE, "Huisarts\nJongerenpunt\nSchool"),
            (Kind.SCALE, ""),
            (Kind.OPEN, ""),
            (Kind.STORY, ""),
        ]
    ):
        YouthQuestion.objects.create(
            page=page,
            sort_order=position,
            kind=kind,
            text=f"Vraag {position}",
            options_text=options,
            max_choices=2,
            required=position == 0,
        )
    questions = page.youth_question_list()
    client = fuzz_client(member)
    valid = form_data(youth.QuestionSetForm, {"questions": questions})
    names = list(youth.QuestionSetForm(questions=questions).fields)
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(valid, names))
    def run(data):
        check_post(
            client,
            page.subpage_url("questions"),
            data,
            rows(YouthResponse, YouthAnswer, YouthParticipation),
            outcomes,
            form_valid=lambda posted: youth.QuestionSetForm(posted, questions=questions).is_valid(),
        )

    run()
    outcomes.check()


# --- youth panel ----------------------------------------------------------------------------------


def test_the_panel_signup_and_consent_form_never_crashes(db, fuzz_settings):
    from youth_panel.forms_panel import JoinForm
    from youth_panel.models import PanelMember

    client = fuzz_client(make_user("nieuw"))
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(form_data(JoinForm), list(JoinForm.base_fields)))
    def run(data):
        check_post(
            client,
            "/jongerenpanel/aanmelden/",
            data,
            rows(PanelMember),
            outcomes,
            form_valid=lambda posted: JoinForm(posted).is_valid(),
        )

    run()
    outcomes.check()


def test_the_parent_address_form_never_crashes_and_a_refused_address_is_not_kept(db, fuzz_settings):
    from youth_panel.forms_panel import ParentForm
    from youth_panel.models import PanelMember

    child = make_user("kind")
    make_panel_member(child, waiting=True)
    client = fuzz_client(child)
    valid = form_data(ParentForm, {"own_email": child.email})
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(valid, ["parent_email"]))
    def run(data):
        check_post(
            client,
            "/jongerenpanel/ouder/",
            data,
            rows(PanelMember),
            outcomes,
            form_valid=lambda posted: ParentForm(posted, own_email=child.email).is_valid(),
        )

    run()
    outcomes.check()


TOKENS = st.one_of(NASTY, st.text(alphabet="abcdefABCDEF0123456789-_:.", max_size=120))


def test_parent_confirmation_and_unsubscribe_links_never_crash_on_a_forged_token(db, fuzz_settings):
    from urllib.parse import quote

    from youth_panel import panel
    from youth_panel.models import PanelMember

    child = make_user("kind")
    member = make_panel_member(child, waiting=True)
    real = {
        "ouder": "echte-ouder-token",
        "afmelden": panel.unsubscribe_token(member),
    }
    member.parent_token_hash = panel.hash_token(real["ouder"])
    member.parent_requested_at = timezone.now()
    member.save()
    client = fuzz_client()
    outcomes = Outcomes()

    @FUZZ
    @given(st.sampled_from(sorted(real)), st.one_of(TOKENS, st.sampled_from(list(real.values()))))
    def run(kind, token):
        url = f"/jongerenpanel/{kind}/{quote(token, safe='')}/"
        with example(client):
            before = list(PanelMember.objects.values_list())
            response = client.post(url)
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code == 404:
                assert list(PanelMember.objects.values_list()) == before
                outcomes.refused += 1
            else:
                assert token == real[kind], (url, response.status_code)
                outcomes.accepted += 1

    run()
    outcomes.check()


# --- the survey (/m/) -----------------------------------------------------------------------------


def survey_invitation(provider_name: str = "Zorgaanbieder Fuzz"):
    """A parent's invitation for a closed 4-11 case, and its plain code."""
    from feedback.choices import AgeBand, Channel, District, EndReason, HelpType, Referrer
    from feedback.invitations import issue_invitations
    from feedback.models import Case, Provider

    case = Case.objects.create(
        reference=f"F-{uuid.uuid4().hex[:6]}",
        provider=Provider.objects.create(name=provider_name),
        help_type=HelpType.AMBULANT,
        referrer=Referrer.GP,
        start_month=datetime.date(2026, 1, 1),
        end_month=timezone.localdate().replace(day=1),
        end_reason=EndReason.AS_PLANNED,
        district=District.OUDORP,
        age_band=AgeBand.AGE_4_11,
        channel=Channel.LETTER,
    )
    return issue_invitations(case)[0]


def test_the_survey_code_form_never_crashes_and_a_wrong_code_opens_nothing(db, fuzz_settings):
    from feedback.models import Invitation, SurveyDraft
    from feedback.views_survey import TOKEN_KEY, CodeForm

    issued = survey_invitation()
    client = fuzz_client()
    client.get("/m/")
    token = client.session[TOKEN_KEY]
    codes = st.one_of(st.just(issued.code), st.just(issued.code.lower()), NASTY)
    valid = form_data(CodeForm, code=codes).map(lambda data: {**data, "formtoken": token})
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(valid, ["code", "formtoken"]))
    def run(data):
        check_post(
            client,
            "/m/",
            data,
            rows(Invitation, SurveyDraft),
            outcomes,
            form_valid=lambda posted: CodeForm(posted).is_valid(),
        )

    run()
    outcomes.check()


def test_a_survey_code_in_the_address_never_crashes(db, fuzz_settings):
    from urllib.parse import quote

    issued = survey_invitation()
    client = fuzz_client()
    outcomes = Outcomes()

    @FUZZ
    @given(st.one_of(st.just(issued.code), TOKENS))
    def run(code):
        with example(client):
            response = client.get(f"/m/{quote(code, safe='')}/")
            assert response.status_code < 500, (code, response.status_code)
            if response.status_code == 302:
                outcomes.accepted += 1
            else:
                outcomes.refused += 1

    run()
    outcomes.check()


def test_the_survey_answer_forms_never_crash_and_a_refused_step_saves_nothing(db, fuzz_settings):
    from feedback.models import Invitation, SurveyDraft, SurveyResponse
    from feedback.survey import STEPS, StepForm
    from feedback.views_survey import TOKEN_KEY

    issued = survey_invitation()
    invitation = Invitation.objects.get(pk=issued.invitation.pk)
    client = fuzz_client()
    assert client.get(f"/m/{issued.code}/").status_code == 302
    client.get("/m/vragen/1/")
    token = client.session[TOKEN_KEY]
    names = sorted(
        {name for step in STEPS for name in StepForm(step=step, invitation=invitation).fields}
    )
    steps = st.integers(min_value=1, max_value=len(STEPS))
    outcomes = Outcomes()

    @FUZZ
    @given(
        steps.flatmap(
            lambda number: st.tuples(
                st.just(number),
                bodies(
                    form_data(StepForm, {"step": STEPS[number - 1], "invitation": invitation}).map(
                        lambda data: {**data, "formtoken": token}
                    ),
                    [*names, "formtoken", "richting"],
                ),
            )
        )
    )
    def run(step_and_data):
        number, data = step_and_data
        check_post(
            client,
            f"/m/vragen/{number}/",
            data,
            rows(SurveyDraft, SurveyResponse, Invitation),
            outcomes,
            form_valid=lambda posted: StepForm(
                posted, step=STEPS[number - 1], invitation=invitation
            ).is_valid(),
        )

    run()
    outcomes.check()


# --- stories --------------------------------------------------------------------------------------


def test_the_story_vote_form_never_crashes_and_a_refused_vote_saves_nothing(member):
    from feedback import stories
    from feedback.choices import AgeBand, District, EndReason, HelpType, Respondent
    from feedback.forms_stories import StoryVoteForm
    from feedback.models import StoryVote, SurveyResponse

    for text in ("Iemand luisterde echt naar mij.", "Ik ga weer naar school."):
        SurveyResponse.objects.create(
            respondent=Respondent.YOUTH,
            period="2026-05",
            help_type=HelpType.AMBULANT,
            end_reason=EndReason.AS_PLANNED,
            district=District.OUDORP,
            age_band=AgeBand.AGE_16_17,
            end_period="2026-H1",
            most_important_change="Ruwe tekst.",
            consent_to_quote=True,
            story_status=SurveyResponse.StoryStatus.APPROVED,
            story_text=text,
        )
    period = stories.vote_half_year()
    votable = list(stories.votable(period))
    assert len(votable) == 2
    client = fuzz_client(member)
    valid = form_data(
        StoryVoteForm,
        {"stories": stories.votable(period)},
        story=st.one_of(st.sampled_from(votable), st.uuids()),
    )
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(valid, ["story", "why"]))
    def run(data):
        check_post(
            client,
            "/verhalen/kiezen/",
            data,
            rows(StoryVote),
            outcomes,
            form_valid=lambda posted: StoryVoteForm(
                posted, stories=stories.votable(period)
            ).is_valid(),
        )

    run()
    outcomes.check()


# --- live polls -----------------------------------------------------------------------------------


def running_polls() -> dict:
    """One running session per kind of question, each with its one question open."""
    from youth_panel.models import PollQuestion, PollSession
    from youth_panel.polls import control

    options = "Rood\nGroen\nBlauw"
    sessions = {}
    for kind in PollQuestion.Kind.values:
        session = PollSession.objects.create(title=f"Peiling {kind}")
        PollQuestion.objects.create(
            session=session,
            sort_order=0,
            text=f"Vraag {kind}",
            kind=kind,
            options_text=options if kind in ("single", "multiple", "ranking") else "",
            max_choices=2,
        )
        sessions[kind] = control(session, "start")
    return sessions


def test_joining_a_poll_by_code_never_crashes(db, fuzz_settings):
    from youth_panel.views import JoinForm

    session = running_polls()["single"]
    codes = st.one_of(st.just(session.join_code), st.just(session.join_code.lower()), NASTY)
    client = fuzz_client()
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(form_data(JoinForm, code=codes), ["code"]))
    def run(data):
        check_post(
            client,
            "/p/",
            data,
            lambda: None,
            outcomes,
            method="get",
            form_valid=lambda posted: JoinForm(posted).is_valid(),
        )

    run()
    outcomes.check()


@st.composite
def vote_bodies(draw, sessions: dict):
    """A vote as the phone's form posts it, often spoilt; sometimes JSON instead of a form."""
    from youth_panel import polls

    kind = draw(st.sampled_from(sorted(sessions)))
    session = sessions[kind]
    question = session.current_question
    count = len(polls.options(question))
    index = st.integers(min_value=0, max_value=count - 1).map(str)
    data = {"question": str(question.pk), "vote_id": uuid.uuid4().hex}
    if kind == "multiple":
        data["answer"] = draw(st.lists(index, min_size=1, max_size=2, unique=True))
    elif kind == "words":
        data["word"] = draw(st.lists(st.text(max_size=12), min_size=1, max_size=3))
    elif kind == "ranking":
        for place, option in enumerate(draw(st.permutations(range(count))), 1):
            data[f"rank-{option}"] = str(place)
    else:
        data["answer"] = draw(index)
    names = [*data, "answer", "word", "rank-0", "rank-9"]
    data = draw(bodies(st.just(data), names))
    as_json = draw(st.booleans().map(lambda b: b and draw(st.integers(0, 4)) == 0))
    return session, data, as_json


def test_the_http_vote_fallback_never_crashes_and_a_refused_vote_saves_nothing(db, fuzz_settings):
    import json

    from youth_panel.models import Vote, Word

    sessions = running_polls()
    client = fuzz_client()
    outcomes = Outcomes()

    @FUZZ
    @given(vote_bodies(sessions))
    def run(example_data):
        session, data, as_json = example_data
        url = f"/p/{session.join_code}/"
        if as_json:
            body = json.dumps(data)
            check_post(
                client, url, body, rows(Vote, Word), outcomes, content_type="application/json"
            )
        else:
            check_post(client, url, data, rows(Vote, Word), outcomes)

    run()
    outcomes.check()


def test_the_paper_code_form_of_a_counted_poll_never_crashes(db, fuzz_settings):
    from youth_panel import counted
    from youth_panel.counted_views import EnterCodeForm
    from youth_panel.models import PollCode, PollSession, Vote

    session = running_polls()["single"]
    session.mode = PollSession.Mode.COUNTED
    session.save()
    plain = counted.issue_codes(session, 2)
    client = fuzz_client()
    codes = st.one_of(st.sampled_from(plain), st.sampled_from(plain).map(str.lower), NASTY)
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(form_data(EnterCodeForm, code=codes), ["code"]))
    def run(data):
        check_post(
            client,
            f"/p/{session.join_code}/code/",
            data,
            rows(PollCode, Vote),
            outcomes,
            form_valid=lambda posted: EnterCodeForm(posted).is_valid(),
        )

    run()
    outcomes.check()


def test_a_poll_code_in_the_address_never_crashes(db, fuzz_settings):
    from urllib.parse import quote

    session = running_polls()["single"]
    client = fuzz_client()
    pages = ["", "stand.json", "uitslag/", "code/", "scherm/"]
    outcomes = Outcomes()

    @FUZZ
    @given(st.one_of(st.just(session.join_code), TOKENS), st.sampled_from(pages))
    def run(code, page):
        with example(client):
            url = f"/p/{quote(code, safe='')}/{page}"
            response = client.get(url)
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code == 404:
                outcomes.refused += 1
            else:
                outcomes.accepted += 1

    run()
    outcomes.check()


# --- search and language --------------------------------------------------------------------------


def test_search_never_crashes(db, fuzz_settings):
    client = fuzz_client()
    outcomes = Outcomes()
    valid = st.fixed_dictionaries(
        {"q": st.sampled_from(["jeugd", "hulp", "CJG", "wijk"])},
        optional={"pagina": st.integers(1, 3).map(str)},
    )

    @FUZZ
    @given(bodies(valid, ["q", "pagina"]))
    def run(data):
        with example(client):
            response = client.get("/zoeken/", data)
            assert response.status_code == 200, (data, response.status_code)
            outcomes.accepted += 1

    run()
    assert outcomes.accepted == EXAMPLES


def test_the_language_switch_never_crashes_and_never_leaves_the_site(db, fuzz_settings):
    from urllib.parse import quote, urlsplit

    client = fuzz_client()
    outcomes = Outcomes()

    @FUZZ
    @given(
        st.one_of(st.sampled_from(["nl", "en"]), TOKENS),
        st.one_of(
            st.sampled_from(["/", "/zoeken/?q=a", "https://evil.example/", "//evil.example"]), NASTY
        ),
    )
    def run(code, target):
        with example(client):
            response = client.get(f"/taal/{quote(code, safe='')}/", {"next": target})
            assert response.status_code < 500, (code, target, response.status_code)
            if response.status_code == 302:
                assert not urlsplit(response.url).netloc, response.url
                if "taal" in response.cookies:
                    outcomes.accepted += 1
                else:
                    outcomes.refused += 1

    run()
    outcomes.check()


# --- accounts (allauth) ---------------------------------------------------------------------------


CODE_LINE = r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[A-Z0-9]{6})\s*$"
EMAILS = st.one_of(
    st.emails().map(str), st.just("lid-fuzz@example.org"), st.just("LID-FUZZ@example.org"), NASTY
)


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("/account/login/", ["login", "password", "remember"]),
        ("/account/signup/", ["email"]),
        ("/account/login/code/", ["email"]),
        ("/account/password/reset/", ["email"]),
    ],
)
def test_the_account_forms_never_crash_and_a_refused_post_saves_nothing(member, url, names):
    from allauth.account.models import EmailAddress

    User = get_user_model()
    client = fuzz_client()
    valid = st.fixed_dictionaries(
        {name: EMAILS for name in names if name not in ("remember", "password")},
        optional={"password": st.text(max_size=20)} if "password" in names else {},
    )

    @FUZZ
    @given(bodies(valid, names))
    def run(data):
        check_post(client, url, data, rows(User, EmailAddress))

    run()


@pytest.mark.parametrize("flow", ["login", "signup"])
def test_the_code_confirmation_forms_never_crash(member, mailoutbox, flow):
    import re

    from allauth.account.models import EmailAddress

    User = get_user_model()
    client = fuzz_client()
    if flow == "login":
        start = client.post("/account/login/code/", {"email": member.email})
        url = "/account/login/code/confirm/"
    else:
        start = client.post("/account/signup/", {"email": "nieuw-fuzz@example.org"})
        url = "/account/confirm-email/"
    assert start.status_code == 302, start.status_code
    assert start.url.startswith(url), start.url
    code = re.search(CODE_LINE, mailoutbox[-1].body, re.M).group(1)
    codes = st.one_of(st.just(code), st.just(code.lower()), NASTY)
    outcomes = Outcomes()

    @FUZZ
    @given(bodies(st.fixed_dictionaries({"code": codes}), ["code"]))
    def run(data):
        check_post(client, url, data, rows(User, EmailAddress), outcomes)

    run()
    outcomes.check()
