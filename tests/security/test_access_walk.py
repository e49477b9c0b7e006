"""Access control: every URL pattern and websocket route, for every role, with swapped ids.

The walk resolves the whole `config.urls` tree (includes too: the Wagtail admin, allauth, the
API, documents) and tries each pattern as each persona of tests/security/access_roles.py. URLs
with an id are filled with the object of each owner (organisation A and B, provider X and Y,
poll A and B), so a persona also asks for someone else's object.

EXPECT below says, per URL name and per filled variant, which roles get a 2xx and which get a
harmless redirect (not to a login page); every other role must be refused: a redirect to a
login page, 403, 404 or 405. Never a 5xx. A URL pattern that has no entry fails the walk, so
the table stays complete. Where a view writes, every role that may not write POSTs a plausible
body, and the rows the view writes must stay the same.

Every 2xx body is also searched for the private texts of the world (staff-only and waiting
comments, danger signals, draft reports, other providers' names and cases): MARKERS says who
may read each one, on any page.

Figures (printed with -s): patterns, roles, requests, websocket checks.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from feedback.cases import template_csv
from tests.security.access_roles import ROLES, World, build_world

ALL = frozenset(ROLES)
NOBODY: frozenset[str] = frozenset()
SIGNED_IN = ALL - {"anonymous"}
ADMIN = frozenset({"admin"})
STAFF = frozenset({"editor", "moderator", "admin"})
NON_STAFF = ALL - STAFF
POLICY = frozenset({"editor", "admin"})
LOGIN_PATHS = ("/account/login/", "/beheer/login/", "/_util/login/")
ADMIN_HOME = "/beheer/"  # Wagtail sends staff without the right there, with a message
FIGURES = {"requests": 0, "posts": 0, "websocket": 0}


def _set(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Who may do what on one URL name.

    `paths` gives the URL per variant ("A", "B", "X", "Y"...): the same view with each owner's
    object. `ok` / `moved` / `post` map a variant (or "*" for all) to the roles that get a 2xx,
    a harmless redirect, or may write with POST. `writes` names the models a POST may change.
    """

    paths: Callable[[World], dict[str, str]]
    ok: dict[str, frozenset[str]] = field(default_factory=dict)
    moved: dict[str, frozenset[str]] = field(default_factory=dict)
    post: dict[str, frozenset[str]] | None = None
    body: Callable[[World, str], dict] | None = None
    writes: tuple[str, ...] = ()
    shows: tuple[str, ...] = ()  # private texts this page may show to whoever may open it
    form_back: frozenset[str] = NOBODY  # on a refused POST, these get the form with an error

    def roles(self, table: dict[str, frozenset[str]] | None, variant: str) -> frozenset[str]:
        """The roles listed for a variant, or under "*"."""
        table = table or {}
        return table.get(variant, table.get("*", NOBODY))


def at(name: str, **kwargs) -> Callable[[World], dict[str, str]]:
    """One variant: the reversed URL, with fixed arguments."""
    return lambda w: {"": reverse(name, kwargs=kwargs or None)}


def each(name: str, arg: str, pick: Callable[[World, str], object], keys: tuple[str, ...]):
    """One variant per owner key: reverse(name, {arg: pick(world, key)})."""
    return lambda w: {key: reverse(name, kwargs={arg: pick(w, key)}) for key in keys}


def everyone(**extra) -> Rule:
    """A public page: every role gets a 2xx."""
    return Rule(paths=extra.pop("paths"), ok={"*": ALL}, **extra)


def page_path(w: World, key: str) -> str:
    """Public Wagtail pages and the consultation's sub-pages."""
    c = w.consultation
    return {
        "home": "/",
        "index": "/inspraak/",
        "open": c.url,
        "closed": w.closed_consultation.url,
        "report": c.subpage_url("report"),
        "versions": c.subpage_url("versions"),
        "trail": c.subpage_url("trail"),
        "closed_report": w.closed_consultation.subpage_url("report"),
        "questions": w.youth_round.subpage_url("questions"),
        "draft": "/inspraak/concept/",
        "restricted": w.restricted.url,
        "restricted_report": w.restricted.subpage_url("report"),
    }[key]


POLL_KEYS = ("A", "B")


def poll_code(name: str):
    """The poll URL with poll A's and poll B's join code."""
    return each(name, "code", lambda w, k: w.poll[k].join_code, POLL_KEYS)


HOST = {"A": _set("stakeholder_a", "admin"), "B": _set("stakeholder_b", "admin")}
HOST_ENDED = {**HOST, "ended": ADMIN}
PROVIDER_STAFF = _set("provider_x", "provider_y", "admin")
DASHBOARD_STAFF = PROVIDER_STAFF | {"editor"}  # editors may compare providers (view_provider)


def _with_query(name: str, **variants: Callable[[World], str]):
    """One variant per query string on the same URL."""
    return lambda w: {key: reverse(name) + make(w) for key, make in variants.items()}


provider_query = {
    "own": lambda w: "",
    "X": lambda w: f"?aanbieder={w.provider['X'].pk}",
    "Y": lambda w: f"?aanbieder={w.provider['Y'].pk}",
}


def comment_body(w: World, variant: str) -> dict:
    """A comment for organisation A or B; "B-token" reuses A's submission token as B;
    "restricted-A" comments for A on the consultation only policy staff may open."""
    page = w.restricted if variant.startswith("restricted") else w.consultation
    chapter = page.current_version().chapters.first()
    org = w.org["B" if variant.startswith("B") else "A"]
    key = f"h{chapter.pk}"
    body = {
        "target": key,
        f"{key}-text": "Een reactie die niet mag blijven staan.",
        f"{key}-organisation": org.pk,
        f"{key}-visibility": "public",
    }
    if variant == "B-token":
        body[f"{key}-token"] = str(w.comment["A", "public"].submission_token)
    return body


