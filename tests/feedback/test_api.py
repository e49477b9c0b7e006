"""The read-only JSON API of the public figures and its OpenAPI description.

Personas: `client` is an anonymous visitor; the API needs no login, no cookie and no key.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest

from feedback import publish
from feedback.choices import AgeBand, District
from feedback.synthetic import seed_synthetic_feedback
from tests.feedback.helpers import answers

pytestmark = pytest.mark.django_db

FIGURES = "/api/v1/cijfers/"
PERIODS = "/api/v1/cijfers/perioden/"
OPENAPI = "/api/v1/openapi.json"
NUMBERS = ("value", "percent", "n", "low", "high")


@pytest.fixture
def three_in_centrum():
    """40 answers from Oudorp (all 8) and 3 from Centrum (1, 1, 2): Centrum must stay hidden."""
    answers([8] * 40, District.OUDORP)
    answers([1, 1, 2], District.CENTRUM)


@pytest.fixture
def synthetic():
    """The demo data: 400 synthetic cases over four half-years."""
    seed_synthetic_feedback(now=datetime.date(2026, 11, 1), cases=400)


def every_figure(data: dict):
    """Every figure dict in an API answer: indicators, their trend and their groups."""
    for indicator in data["indicators"]:
        yield indicator
        yield from indicator["trend"]
        yield from indicator["groups"]


def block(data: dict, key: str) -> dict:
    return next(indicator for indicator in data["indicators"] if indicator["key"] == key)


# --- figures ------------------------------------------------------------------------------


def test_the_figures_are_the_public_dashboard_as_json(synthetic, client):
    response = client.get(FIGURES, {"periode": "2025-H2", "indeling": "age_band"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert not response.cookies, "no cookie is needed or set"
    data = response.json()
    assert data["period"] == "2025-H2"
    assert data["period_label"] == "tweede helft van 2025"
    assert data["periods"] == ["2024-H2", "2025-H1", "2025-H2", "2026-H1"]
    assert (data["split"], data["split_label"]) == ("age_band", "Leeftijd")
    assert [split["code"] for split in data["splits"]] == list(publish.PUBLIC_SPLITS)
    assert data["synthetic"] is True and data["synthetic_note"].startswith("Dit zijn oefen")
    assert data["suppression"] == {
        "min_n": 10,
        "min_n_percent": 30,
        "rounding": 5,
        "hidden_text": "te weinig reacties",
    }
    assert data["messages"] == []
    mark = block(data, "mark_mean")
    assert (mark["label"], mark["kind"], mark["higher_is_better"]) == (
        "Gemiddeld rapportcijfer",
        "mean",
        True,
    )
    assert [point["period"] for point in mark["trend"]] == data["periods"]
    assert [group["code"] for group in mark["groups"]] == list(AgeBand.values)
    assert "provider" not in {split["code"] for split in data["splits"]}


def test_the_figures_match_what_publish_builds(synthetic, client):
    data = client.get(FIGURES, {"indeling": "district"}).json()
    board = publish.build(public=True, split="district")

    assert [indicator["key"] for indicator in data["indicators"]] == [b.key for b in board.blocks]
    for indicator, source in zip(data["indicators"], board.blocks, strict=True):
        cell = source.figure.cell
        assert indicator["shown"] == cell.shown
        if cell.shown and cell.kind == "share":
            assert indicator["percent"] == cell.percent
            assert indicator["value"] == cell.percent / 100
        elif cell.shown:
            assert indicator["value"] == pytest.approx(cell.value, abs=0.05)
        shown_groups = [group["shown"] for group in indicator["groups"]]
        assert shown_groups == [group.figure.cell.shown for group in source.groups]


def test_hidden_cells_carry_no_number_and_shown_counts_are_rounded(synthetic, client):
    hidden = shown = 0
    for split in publish.PUBLIC_SPLITS:
        data = client.get(FIGURES, {"indeling": split}).json()
        for figure in every_figure(data):
            if figure["shown"]:
                shown += 1
                assert figure["n"] % 5 == 0
                assert figure["n"] >= 10
            else:
                hidden += 1
                assert all(figure[name] is None for name in NUMBERS)
                assert figure["text"] == "te weinig reacties"
    assert hidden and shown, "the demo data has both"


def test_a_group_of_three_never_shows_its_numbers(three_in_centrum, client):
    response = client.get(FIGURES, {"indeling": "district"})
    data = response.json()
    mark = block(data, "mark_mean")

    # 324 / 43 = 7.53; 43 respondents rounded to 45.
    assert (mark["shown"], mark["value"], mark["n"]) == (True, 7.5, 45)
    groups = {group["code"]: group for group in mark["groups"]}
    for code in (District.CENTRUM, District.OUDORP):
        # Oudorp (40) hidden too: the total minus Oudorp would give Centrum away.
        assert groups[code]["shown"] is False
        assert all(groups[code][name] is None for name in NUMBERS)
    seven = block(data, "mark_7_plus")
    assert (seven["percent"], seven["value"], seven["n"]) == (93, 0.93, 45)  # 40 / 43
    text = response.content.decode()
    assert not re.search(r'"n": (3|40|43)\b', text)
    for leak in ("1.3", "7.53", "0.930"):  # Centrum's mean; long decimals of the total
        assert leak not in text


def test_shares_and_means_keep_the_dashboard_precision(three_in_centrum, client):
    data = client.get(FIGURES).json()
    mark = block(data, "mark_mean")
    seven = block(data, "mark_7_plus")

    # Long decimals (7.534883..., 0.930232...) could give the exact 43 behind the rounded 45.
    for number in (mark["value"], mark["low"], mark["high"]):
        assert number == round(number, 1)
    for number in (seven["value"], seven["low"], seven["high"]):
        assert number == round(number, 2)
    assert mark["low"] < mark["value"] < mark["high"]
    assert seven["low"] < seven["value"] < seven["high"]


def test_english_labels_follow_the_chosen_language(three_in_centrum, client):
    client.cookies["taal"] = "en"
    data = client.get(FIGURES, {"indeling": "district"}).json()

    assert block(data, "mark_mean")["label"] == "Average mark"
    assert data["split_label"] == "District or village"
    assert data["suppression"]["hidden_text"] == "too few responses"
    json.dumps(data)  # no lazy string left


def test_no_answers_yet_is_an_empty_answer_with_a_message(db, client):
    response = client.get(FIGURES)

    assert response.status_code == 200
    data = response.json()
    assert (data["period"], data["periods"], data["indicators"]) == (None, [], [])
    assert data["messages"] == ["Er zijn nog geen antwoorden om te laten zien."]
    assert client.get(PERIODS).json() == {
        "periods": [],
        "latest": None,
        "messages": ["Er zijn nog geen antwoorden om te laten zien."],
    }


# --- bad input ----------------------------------------------------------------------------


def _error(response, status: int, code: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    return error["message"]


def test_an_unknown_split_is_refused_with_a_message(three_in_centrum, client):
    response = client.get(FIGURES, {"indeling": "provider"})

    message = _error(response, 400, "unknown_split")
    assert message.startswith("Deze indeling kennen we niet.")
    assert response.json()["error"]["allowed"] == list(publish.PUBLIC_SPLITS)
    assert "Oudorp" not in response.content.decode()


def test_a_period_without_answers_is_refused_with_the_periods_there_are(three_in_centrum, client):
    response = client.get(FIGURES, {"periode": "2019-H1"})

    message = _error(response, 404, "unknown_period")
    assert message == ("Over deze periode hebben we geen antwoorden. Je kunt kiezen uit: 2026-H1.")
    assert response.json()["error"]["allowed"] == ["2026-H1"]
    assert "indicators" not in response.json()


def test_a_period_in_another_form_is_refused(three_in_centrum, client):
    for period in ("2026", "2026-Q1", "H1-2026", "<script>"):
        message = _error(client.get(FIGURES, {"periode": period}), 400, "unknown_period")
        assert "2026-H1" in message


def test_an_unknown_parameter_is_refused(three_in_centrum, client):
    message = _error(client.get(FIGURES, {"aanbieder": "1"}), 400, "unknown_parameter")
    assert message == "Deze vraag kennen we niet: aanbieder. Je kunt kiezen uit: periode, indeling."
    _error(client.get(PERIODS, {"indeling": "district"}), 400, "unknown_parameter")


def test_errors_are_cached_briefly_too(three_in_centrum, client):
    response = client.get(FIGURES, {"indeling": "onzin"})
    assert response["Cache-Control"] == "public, max-age=300"


def test_only_reading_is_allowed(three_in_centrum, client):
    for url in (FIGURES, PERIODS, OPENAPI):
        for method in (client.post, client.put, client.delete, client.patch):
            response = method(url)
            _error(response, 405, "method_not_allowed")
            assert response["Allow"] == "GET, HEAD"
        head = client.head(url)
        assert head.status_code == 200 and head.content == b""


def test_the_periods_list_the_half_years_with_figures(synthetic, client):
    response = client.get(PERIODS)

    assert response["Cache-Control"] == "public, max-age=300"
    assert response.json() == {
        "periods": [
            {"period": "2024-H2", "label": "tweede helft van 2024"},
            {"period": "2025-H1", "label": "eerste helft van 2025"},
            {"period": "2025-H2", "label": "tweede helft van 2025"},
            {"period": "2026-H1", "label": "eerste helft van 2026"},
        ],
        "latest": "2026-H1",
        "messages": [],
    }


# --- the OpenAPI description --------------------------------------------------------------


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        assert schema["$ref"].startswith("#/"), schema
        node = document
        for part in schema["$ref"][2:].split("/"):
            node = node[part]
        schema = node
    return schema


_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def conforms(document: dict, schema: dict, value, where: str = "$", whole: bool = True) -> None:
    """A small JSON Schema check (type, enum, properties, required, items, allOf, $ref).

    openapi-spec-validator is not installed here; this checks the parts the document uses,
    and that every property an answer carries is described (by the schema as a whole, `whole`,
    not by each part of an allOf).
    """
    schema = _resolve(document, schema)
    for part in schema.get("allOf", []):
        conforms(document, part, value, where, whole=False)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        matches = [
            t
            for t in types
            if isinstance(value, _TYPES[t]) and not (t in ("integer", "number") and value is True)
        ]
        assert matches, f"{where}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict) and ("properties" in schema or "allOf" in schema):
        described = set(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            described |= set(_resolve(document, part).get("properties", {}))
        if whole:
            assert set(value) <= described, f"{where}: undescribed {set(value) - described}"
        for name in schema.get("required", []):
            assert name in value, f"{where}: {name} missing"
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                conforms(document, sub, value[name], f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            conforms(document, schema["items"], item, f"{where}[{index}]")


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_openapi_document_describes_both_endpoints_and_their_parameters(db, client):
    response = client.get(OPENAPI)
    assert response.status_code == 200
    document = response.json()

    assert document["openapi"] == "3.1.0"
    assert {"title", "version"} <= set(document["info"])
    assert set(document["paths"]) == {FIGURES, PERIODS, OPENAPI}
    for path, item in document["paths"].items():
        assert set(item) == {"get"}, path
        assert {"200", "400", "405"} <= set(item["get"]["responses"]), path
        for response_spec in item["get"]["responses"].values():
            assert response_spec["description"]
            assert "application/json" in response_spec["content"]
    parameters = [_resolve(document, p) for p in document["paths"][FIGURES]["get"]["parameters"]]
    assert [(p["name"], p["in"]) for p in parameters] == [
        ("periode", "query"),
        ("indeling", "query"),
    ]
    split = parameters[1]["schema"]
    assert split["enum"] == list(publish.PUBLIC_SPLITS) and split["default"] == "overall"
    assert re.fullmatch(parameters[0]["schema"]["pattern"], "2026-H1")
    assert not re.fullmatch(parameters[0]["schema"]["pattern"], "2026-Q1")
    for ref in _refs(document):
        _resolve(document, {"$ref": ref})  # every reference leads somewhere


def test_every_answer_fits_its_openapi_schema(synthetic, client):
    document = client.get(OPENAPI).json()

    def schema(path: str, status: str) -> dict:
        responses = document["paths"][path]["get"]["responses"]
        return responses[status]["content"]["application/json"]["schema"]

    for split in publish.PUBLIC_SPLITS:
        conforms(document, schema(FIGURES, "200"), client.get(FIGURES, {"indeling": split}).json())
    conforms(document, schema(PERIODS, "200"), client.get(PERIODS).json())
    for query in ({"indeling": "x"}, {"x": "1"}):
        conforms(document, schema(FIGURES, "400"), client.get(FIGURES, query).json())
    conforms(document, schema(FIGURES, "404"), client.get(FIGURES, {"periode": "1999-H1"}).json())
    conforms(document, schema(FIGURES, "405"), client.post(FIGURES).json())
    with pytest.raises(AssertionError):
        conforms(document, schema(FIGURES, "200"), {"period": None, "secret": 3})
