"""A read-only JSON API of the public dashboard, with its OpenAPI 3.1 description.

Everything it publishes comes from feedback.publish (public=True), which suppresses and rounds:
this module only turns a published Dashboard into JSON. A hidden cell is sent as
{"shown": false, "value": null, "n": null, ...} with the text "te weinig reacties", never with
a number. Shares, means and intervals carry the precision of the dashboard (whole percents, one
decimal for marks): long decimals could give away the exact count behind a rounded n.

Unlike the dashboard page, which falls back to the latest period and says so, the API refuses
what it does not know (an unknown parameter or split, a period in another form) with HTTP 400
and a message, and a well-formed half-year without figures with HTTP 404, so that a client
never mistakes the fallback for the figures it asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from feedback import indicators, publish, stories, suppression
from feedback.templatetags.suppression import cell_text

PARAMETERS = ("periode", "indeling")
# A half-year such as 2026-H1 (ASCII digits only, as in JSON Schema); also in the description.
PERIOD_PATTERN = r"^[0-9]{4}-H[12]$"
CACHE_SECONDS = 300
ALLOWED_METHODS = ("GET", "HEAD")

UNKNOWN_PARAMETER = "unknown_parameter"
UNKNOWN_SPLIT = "unknown_split"
UNKNOWN_PERIOD = "unknown_period"
METHOD_NOT_ALLOWED = "method_not_allowed"


class BadRequest(Exception):
    """A question the API cannot answer, with a code for programs and a message for people."""

    status = 400

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class NotFound(BadRequest):
    """A well-formed question about something that has no figures, such as an empty half-year."""

    status = 404


def error_response(status: int, code: str, message: str, **details: Any) -> JsonResponse:
    """The one shape of every error: {"error": {"code": ..., "message": ...}}."""
    return JsonResponse(
        {"error": {"code": code, "message": str(message), **details}}, status=status
    )


# --- turning published cells into JSON ------------------------------------------------------


def _half_up(value: float, places: int) -> float:
    step = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP))


def _whole_percent(share: float) -> int:
    return math.floor(100 * share + 0.5)


def _bound(value: float | None, kind: str) -> float | None:
    """An interval bound with the precision the dashboard shows."""
    if value is None:
        return None
    if kind == "share":
        return _whole_percent(value) / 100
    return _half_up(value, 1)


def figure_json(figure: publish.Figure) -> dict[str, Any]:
    """One published figure: the numbers when shown, only nulls and a text when hidden."""
    cell = figure.cell
    if not cell.shown or cell.value is None:
        return {
            "shown": False,
            "value": None,
            "percent": None,
            "n": None,
            "low": None,
            "high": None,
            "text": cell_text(cell),
        }
    if cell.kind == "share":
        value: float | int = cell.percent / 100
    else:
        value = _half_up(float(cell.value), 1)
    return {
        "shown": True,
        "value": value,
        "percent": cell.percent if cell.kind == "share" else None,
        "n": cell.n,
        "low": _bound(figure.low, cell.kind),
        "high": _bound(figure.high, cell.kind),
        "text": cell_text(cell),
    }


def block_json(block: publish.Block) -> dict[str, Any]:
    """One indicator with its trend and the groups of the chosen split."""
    return {
        "key": block.key,
        "label": str(block.label),
        "kind": block.kind,
        "higher_is_better": block.higher_is_better,
        **figure_json(block.figure),
        "trend": [{"period": period, **figure_json(figure)} for period, figure in block.trend],
        "groups": [
            {"code": group.value, "label": str(group.label), **figure_json(group.figure)}
            for group in block.groups
        ],
    }


def suppression_json() -> dict[str, Any]:
    """The suppression settings a reader needs to read the figures."""
    return {
        "min_n": suppression.min_n(),
        "min_n_percent": suppression.min_n_percent(),
        "rounding": settings.PUBLIC_COUNT_ROUNDING,
        "hidden_text": gettext("te weinig reacties"),
    }


def dashboard_json(board: publish.Dashboard) -> dict[str, Any]:
    """The whole public dashboard as JSON-ready data (lazy strings resolved)."""
    return {
        "period": board.period,
        "period_label": stories.half_year_label(board.period) if board.period else None,
        "periods": list(board.periods),
        "split": board.split,
        "split_label": str(board.split_label),
        "splits": [{"code": key, "label": str(label)} for key, label in _splits()],
        "synthetic": board.synthetic,
        "synthetic_note": str(publish.SYNTHETIC_NOTE) if board.synthetic else None,
        "suppression": suppression_json(),
        "messages": [str(problem) for problem in board.problems],
        "indicators": [block_json(block) for block in board.blocks],
    }


def _splits():
    return publish.split_choices(public=True)


# --- checking the question ------------------------------------------------------------------


def check_names(query, allowed: tuple[str, ...] = ()) -> None:
    """BadRequest when the query holds a parameter this endpoint does not know."""
    unknown = sorted(set(query) - set(allowed))
    if not unknown:
        return
    # Named back shortened: a huge made-up name must not come back as a huge answer.
    unknown = [name if len(name) <= 40 else f"{name[:40]}…" for name in unknown[:5]]
    if allowed:
        message = gettext(
            "Deze vraag kennen we niet: %(names)s. Je kunt kiezen uit: %(allowed)s."
        ) % {"names": ", ".join(unknown), "allowed": ", ".join(allowed)}
    else:
        message = gettext("Deze vraag kennen we niet: %(names)s. Laat de vraag weg.") % {
            "names": ", ".join(unknown)
        }
    raise BadRequest(UNKNOWN_PARAMETER, message, allowed=list(allowed))


def checked_query(query) -> tuple[str | None, str]:
    """The period and split asked for, or BadRequest for anything the API does not know.

    Strict, as the OpenAPI description says: an empty value or one with spaces is refused,
    not read as "not given".
    """
    check_names(query, PARAMETERS)
    split = query.get("indeling", "overall")
    if split not in publish.PUBLIC_SPLITS:
        raise BadRequest(
            UNKNOWN_SPLIT,
            gettext("Deze indeling kennen we niet. Je kunt kiezen uit: %(allowed)s.")
            % {"allowed": ", ".join(publish.PUBLIC_SPLITS)},
            allowed=list(publish.PUBLIC_SPLITS),
        )
    period = query.get("periode")
    if period is not None and not re.fullmatch(PERIOD_PATTERN, period):
        raise BadRequest(
            UNKNOWN_PERIOD,
            gettext("Schrijf de periode als jaar en helft, bijvoorbeeld 2026-H1."),
        )
    return period, split


def _unknown_period(periods: list[str]) -> NotFound:
    if not periods:
        message = gettext("Over deze periode hebben we geen antwoorden. Er zijn nog geen cijfers.")
    else:
        message = gettext(
            "Over deze periode hebben we geen antwoorden. Je kunt kiezen uit: %(allowed)s."
        ) % {"allowed": ", ".join(periods)}
    return NotFound(UNKNOWN_PERIOD, message, allowed=list(periods))


# --- views ----------------------------------------------------------------------------------


def read_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only (else 405 in JSON); answers cached by browsers and proxies for 5 min."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method not in ALLOWED_METHODS:
            response = error_response(
                405,
                METHOD_NOT_ALLOWED,
                gettext("Deze API kan alleen lezen. Gebruik GET."),
            )
            response["Allow"] = ", ".join(ALLOWED_METHODS)
            return response
        try:
            response = view(request, *args, **kwargs)
        except BadRequest as error:
            response = error_response(error.status, error.code, error.message, **error.details)
        patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
        return response

    return wrapper


def _json(data: dict[str, Any]) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@read_only
def figures(request: HttpRequest) -> JsonResponse:
    """GET /cijfers/: the public dashboard of one half-year and split."""
    period, split = checked_query(request.GET)
    board = publish.build(public=True, period=period, split=split)
    if period is not None and period not in board.periods:
        raise _unknown_period(board.periods)
    return _json(dashboard_json(board))


@read_only
def periods(request: HttpRequest) -> JsonResponse:
    """GET /cijfers/perioden/: the half-years with public figures, oldest first."""
    check_names(request.GET)
    board = publish.build(public=True)
    return _json(
        {
            "periods": [
                {"period": period, "label": stories.half_year_label(period)}
                for period in board.periods
            ],
            "latest": board.periods[-1] if board.periods else None,
            "messages": [str(problem) for problem in board.problems],
        }
    )


@read_only
def openapi(request: HttpRequest) -> JsonResponse:
    """GET /openapi.json: the OpenAPI 3.1 description of this API."""
    check_names(request.GET)
    return _json(openapi_document())


# --- the OpenAPI description ----------------------------------------------------------------

# Written by hand: the API is small and its description should read well. Descriptions are in
# Dutch, for developers; the paths come from the URL configuration, so they stay right.
API_TITLE = _("Jeugdstem cijfers")


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document as a dict."""
    figure_properties = {
        "shown": {
            "type": "boolean",
            "description": "false: te weinig reacties; alle getallen zijn dan null.",
        },
        "value": _nullable(
            "number",
            description="Aandeel tussen 0 en 1 (hele procenten) of gemiddeld cijfer "
            "(één decimaal).",
        ),
        "percent": _nullable("integer", minimum=0, maximum=100, description="Bij een aandeel."),
        "n": _nullable(
            "integer",
            minimum=0,
            description="Aantal reacties, afgerond op een veelvoud van suppression.rounding.",
        ),
        "low": _nullable("number", description="Ondergrens van het 95%-interval."),
        "high": _nullable("number", description="Bovengrens van het 95%-interval."),
        "text": {
            "type": "string",
            "description": "Het getal zoals het dashboard het toont, of 'te weinig reacties'.",
        },
    }
    figure_required = list(figure_properties)
    splits = list(publish.PUBLIC_SPLITS)
    error_schema = {"$ref": "#/components/schemas/Error"}
    bad_request = {
        "description": "Onbekende vraag, indeling of periode.",
        "content": {"application/json": {"schema": error_schema}},
    }
    not_found = {
        "description": "Over dit half jaar zijn er geen cijfers; 'allowed' noemt de halve jaren "
        "die er wel zijn.",
        "content": {"application/json": {"schema": error_schema}},
    }
    not_allowed = {
        "description": "Alleen GET en HEAD.",
        "content": {"application/json": {"schema": error_schema}},
    }
    cached = {
        "Cache-Control": {
            "description": f"public, max-age={CACHE_SECONDS}",
            "schema": {"type": "string"},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": str(API_TITLE),
            "version": "1.0.0",
            "description": (
                "Openbare cijfers van de vragenlijst na afloop van de jeugdhulp, per half jaar. "
                f"Een getal over minder dan {suppression.min_n()} reacties tonen we niet, een "
                f"percentage alleen vanaf {suppression.min_n_percent()} reacties. Aantallen zijn "
                f"afgerond op {settings.PUBLIC_COUNT_ROUNDING}. Alleen lezen."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            reverse("api:figures"): {
                "get": {
                    "operationId": "cijfers",
                    "summary": "De cijfers van één half jaar, met de trend.",
                    "parameters": [
                        {"$ref": "#/components/parameters/periode"},
                        {"$ref": "#/components/parameters/indeling"},
                    ],
                    "responses": {
                        "200": {
                            "description": "Het openbare dashboard.",
                            "headers": cached,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Dashboard"}
                                }
                            },
                        },
                        "400": bad_request,
                        "404": not_found,
                        "405": not_allowed,
                    },
                }
            },
            reverse("api:periods"): {
                "get": {
                    "operationId": "perioden",
                    "summary": "De halve jaren met cijfers, oudste eerst.",
                    "responses": {
                        "200": {
                            "description": "De perioden.",
                            "headers": cached,
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Periods"}
                                }
                            },
                        },
                        "400": bad_request,
                        "405": not_allowed,
                    },
                }
            },
            reverse("api:openapi"): {
                "get": {
                    "operationId": "openapi",
                    "summary": "Deze beschrijving.",
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "400": bad_request,
                        "405": not_allowed,
                    },
                }
            },
        },
        "components": {
            "parameters": {
                "periode": {
                    "name": "periode",
                    "in": "query",
                    "required": False,
                    "description": "Een half jaar uit /cijfers/perioden/; zonder: het laatste.",
                    "schema": {"type": "string", "pattern": PERIOD_PATTERN},
                    "example": "2026-H1",
                },
                "indeling": {
                    "name": "indeling",
                    "in": "query",
                    "required": False,
                    "description": "Hoe de cijfers van het half jaar worden opgesplitst.",
                    "schema": {"type": "string", "enum": splits, "default": "overall"},
                },
            },
            "schemas": {
                "Figure": {
                    "type": "object",
                    "properties": figure_properties,
                    "required": figure_required,
                },
                "TrendPoint": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Figure"},
                        {
                            "type": "object",
                            "properties": {"period": {"type": "string"}},
                            "required": ["period"],
                        },
                    ]
                },
                "Group": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Figure"},
                        {
                            "type": "object",
                            "properties": {
                                "code": {"type": ["string", "integer", "null"]},
                                "label": {"type": "string"},
                            },
                            "required": ["code", "label"],
                        },
                    ]
                },
                "Indicator": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Figure"},
                        {
                            "type": "object",
                            "properties": {
                                "key": {"type": "string", "enum": list(indicators.INDICATORS)},
                                "label": {"type": "string"},
                                "kind": {"type": "string", "enum": ["share", "mean"]},
                                "higher_is_better": {"type": "boolean"},
                                "trend": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/TrendPoint"},
                                },
                                "groups": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Group"},
                                },
                            },
                            "required": [
                                "key",
                                "label",
                                "kind",
                                "higher_is_better",
                                "trend",
                                "groups",
                            ],
                        },
                    ]
                },
                "Suppression": {
                    "type": "object",
                    "properties": {
                        "min_n": {"type": "integer"},
                        "min_n_percent": {"type": "integer"},
                        "rounding": {"type": "integer"},
                        "hidden_text": {"type": "string"},
                    },
                    "required": ["min_n", "min_n_percent", "rounding", "hidden_text"],
                },
                "Dashboard": {
                    "type": "object",
                    "properties": {
                        "period": _nullable("string"),
                        "period_label": _nullable("string"),
                        "periods": {"type": "array", "items": {"type": "string"}},
                        "split": {"type": "string", "enum": splits},
                        "split_label": {"type": "string"},
                        "splits": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "code": {"type": "string", "enum": splits},
                                    "label": {"type": "string"},
                                },
                                "required": ["code", "label"],
                            },
                        },
                        "synthetic": {
                            "type": "boolean",
                            "description": "true: oefengegevens, verzonnen voor de demo.",
                        },
                        "synthetic_note": _nullable("string"),
                        "suppression": {"$ref": "#/components/schemas/Suppression"},
                        "messages": {"type": "array", "items": {"type": "string"}},
                        "indicators": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Indicator"},
                        },
                    },
                    "required": [
                        "period",
                        "period_label",
                        "periods",
                        "split",
                        "split_label",
                        "splits",
                        "synthetic",
                        "synthetic_note",
                        "suppression",
                        "messages",
                        "indicators",
                    ],
                },
                "Periods": {
                    "type": "object",
                    "properties": {
                        "periods": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "period": {"type": "string"},
                                    "label": {"type": "string"},
                                },
                                "required": ["period", "label"],
                            },
                        },
                        "latest": _nullable("string"),
                        "messages": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["periods", "latest", "messages"],
                },
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {
                                    "type": "string",
                                    "enum": [
                                        UNKNOWN_PARAMETER,
                                        UNKNOWN_SPLIT,
                                        UNKNOWN_PERIOD,
                                        METHOD_NOT_ALLOWED,
                                    ],
                                },
                                "message": {"type": "string"},
                                "allowed": {"type": "array", "items": {"type": "string"}},
                            },
                            "required": ["code", "message"],
                        }
                    },
                    "required": ["error"],
                },
            },
        },
    }