EXPECT: dict[str, Rule] = {
    # --- accounts (allauth) -----------------------------------------------------------------
    "account_login": Rule(
        paths=at("account_login"), ok={"*": _set("anonymous")}, moved={"*": SIGNED_IN}
    ),
    "account_signup": Rule(
        paths=at("account_signup"), ok={"*": _set("anonymous")}, moved={"*": SIGNED_IN}
    ),
    "account_logout": Rule(
        paths=at("account_logout"), ok={"*": SIGNED_IN}, moved={"*": _set("anonymous")}
    ),
    "account_inactive": everyone(paths=at("account_inactive")),
    # Accounts without a password (login by e-mail code) cannot re-enter one.
    "account_reauthenticate": Rule(paths=at("account_reauthenticate"), ok={"*": ADMIN}),
    "account_email": Rule(paths=at("account_email"), ok={"*": SIGNED_IN}),
    "account_email_verification_sent": Rule(
        paths=at("account_email_verification_sent"), moved={"*": SIGNED_IN}
    ),
    "account_change_password": Rule(
        paths=at("account_change_password"), ok={"*": ADMIN}, moved={"*": SIGNED_IN - ADMIN}
    ),
    "account_set_password": Rule(
        paths=at("account_set_password"), ok={"*": SIGNED_IN - ADMIN}, moved={"*": ADMIN}
    ),
    "account_reset_password": everyone(paths=at("account_reset_password")),
    "account_reset_password_done": everyone(paths=at("account_reset_password_done")),
    "account_reset_password_from_key_done": everyone(
        paths=at("account_reset_password_from_key_done")
    ),
    "account_reset_password_from_key": everyone(
        paths=lambda w: {"": "/account/password/reset/key/1-set-password/"}
    ),
    "account_request_login_code": Rule(
        paths=at("account_request_login_code"), ok={"*": _set("anonymous")}, moved={"*": SIGNED_IN}
    ),
    "account_confirm_login_code": Rule(
        paths=at("account_confirm_login_code"), moved={"*": SIGNED_IN}
    ),
    # Second factor (allauth.mfa): only for oneself, signed in.
    "mfa_index": Rule(paths=at("mfa_index"), ok={"*": SIGNED_IN}),
    "mfa_authenticate": Rule(paths=at("mfa_authenticate"), moved={"*": SIGNED_IN}),
    # Only admin has a password here, so only admin is sent to re-enter it first.
    "mfa_reauthenticate": Rule(paths=at("mfa_reauthenticate"), moved={"*": ADMIN}),
    "mfa_activate_totp": Rule(
        paths=at("mfa_activate_totp"), ok={"*": SIGNED_IN - ADMIN}, moved={"*": ADMIN}
    ),
    "mfa_deactivate_totp": Rule(paths=at("mfa_deactivate_totp")),  # none of them has one yet
    "mfa_view_recovery_codes": Rule(paths=at("mfa_view_recovery_codes")),
    "mfa_generate_recovery_codes": Rule(
        paths=at("mfa_generate_recovery_codes"), ok={"*": SIGNED_IN - ADMIN}, moved={"*": ADMIN}
    ),
    "mfa_download_recovery_codes": Rule(paths=at("mfa_download_recovery_codes")),
    # --- site -------------------------------------------------------------------------------
    "switch_language": Rule(paths=at("switch_language", code="en"), moved={"*": ALL}),
    "search": everyone(paths=lambda w: {"": "/zoeken/?q=zzq"}),
    "health": everyone(paths=at("health")),
    "wagtail_serve": Rule(
        paths=lambda w: {
            key: page_path(w, key)
            for key in (
                "home",
                "index",
                "open",
                "closed",
                "report",
                "versions",
                "trail",
                "closed_report",
                "questions",
                "draft",
                "restricted",
                "restricted_report",
            )
        },
        ok={"*": ALL, "draft": NOBODY, "restricted": POLICY, "restricted_report": POLICY},
    ),
    "wagtailcore_authenticate_with_password": Rule(
        paths=lambda w: {"": f"/_util/authenticate_with_password/999/{w.consultation.pk}/"}
    ),
    "wagtailcore_login": everyone(paths=at("wagtailcore_login")),
    "wagtaildocs_serve": Rule(paths=lambda w: {"": "/documenten/999/geheim.pdf"}),
    "wagtaildocs_authenticate_with_password": Rule(
        paths=lambda w: {"": "/documenten/authenticate_with_password/999/"}
    ),
    # --- survey (the code is the key: whoever holds it may answer) ----------------------------
    "survey:start": everyone(paths=at("survey:start")),
    "survey:step": Rule(paths=lambda w: {"": reverse("survey:step", args=[1])}, moved={"*": ALL}),
    "survey:done": everyone(paths=at("survey:done")),
    "survey:help": everyone(paths=at("survey:help")),
    "survey:open": Rule(
        paths=lambda w: {
            "X": reverse("survey:open", args=[w.code["X"]]),
            "unknown": reverse("survey:open", args=["ABCD-EFGH-IJKL-MNOP"]),
        },
        moved={"X": ALL},
        ok={"unknown": ALL},  # one page answers unknown, used and expired codes alike
    ),
    # --- live polls ---------------------------------------------------------------------------
    "polls:join": everyone(paths=at("polls:join")),
    # Counted poll B: a phone without a paper code is sent to the code page; of the accounts
    # only a confirmed youth panel member votes (youth_panel/counted.py: is_panel_voter).
    "polls:phone": Rule(
        paths=poll_code("polls:phone"),
        ok={"A": ALL, "B": _set("panel")},
        moved={"B": ALL - _set("panel")},
        post={"A": ALL, "B": _set("panel")},
        body=lambda w, v: {
            "question": w.poll[v].current_question_id,
            "answer": "0",
            "vote_id": "a" * 32,
        },
        writes=("youth_panel.Vote",),
    ),
    "polls:presenter": Rule(paths=poll_code("polls:presenter"), ok=HOST),
    "polls:control": Rule(
        paths=poll_code("polls:control"),
        ok=HOST,
        moved=HOST,
        post=HOST,
        body=lambda w, v: {"action": "end"},
        writes=("youth_panel.PollSession",),
    ),
    "polls:words": Rule(
        paths=poll_code("polls:words"),
        ok=HOST,
        post=HOST,
        body=lambda w, v: {"word": w.word[v].pk, "status": "hidden"},
        writes=("youth_panel.Word",),
    ),
    "polls:snapshot": everyone(paths=poll_code("polls:snapshot")),
    "polls:results": Rule(
        paths=lambda w: {
            k: reverse("polls:results", args=[w.poll[k].join_code]) for k in ("A", "B", "ended")
        },
        ok={**HOST, "ended": ALL},
    ),
    "polls:results_csv": Rule(
        paths=lambda w: {
            k: reverse("polls:results_csv", args=[w.poll[k].join_code]) for k in ("A", "B", "ended")
        },
        ok=HOST_ENDED,
    ),
    "polls:results_xlsx": Rule(
        paths=lambda w: {
            k: reverse("polls:results_xlsx", args=[w.poll[k].join_code])
            for k in ("A", "B", "ended")
        },
        ok=HOST_ENDED,
    ),
    "polls:codes": Rule(
        paths=poll_code("polls:codes"),
        ok=HOST,
        post={"B": HOST["B"]},
        body=lambda w, v: {"number": 5},
        writes=("youth_panel.PollCode",),
    ),
    "polls:enter_code": Rule(paths=poll_code("polls:enter_code"), ok={"B": ALL}, moved={"A": ALL}),
    # --- youth panel --------------------------------------------------------------------------
    "panel:home": everyone(paths=at("panel:home")),
    "panel:join": Rule(
        paths=at("panel:join"), ok={"*": SIGNED_IN - {"panel"}}, moved={"*": _set("panel")}
    ),
    "panel:parent": Rule(paths=at("panel:parent"), moved={"*": SIGNED_IN}),
    "panel:parent_confirm": Rule(
        paths=lambda w: {
            "token": reverse("panel:parent_confirm", args=[w.parent_token]),
            "wrong": reverse("panel:parent_confirm", args=["geraden-token"]),
        },
        ok={"token": ALL},
        post={"token": ALL},
        body=lambda w, v: {},
        writes=("youth_panel.PanelMember",),
        shows=("ouder@example.org",),  # the link went to that address: the parent holds it
    ),
    "panel:unsubscribe": Rule(
        paths=lambda w: {
            "token": reverse("panel:unsubscribe", args=[w.unsubscribe_token]),
            "wrong": reverse("panel:unsubscribe", args=["1:geraden:token"]),
        },
        ok={"token": ALL},
        post={"token": ALL},
        body=lambda w, v: {},
        writes=("youth_panel.PanelMember",),
    ),
    "panel:resubscribe": Rule(paths=at("panel:resubscribe")),
    # Their own data: stakeholder_a commented on the consultation only policy staff may open.
    "panel:my_data": Rule(paths=at("panel:my_data"), ok={"*": SIGNED_IN}, shows=("Besloten-zzq",)),
    "panel:my_data_json": Rule(
        paths=at("panel:my_data_json"), ok={"*": SIGNED_IN}, shows=("Besloten-zzq",)
    ),
    "panel:delete": Rule(paths=at("panel:delete"), ok={"*": SIGNED_IN - STAFF}),
    # --- providers: cases, letters, own figures -----------------------------------------------
    "feedback:case_list": Rule(paths=at("feedback:case_list"), ok={"*": PROVIDER_STAFF}),
    "feedback:case_add": Rule(
        paths=lambda w: {k: reverse("feedback:case_add") for k in ("X", "Y")},
        ok={"*": PROVIDER_STAFF},
        post={"X": _set("provider_x", "admin"), "Y": _set("provider_y", "admin")},
        body=lambda w, v: {
            "reference": f"NIEUW-{v}",
            "provider": w.provider[v].pk,
            "help_type": "ambulant",
            "referrer": "huisarts",
            "start_month": "2026-01",
            "end_month": "2026-03",
            "end_reason": "as_planned",
            "district": "Oudorp",
            "age_band": "16-17",
            "channel": "letter",
        },
        writes=("feedback.Case", "feedback.Invitation"),
    ),
    "feedback:case_saved": Rule(
        paths=each("feedback:case_saved", "pk", lambda w, k: w.case[k].pk, ("X", "Y")),
        ok={"X": _set("provider_x", "admin"), "Y": _set("provider_y", "admin")},
    ),
    "feedback:case_upload": Rule(
        paths=lambda w: {k: reverse("feedback:case_upload") for k in ("X", "Y")},
        ok={"*": PROVIDER_STAFF},
        post={"X": _set("provider_x", "admin"), "Y": _set("provider_y", "admin")},
        body=lambda w, v: {
            "file": SimpleUploadedFile(
                f"{v}.csv", template_csv([w.provider[v]]).encode(), content_type="text/csv"
            )
        },
        writes=("feedback.Case", "feedback.Invitation"),
    ),  # fmt: skip
    "feedback:case_upload_done": Rule(
        paths=at("feedback:case_upload_done"), moved={"*": PROVIDER_STAFF}
    ),
    "feedback:case_template": Rule(paths=at("feedback:case_template"), ok={"*": PROVIDER_STAFF}),
    "feedback:invitations_batch": Rule(
        paths=at("feedback:invitations_batch"), ok={"*": PROVIDER_STAFF}
    ),
    "feedback:invitations_print": Rule(
        paths=lambda w: {k: reverse("feedback:invitations_print") for k in ("X", "Y")},
        post={"X": _set("provider_x", "admin"), "Y": _set("provider_y", "admin")},
        body=lambda w, v: {"invitation": [w.invitation[v].pk]},
        writes=("feedback.Invitation",),
    ),
    "feedback:invitations_sms": Rule(
        paths=lambda w: {k: reverse("feedback:invitations_sms") for k in ("X", "Y")},
        post={"X": _set("provider_x", "admin"), "Y": _set("provider_y", "admin")},
        body=lambda w, v: {"provider": w.provider[v].pk},
        writes=("feedback.Invitation",),
    ),
    "feedback:provider_dashboard": Rule(
        paths=_with_query("feedback:provider_dashboard", **provider_query),
        ok={"*": DASHBOARD_STAFF - {"editor"}},
    ),
    # --- public learning loop ---------------------------------------------------------------
    "actions:list": everyone(paths=at("actions:list")),
    "inputs:overview": everyone(paths=at("inputs:overview")),
    "inputs:core_task": Rule(
        paths=lambda w: {
            "basis": reverse("inputs:core_task", args=["basis"]),
            "unknown": reverse("inputs:core_task", args=["bestaat-niet"]),
        },
        ok={"basis": ALL},
    ),
    "stories:wall": everyone(paths=at("stories:wall")),
    "stories:vote": Rule(
        paths=at("stories:vote"),
        ok={"*": ALL},
        post={"*": _set("panel", "admin")},
        body=lambda w, v: {"story": w.response["X"].pk, "why": "Mooi."},
        writes=("feedback.StoryVote",),
    ),
    "reports:list": everyone(paths=at("reports:list")),
    "reports:detail": Rule(
        paths=lambda w: {
            "public": reverse("reports:detail", args=["2025-H2"]),
            "draft": reverse("reports:detail", args=["2026-H1"]) + "?voorbeeld=1",
        },
        ok={"public": ALL, "draft": _set("editor", "admin")},
    ),
    "insights:public": everyone(paths=at("insights:public")),
    "insights_exports:public_csv": everyone(paths=at("insights_exports:public_csv")),
    "insights_exports:public_xlsx": everyone(paths=at("insights_exports:public_xlsx")),
    "insights_exports:staff_csv": Rule(
        paths=_with_query("insights_exports:staff_csv", **provider_query),
        ok={"*": DASHBOARD_STAFF},
    ),
    "insights_exports:staff_xlsx": Rule(
        paths=_with_query("insights_exports:staff_xlsx", **provider_query),
        ok={"*": DASHBOARD_STAFF},
    ),
    "api:figures": everyone(paths=at("api:figures")),
    "api:periods": everyone(paths=at("api:periods")),
    "api:openapi": everyone(paths=at("api:openapi")),
    # --- consultations ------------------------------------------------------------------------
    "consultations:comment": Rule(
        paths=lambda w: {
            **{
                k: reverse("consultations:comment", args=[w.consultation.pk])
                for k in ("A", "B", "B-token")
            },
            "restricted-A": reverse("consultations:comment", args=[w.restricted.pk]),
        },
        post={"A": _set("stakeholder_a"), "B": _set("stakeholder_b")},
        body=comment_body,
        writes=("consultations.Comment",),
        # Confirmed members get the form back: "not your organisation" or "form already used".
        form_back=_set("stakeholder_a", "stakeholder_b"),
    ),
    "consultations:flag": Rule(
        paths=lambda w: (
            {
                f"{org}-{kind}": reverse("consultations:flag", args=[w.comment[org, kind].pk])
                for org in ("A", "B")
                for kind in ("public", "staff_only", "pending", "hidden", "closed_staff_only")
            }
            | {"restricted": reverse("consultations:flag", args=[w.comment["A", "restricted"].pk])}
        ),
        post={"A-public": SIGNED_IN, "B-public": SIGNED_IN, "restricted": POLICY},
        body=lambda w, v: {},
        writes=("consultations.Flag",),
    ),
    "consultations:organisations": Rule(
        paths=at("consultations:organisations"),
        ok={"*": SIGNED_IN},
        post={"*": SIGNED_IN},
        body=lambda w, v: {"organisation": w.org["B"].pk},
        writes=("consultations.Membership",),
    ),
    "consultations:poster": Rule(paths=at("consultations:poster"), ok={"*": STAFF}),
    "arrivals:arrive": Rule(
        paths=lambda w: {
            "consultation": f"/k/i{w.consultation.pk}/school/",
            "poll": "/k/AAAA22/school/",
            "draft": f"/k/i{w.draft_consultation.pk}/school/",
        },
        moved={"consultation": ALL, "poll": ALL},
    ),
}

