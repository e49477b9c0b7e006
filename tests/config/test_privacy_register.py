"""The privacy register (docs/privacy-register.toml) lists every field we store, and stays current.

Field by field: every concrete model of our apps, the account tables and wagtailcore.Page (whose
fields our pages inherit); each field is listed under the model that defines it. Every other
installed model has one general entry. The register may name nothing that does not exist.
"""

from __future__ import annotations

import datetime
import json
import tomllib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "docs" / "privacy-register.toml"

FIELD_LEVEL_APPS = {"home", "consultations", "youth_panel", "feedback"}
FIELD_LEVEL_MODELS = {
    "auth.User",
    "account.EmailAddress",
    "account.EmailConfirmation",
    "wagtailcore.Page",
}
PERSONAL_VALUES = {"yes", "no", "pseudonymous"}
COLUMNS = ("purpose", "legal_basis", "retention")


def _register() -> dict:
    with REGISTER.open("rb") as file:
        return tomllib.load(file)


def _installed_models() -> list:
    """Every model with a table of its own (proxies share their parent's)."""
    return [model for model in apps.get_models() if not model._meta.proxy]


def _in_field_scope(model) -> bool:
    return model._meta.app_label in FIELD_LEVEL_APPS or model._meta.label in FIELD_LEVEL_MODELS


def _own_fields(model) -> set[str]:
    """The concrete fields (FKs and M2Ms included) that this model's own table defines."""
    return {
        field.name
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False) and field.model is model
    }


def _fields(register: dict, label: str) -> dict:
    return register["models"].get(label, {}).get("fields", {})


def _effective(register: dict, label: str, name: str) -> dict:
    """A field's entry with the model's legal basis and retention filled in where it has none."""
    model = register["models"][label]
    entry = dict(model["fields"][name])
    for column in ("legal_basis", "retention"):
        entry.setdefault(column, model.get(column, ""))
    return entry


def test_the_register_is_valid_toml_with_models_and_general_entries():
    register = _register()

    assert set(register) == {"models", "general"}
    assert register["models"] and register["general"]


def test_every_field_of_every_model_in_scope_is_in_the_register():
    register = _register()
    missing = []
    for model in _installed_models():
        if not _in_field_scope(model):
            continue
        for field in model._meta.get_fields():
            if not getattr(field, "concrete", False):
                continue
            # An inherited field (a page's title) is listed under the model that defines it.
            label = field.model._meta.label
            if field.name not in _fields(register, label):
                missing.append(f"{label}.{field.name}")

    assert missing == [], "fields missing from docs/privacy-register.toml: " + ", ".join(missing)


def test_the_register_names_no_model_or_field_that_does_not_exist():
    register = _register()
    models = {model._meta.label: model for model in _installed_models()}
    unknown = []
    for label, entry in register["models"].items():
        model = models.get(label)
        if model is None:
            unknown.append(label)
            continue
        unknown.extend(f"{label}.{name}" for name in set(entry["fields"]) - _own_fields(model))
    vendor = connection.vendor
    unknown.extend(
        label
        for label, entry in register["general"].items()
        if label not in models and entry.get("only_on", vendor) == vendor
    )

    assert unknown == [], "not in the project (any more): " + ", ".join(sorted(unknown))


def test_models_in_scope_are_listed_field_by_field_and_all_others_in_general():
    register = _register()
    field_level = {model._meta.label for model in _installed_models() if _in_field_scope(model)}
    others = {model._meta.label for model in _installed_models()} - field_level

    assert sorted(field_level - set(register["models"])) == []
    assert sorted(set(register["models"]) - field_level) == []
    assert sorted(others - set(register["general"])) == []
    assert sorted(set(register["general"]) & field_level) == []


def test_every_field_has_a_purpose_a_legal_basis_a_retention_and_an_allowed_personal_value():
    register = _register()
    problems = []
    for label, model in register["models"].items():
        for name in model["fields"]:
            entry = _effective(register, label, name)
            problems.extend(
                f"{label}.{name}: no {column}"
                for column in COLUMNS
                if not str(entry.get(column, "")).strip()
            )
            if entry.get("personal") not in PERSONAL_VALUES:
                problems.append(f"{label}.{name}: personal = {entry.get('personal')!r}")
            if entry.get("export") is False and not str(entry.get("export_reason", "")).strip():
                problems.append(f"{label}.{name}: export = false without export_reason")
            if "special" in entry and not str(entry["special"]).strip():
                problems.append(f"{label}.{name}: empty special")
    for label, entry in register["general"].items():
        problems.extend(
            f"{label}: no {column}" for column in COLUMNS if not str(entry.get(column, "")).strip()
        )
        if entry.get("personal") not in PERSONAL_VALUES:
            problems.append(f"{label}: personal = {entry.get('personal')!r}")

    assert problems == []