# --- the Wagtail admin ------------------------------------------------------------------------

# Wagtail's own admin sections: nobody without admin access gets in; staff rights inside are
# Wagtail's permission system (walked for no 5xx). Our own sections are in ADMIN_EXPECT.
WAGTAIL_SECTIONS = {
    "", "pages", "snippets", "workflows", "images", "documents", "reports", "api", "sites",
    "users", "groups", "redirects", "collections", "forms", "choose-page", "password_reset",
    "settings", "tag-autocomplete", "editing-sessions", "embeds", "test404", "failwhale", "bulk",
    "choose-external-link", "choose-email-link", "choose-phone-link", "choose-anchor-link",
    "account", "logout", "dismissibles", "block-preview", "sprite", "login", "jsi18n", "^.*",
}  # fmt: skip
# Admin URLs that anyone may open: logging in, a forgotten password, static helpers.
ADMIN_PUBLIC = {
    "wagtailadmin_login": NON_STAFF,  # staff who are signed in go on to the dashboard
    "wagtailadmin_password_reset": ALL,
    "wagtailadmin_password_reset_done": ALL,
    "beheer/^.*/$": "/beheer/bestaat-niet/",
    "wagtailadmin_password_reset_confirm": ALL,
    "wagtailadmin_password_reset_complete": ALL,
    "wagtailadmin_javascript_catalog": ALL,
    "wagtailadmin_sprite": ALL,
}
# Wagtail's own page that fails on purpose, to test error reporting (admin access only).
DELIBERATE_ERRORS = {"wagtailadmin_error_test"}
# GET /beheer/logout/ is refused (405), but Wagtail drops the session cookie all the same.
ADMIN_MOVED = {"wagtailadmin_logout": NOBODY}

COMMENT_STAFF = _set("editor", "moderator", "admin")
# Our own admin sections: URL name -> roles that get a 2xx (with every owner's object).
ADMIN_EXPECT: dict[str, frozenset[str]] = {
    "feedback_learning_signals": POLICY,
    "feedback_insights": POLICY,
    "consultations_youth_results": POLICY,
    "feedback_story_choice_index": ADMIN,
    "feedback_story_choice": ADMIN,
    **{f"halfjaarrapporten:{v}": POLICY for v in (
        "index", "index_results", "add", "edit", "history", "history_results", "usage")},
    "halfjaarrapporten:delete": ADMIN,
    **{f"reacties:{v}": COMMENT_STAFF for v in (
        "index", "index_results", "edit", "history", "history_results", "usage", "inspect")},
    "reacties:add": NOBODY,  # comments come from the site only
    "reacties:delete": ADMIN,
    **{f"organisaties:{v}": POLICY for v in (
        "index", "index_results", "add", "edit", "history", "history_results", "usage")},
    "organisaties:delete": ADMIN,
    **{f"lidmaatschappen:{v}": POLICY for v in (
        "index", "index_results", "edit", "delete", "history", "history_results", "usage")},
    "lidmaatschappen:add": ADMIN,
    **{f"peilingen:{v}": ADMIN for v in (
        "index", "index_results", "add", "edit", "delete", "history", "history_results", "usage",
        "copy")},
    **{f"jongerenpanel:{v}": POLICY for v in ("index", "index_results", "inspect", "invite")},
    **{f"providers:{v}": POLICY for v in ("index", "index_results")},
    **{f"providers:{v}": ADMIN for v in (
        "add", "edit", "delete", "history", "history_results", "usage", "copy")},
    "signalen:add": NOBODY,  # signals come from answers only
    **{f"signalen:{v}": ADMIN for v in (
        "index", "index_results", "edit", "delete", "history", "history_results", "usage",
        "inspect", "copy")},
    "verhalen:add": NOBODY,  # stories come from answers only
    **{f"verhalen:{v}": ADMIN for v in (
        "index", "index_results", "edit", "delete", "history", "history_results", "usage")},
    **{f"wat-we-deden:{v}": POLICY for v in (
        "index", "index_results", "add", "edit", "history", "history_results", "usage")},
    "wat-we-deden:delete": ADMIN,
}  # fmt: skip