def test_the_fields_that_tie_a_person_to_youth_care_are_marked_personal_or_pseudonymous():
    register = _register()

    assert _fields(register, "feedback.Invitation")["contact"]["personal"] == "yes"
    for name in ("reference", "help_type", "referrer", "end_reason"):
        assert _fields(register, "feedback.Case")[name]["personal"] == "pseudonymous"
    for name in ("usefulness", "most_important_change", "what_should_change"):
        entry = _fields(register, "feedback.SurveyResponse")[name]
        assert entry["personal"] == "pseudonymous"
        assert "art. 9" in entry["special"]


def test_the_youth_panel_rests_on_consent_with_a_parent_under_16():
    register = _register()
    basis = register["models"]["youth_panel.PanelMember"]["legal_basis"]

    assert "consent (art. 6(1)(a) AVG)" in basis
    assert "art. 8 AVG" in basis and "art. 5 UAVG" in basis


def test_legitimate_interest_is_never_the_legal_basis():
    # A municipality cannot rely on art. 6(1)(f) for its public tasks (AVG art. 6(1), last line).
    register = _register()
    bases = [entry["legal_basis"] for entry in register["general"].values()]
    for label, model in register["models"].items():
        bases.extend(_effective(register, label, name)["legal_basis"] for name in model["fields"])

    assert len(bases) > 400
    assert [basis for basis in bases if "6(1)(f)" in basis or "legitimate" in basis.lower()] == []


# --- the account holder's data export covers what the register marks personal ----------------

# Where collect_data() puts each PanelMember field; a field the register marks personal (and does
# not exclude with export = false) must be here, and its value must be in the export.
PANEL_EXPORT = {
    "user": lambda data: data["account"]["username"],
    "age_band": lambda data: data["youth_panel"]["age_band"],
    "district": lambda data: data["youth_panel"]["district"],
    "school_type": lambda data: data["youth_panel"]["school_type"],
    "consent_version": lambda data: data["youth_panel"]["consent_version"],
    "consented_at": lambda data: data["youth_panel"]["consented_at"],
    "joined_at": lambda data: data["youth_panel"]["joined_at"],
    "needs_parent": lambda data: data["youth_panel"]["parent_must_confirm"],
    "parent_email": lambda data: data["youth_panel"]["parent_email"],
    "parent_requested_at": lambda data: data["youth_panel"]["parent_mailed_at"],
    "parent_confirmed_at": lambda data: data["youth_panel"]["parent_confirmed_at"],
    "unsubscribed_at": lambda data: data["youth_panel"]["unsubscribed_at"],
}


def _exported_personal_fields(label: str) -> set[str]:
    register = _register()
    return {
        name
        for name, entry in _fields(register, label).items()
        if entry["personal"] == "yes" and entry.get("export", True)
    }


@pytest.fixture
def panel_member(participant):
    """A panel member of 15 whose parent was mailed and confirmed, who then unsubscribed."""
    from youth_panel.models import PanelMember

    moment = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30))
    member = PanelMember.objects.create(
        user=participant,
        age_band=PanelMember.AgeBand.AGE_12_15,
        district="Oudorp",
        school_type=PanelMember.SchoolType.HAVO,
        consent_version="2025-1",
        consented_at=moment,
        needs_parent=True,
        parent_email="ouder@example.org",
        parent_token_hash="f" * 64,
        parent_requested_at=moment + datetime.timedelta(minutes=5),
        parent_confirmed_at=moment + datetime.timedelta(days=1),
        unsubscribed_at=moment + datetime.timedelta(days=30),
    )
    return PanelMember.objects.get(pk=member.pk)


def test_the_data_export_has_every_panel_member_field_the_register_marks_personal(panel_member):
    from youth_panel.panel import collect_data

    data = collect_data(panel_member.user)
    personal = _exported_personal_fields("youth_panel.PanelMember")
    expected = {
        name: panel_member.user.username if name == "user" else getattr(panel_member, name)
        for name in personal
    }

    assert sorted(personal - set(PANEL_EXPORT)) == [], "personal fields missing from the export"
    assert {name: PANEL_EXPORT[name](data) for name in personal} == expected
    # The download is JSON: every value must survive being written out.
    written = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    assert written["youth_panel"]["parent_email"] == "ouder@example.org"


def test_the_data_export_has_the_account_holders_e_mail_address(panel_member):
    from youth_panel.panel import collect_data

    data = collect_data(panel_member.user)

    assert data["account"]["email"] == "sam@example.org"
    assert data["account"]["emails"] == [
        {"email": "sam@example.org", "verified": True, "primary": True}
    ]