def admin_objects(w: World, section: str) -> dict[str, object]:
    """The objects of each owner that fill an id in one of our admin sections."""
    return {
        "reacties": {"A": w.comment["A", "staff_only"].pk, "B": w.comment["B", "hidden"].pk},
        "organisaties": {"A": w.org["A"].pk, "B": w.org["B"].pk},
        "lidmaatschappen": {"A": w.membership["A"].pk, "B": w.membership["B"].pk},
        "peilingen": {"A": w.poll["A"].pk, "B": w.poll["B"].pk},
        "jongerenpanel": {"": w.waiting_member.pk},
        "providers": {"X": w.provider["X"].pk, "Y": w.provider["Y"].pk},
        "signalen": {"X": w.flag["X"].pk, "Y": w.flag["Y"].pk},
        "verhalen": {"X": w.response["X"].pk, "Y": w.response["Y"].pk},
        "halfjaarrapporten": {"": w.report_draft.pk},
        "wat-we-deden": {"": w.action.pk},
        "inspraak": {"": w.youth_round.pk},
        "verhaal-van-het-halfjaar": {"": "2026-H1"},
        "pages": {"": w.consultation.pk},
        "images": {"": 1},
        "documents": {"": 1},
    }.get(section, {"": 1})


CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
REGEX_EXAMPLES = {
    "wagtaildocs_serve": "/documenten/999/geheim.pdf",
    "account_reset_password_from_key": "/account/password/reset/key/1-set-password/",
    "arrivals:arrive": "/k/AAAA22/school/",
    "wagtail_serve": "/",
    "beheer/^.*/$": "/beheer/bestaat-niet/",
    "wagtailadmin_password_reset_confirm": "/beheer/password_reset/confirm/MQ/set-password/",
}


def fill(route: str, name: str, value: object) -> str | None:
    """A concrete path for a route: ids become `value`, names become sample words."""
    if "^" in route or "$" in route or "(" in route:
        if name in REGEX_EXAMPLES:
            return REGEX_EXAMPLES[name]
        if route.startswith("beheer/"):
            return None  # Wagtail's own regex routes are reached through their siblings
        return None

    def one(match: re.Match) -> str:
        kind, arg = match.group(1) or "str", match.group(2)
        if kind in ("int", "uuid") or arg in ("pk", "page_id", "object_id", "id"):
            return str(value)
        if arg == "app_label":
            return "home"
        if arg == "model_name":
            return "coretask"
        if arg == "half_year":
            return str(value)
        return "x"

    return "/" + CONVERTER.sub(one, route)


# --- the walk -------------------------------------------------------------------------------


def walk(patterns=None, prefix: str = "", namespace: str | None = None):
    """Every URL pattern of config.urls, includes resolved: (route, name)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            name = pattern.name
            if name and namespace:
                name = f"{namespace}:{name}"
            yield prefix + str(pattern.pattern), name or prefix + str(pattern.pattern)


def section_of(route: str) -> str | None:
    """The admin section of a /beheer/ route ("reacties"), None outside the admin."""
    if not route.startswith("beheer/"):
        return None
    rest = route[len("beheer/") :]
    return rest.split("/", 1)[0] if "/" in rest else rest


def outcome(response) -> str:
    """ok (2xx), moved (a redirect, not to a login page), refused, or the odd status."""
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307, 308):
        target = response.headers.get("Location", "")
        path = re.sub(r"^https?://[^/]+", "", target)
        refused = path.startswith(LOGIN_PATHS) or path.split("?")[0] == ADMIN_HOME
        return "refused" if refused else "moved"
    if status in (403, 404, 405, 410):
        return "refused"
    return f"status {status}"


# Private texts of the world, and the roles that may read each one on any page.
AUTHOR_AND_STAFF = {"A": _set("stakeholder_a") | COMMENT_STAFF,
                    "B": _set("stakeholder_b") | COMMENT_STAFF}  # fmt: skip
MARKERS: dict[str, frozenset[str]] = {
    **{f"{kind}-{org}-zzq": AUTHOR_AND_STAFF[org]
       for kind in ("Geheim", "Wacht", "Verborgen", "Dicht") for org in ("A", "B")},
    "bang thuis X-zzq": ADMIN,
    "bang thuis Y-zzq": ADMIN,
    "Concept-zzq": POLICY,
    "Besloten-zzq": STAFF,
    "Besloten-reactie-zzq": _set("stakeholder_a") | STAFF,
    "Aanbieder X": _set("provider_x") | POLICY,
    "Aanbieder Y": _set("provider_y") | POLICY,
    "X-000001": _set("provider_x", "admin"),
    "Y-000001": _set("provider_y", "admin"),
    "lid-a@example.org": _set("stakeholder_a") | POLICY,
    "lid-b@example.org": _set("stakeholder_b") | POLICY,
    "aanbieder-x@example.org": _set("provider_x", "admin"),
    "aanbieder-y@example.org": _set("provider_y", "admin"),
    "panellid@example.org": _set("panel", "admin"),
    "ouder@example.org": POLICY,
}  # fmt: skip


def leaks(role: str, body: bytes) -> list[str]:
    """The private texts in a response body that this role may not read."""
    text = body.decode("utf-8", "replace")
    return [marker for marker, readers in MARKERS.items() if marker in text and role not in readers]


WATCHED = (
    "auth.User", "youth_panel.Vote", "consultations.Comment", "consultations.Flag",
    "consultations.Membership", "consultations.Organisation", "feedback.Case",
    "feedback.Invitation", "feedback.Provider",
    "feedback.SurveyResponse", "feedback.SafeguardingFlag", "feedback.StoryVote",
    "feedback.Action", "feedback.HalfYearReport", "youth_panel.PollSession",
    "youth_panel.PollCode", "youth_panel.Word", "youth_panel.PanelMember",
)  # fmt: skip


def fingerprint(labels: tuple[str, ...]) -> str:
    """A hash of every row of the given models, and the row counts of the watched ones."""
    digest = hashlib.sha256()
    for label in labels:
        model = apps.get_model(label)
        digest.update(repr(list(model.objects.order_by("pk").values_list())).encode())
    tables = [apps.get_model(label)._meta.db_table for label in WATCHED]
    counts = " , ".join(f'(SELECT COUNT(*) FROM "{table}")' for table in tables)
    with connection.cursor() as cursor:  # one query for every count
        cursor.execute(f"SELECT {counts}")
        digest.update(repr(cursor.fetchone()).encode())
    return digest.hexdigest()


class Walker:
    """Requests as one role; collects every difference from the table."""

    def __init__(self, role: str, world: World):
        self.role, self.world = role, world
        self.client = Client(raise_request_exception=False)
        if role != "anonymous":
            self.client.force_login(world.users[role])
        self.problems: list[str] = []

    def get(self, path: str, expected: str, where: str, shows: tuple[str, ...] = ()) -> None:
        FIGURES["requests"] += 1
        response = self.client.get(path)
        cookie = self.client.cookies.get("sessionid")
        if self.role != "anonymous" and not (cookie and cookie.value):
            # GET /beheer/logout/ is refused, but drops the session cookie: sign in again.
            self.client.force_login(self.world.users[self.role])
        got = outcome(response)
        if got != expected:
            self.problems.append(f"GET {path} [{where}] as {self.role}: {got}, expected {expected}")
        if got == "ok" and not path.endswith(".xlsx"):
            body = b"".join(response) if response.streaming else response.content
            for marker in set(leaks(self.role, body)) - set(shows):
                self.problems.append(f"GET {path} [{where}] as {self.role} shows {marker!r}")

    def post_refused(
        self, path: str, body: dict, writes: tuple[str, ...], where: str, form_back: bool = False
    ) -> None:
        FIGURES["requests"] += 1
        FIGURES["posts"] += 1
        before = fingerprint(writes)
        response = self.client.post(path, body)
        got = outcome(response)
        # The database decides; a redirect elsewhere (a code page) or a 400/409 also refuses.
        fine = {"refused", "moved", "status 400", "status 409"} | ({"ok"} if form_back else set())
        if got not in fine:
            self.problems.append(f"POST {path} [{where}] as {self.role}: {got}, expected refused")
        if fingerprint(writes) != before:
            self.problems.append(f"POST {path} [{where}] as {self.role} changed the database")


def expected_outcome(rule: Rule, variant: str, role: str) -> str:
    if role in rule.roles(rule.ok, variant):
        return "ok"
    if role in rule.roles(rule.moved, variant):
        return "moved"
    return "refused"


def missing_entries() -> list[str]:
    """URL names the tables do not cover."""
    missing = []
    for route, name in walk():
        section = section_of(route)
        if section is None:
            if name not in EXPECT:
                missing.append(f"{name} ({route})")
        elif section not in WAGTAIL_SECTIONS and name not in ADMIN_EXPECT:
            missing.append(f"{name} ({route})")
    return missing


def admin_routes(world: World):
    """(route, name, section, variant, path) for every admin pattern and owner's object."""
    for route, name in walk():
        section = section_of(route)
        if section is None:
            continue
        for variant, value in admin_objects(world, section).items():
            path = fill(route, name, value)
            if path is not None:
                yield route, name, section, variant, path
            if "<" not in route:
                break


SECTION_MODELS = {
    "reacties": "consultations.Comment",
    "organisaties": "consultations.Organisation",
    "lidmaatschappen": "consultations.Membership",
    "peilingen": "youth_panel.PollSession",
    "jongerenpanel": "youth_panel.PanelMember",
    "providers": "feedback.Provider",
    "signalen": "feedback.SafeguardingFlag",
    "verhalen": "feedback.SurveyResponse",
    "halfjaarrapporten": "feedback.HalfYearReport",
    "wat-we-deden": "feedback.Action",
}
WRITING_VIEWS = ("add", "edit", "delete", "copy", "invite")
FULL_ADMIN_WALK = {"anonymous", "young"}  # every Wagtail admin URL; others every 5th
# Of our own sections, roles without admin access try these views (with every owner's id).
SAMPLE_VIEWS = {"index", "edit", "inspect", "delete", "add", "invite"}


@pytest.fixture
def world(db) -> World:
    return build_world()


def test_every_url_pattern_has_an_entry_in_the_access_table():
    missing = missing_entries()
    assert not missing, (
        "These URL patterns have no entry in tests/security/test_access_walk.py: add each to "
        "EXPECT (site URLs) or ADMIN_EXPECT (our own /beheer/ sections), saying which roles may "
        "open it:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_what_the_table_allows(role, world):
    walker = Walker(role, world)
    # Site URLs: every variant (own and other owners' objects), GET, then POST where refused.
    for name, rule in EXPECT.items():
        for variant, path in rule.paths(world).items():
            where = f"{name} {variant}".strip()
            expected = expected_outcome(rule, variant, role)
            walker.get(path, expected, where, rule.shows)
            if rule.post is not None and role not in rule.roles(rule.post, variant):
                # A role that may open the form gets it back with an error; others are refused.
                walker.post_refused(
                    path,
                    rule.body(world, variant),
                    rule.writes,
                    where,
                    form_back=expected == "ok" or role in rule.form_back,
                )
    # The Wagtail admin.
    for index, (_route, name, section, variant, path) in enumerate(admin_routes(world)):
        where = f"{name} {variant}".strip()
        if section not in WAGTAIL_SECTIONS:
            allowed = ADMIN_EXPECT[name]
            view = name.rsplit(":", 1)[-1]
            if role not in STAFF | FULL_ADMIN_WALK and view not in SAMPLE_VIEWS:
                continue  # the same admin-access check refuses them: a sample is enough
            walker.get(path, "ok" if role in allowed else "refused", where)
            if role not in allowed and view in WRITING_VIEWS:
                model = SECTION_MODELS.get(section)
                walker.post_refused(path, {"note": "x", "name": "x"}, (model,) if model else (),
                                    where)  # fmt: skip
            continue
        if name in ADMIN_PUBLIC or name in ADMIN_MOVED:
            expected = (
                "ok" if role in ADMIN_PUBLIC.get(name, NOBODY)
                else "moved" if role in ADMIN_MOVED.get(name, NOBODY)
                else "refused"
            )  # fmt: skip
            walker.get(path, expected, where)
        elif role in STAFF:
            # Wagtail's own rights inside the admin: a sample, that must never give a 5xx.
            if index % 12 == 0 and name not in DELIBERATE_ERRORS:
                FIGURES["requests"] += 1
                status = walker.client.get(path).status_code
                if status >= 500:
                    walker.problems.append(f"GET {path} [{where}] as {role}: status {status}")
        elif role in FULL_ADMIN_WALK or index % 5 == 0:
            walker.get(path, "refused", where)
            if role == "young" and index % 6 == 0:
                walker.post_refused(path, {"title": "x", "name": "x"}, (), where)
    assert not walker.problems, f"{len(walker.problems)} problems:\n" + "\n".join(walker.problems)


def test_the_private_texts_are_on_the_pages_of_those_who_may_read_them(world):
    """The leak check is only worth something if the texts it looks for do reach pages."""
    seen = {
        ("stakeholder_a", world.consultation.url): "Geheim-A-zzq",
        ("admin", f"/beheer/signalen/inspect/{world.flag['Y'].pk}/"): "bang thuis Y-zzq",
        ("provider_x", reverse("feedback:case_saved", args=[world.case["X"].pk])): "X-000001",
        ("editor", "/beheer/reacties/"): "Dicht-B-zzq",
    }
    for (role, path), marker in seen.items():
        walker = Walker(role, world)
        response = walker.client.get(path)
        assert response.status_code == 200 and marker in response.content.decode(), (role, path)
        assert leaks("stakeholder_b", response.content) != [], (role, path)


# --- websocket routes -----------------------------------------------------------------------


@pytest.fixture
async def hubs_stop():
    """After the test, wait for the poll hubs to stop (they close their database connections)."""
    from youth_panel import live

    yield
    tasks = [hub.task for hub in list(live._hubs.values()) if hub.task and not hub.task.done()]
    if tasks:
        await asyncio.wait(tasks, timeout=2)
    live._hubs.clear()


def _cookies(world: World) -> dict[str, str]:
    """The session cookie of every signed-in role ("" for anonymous)."""
    cookies = {"anonymous": ""}
    for role in ROLES[1:]:
        client = Client()
        client.force_login(world.users[role])
        cookies[role] = f"sessionid={client.cookies['sessionid'].value}"
    return cookies


async def _socket(path: str, cookie: str):
    headers = [(b"origin", b"http://testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application(), path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    FIGURES["websocket"] += 1
    return communicator, connected, code


def application():
    from config.asgi import application as app

    return app


async def _error_reply(communicator) -> dict:
    """The next error message; state frames of other sockets' news may come first. {} if none."""
    try:
        async with asyncio.timeout(5):
            while True:
                message = await communicator.receive_json_from(timeout=5)
                if message["type"] == "error":
                    return message
    except TimeoutError:
        return {}


def _poll_state(key: str) -> tuple:
    from youth_panel.models import PollSession

    session = PollSession.objects.get(join_code=key)
    return session.status, session.voting_open, session.results_visible


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_each_role_on_every_websocket_route_gets_only_its_own_rights(hubs_stop):
    world = await sync_to_async(build_world)()
    cookies = await sync_to_async(_cookies)(world)
    hosts = {"AAAA22": {"stakeholder_a", "admin"}, "BBBB33": {"stakeholder_b", "admin"}}
    problems = []
    for role in ROLES:
        # The health socket is public.
        health, connected, _ = await _socket("/ws/gezond/", cookies[role])
        if not connected or (await health.receive_json_from(timeout=5))["type"] != "hello":
            problems.append(f"/ws/gezond/ as {role}: no hello")
        await health.disconnect()
        # An unknown code is closed with 4404, for everyone.
        _, connected, code = await _socket("/ws/p/ONBEKEND/", cookies[role])
        if connected or code != 4404:
            problems.append(f"/ws/p/ONBEKEND/ as {role}: connected={connected} code={code}")
        for join_code, host_roles in hosts.items():
            path = f"/ws/p/{join_code}/"
            socket, connected, _ = await _socket(path, cookies[role])
            if not connected:
                problems.append(f"{path} as {role}: refused, but the poll is open to all")
                continue
            state = await socket.receive_json_from(timeout=5)
            is_host = role in host_roles
            shown = state.get("tally") is not None
            if shown != is_host:  # the results are not on screen yet: only hosts see the tally
                problems.append(f"{path} as {role}: tally shown={shown}")
            if not is_host:
                before = await sync_to_async(_poll_state)(join_code)
                await socket.send_json_to({"type": "control", "action": "close"})
                reply = await _error_reply(socket)
                FIGURES["websocket"] += 1
                after = await sync_to_async(_poll_state)(join_code)
                if reply.get("code") != "forbidden" or after != before:
                    problems.append(f"{path} as {role}: control not refused ({reply})")
            await socket.disconnect()
    # The hosts' controls work (so the refusals above are not just a broken socket).
    for join_code, role in (("AAAA22", "stakeholder_a"), ("BBBB33", "admin")):
        socket, connected, _ = await _socket(f"/ws/p/{join_code}/", cookies[role])
        await socket.receive_json_from(timeout=5)
        await socket.send_json_to({"type": "control", "action": "close"})
        FIGURES["websocket"] += 1
        for _ in range(20):
            await asyncio.sleep(0.05)
            if not (await sync_to_async(_poll_state)(join_code))[1]:
                break
        else:
            problems.append(f"{join_code} as {role}: the host's control did nothing")
        await socket.disconnect()
    await sync_to_async(lambda: connection.close())()  # the thread that built the world
    assert not problems, "\n".join(problems)


def test_figures_of_the_walk(capsys):
    """Prints the size of the walk (run with -s); the counts come from the tests above."""
    patterns = list(walk())
    with capsys.disabled():
        print(
            f"\naccess walk: {len(patterns)} URL patterns, {len(ROLES)} roles, "
            f"{FIGURES['requests']} requests ({FIGURES['posts']} refused POSTs), "
            f"{FIGURES['websocket']} websocket checks"
        )
    assert len(patterns) > 300
