"""The API's OpenAPI 3.1 document, generated from the routes' models, at ``/api/openapi.json``.

flask-openapi3 builds each operation from its view: the docstring (summary,
description), the ``body`` / ``query`` annotations and the ``responses``
models (see :mod:`dronepatrol.web.schema`). :func:`document` completes what
follows from the app's own conventions rather than from a model: the path
parameters (from the URL rule's converters), who may call (from
``@require``: the security schemes, 401 and 403), and 400 in the app's
error shape wherever a body, a query or a path parameter can be wrong.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Flask, current_app, jsonify
from werkzeug.routing import Rule

from dronepatrol import __version__
from dronepatrol.accounts import Role
from dronepatrol.web.schema.base import ApiBlueprint
from dronepatrol.web.schema.vehicles import Telemetry

STREAM_EVENTS = (Telemetry,)
"""Data models of ``GET /api/events`` messages, listed in the document's components."""

bp = ApiBlueprint("openapi", __name__)

DOCUMENT = {
    "description": "the OpenAPI document",
    "content": {"application/json": {"schema": {"type": "object"}}},
}

TITLE = "DronePatrol control app API"
DESCRIPTION = (
    "Sign in with POST /api/login for a bearer token. Roles nest: "
    "viewer < commander < operator < admin. Errors are "
    '{"error": reason, "message": what to do}.'
)
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer"},
    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_WORDS = {
    400: "bad request: the message names the field and what it takes",
    401: "not signed in",
    403: "role too low",
    404: "not found",
    409: "cannot be done now (the message says why)",
    413: "larger than a limit allows (the message names the limit)",
    422: "can never be done safely (a place inside a no-fly zone, out of camera range)",
    429: "too many failed sign-ins or live streams",
    503: "busy (sign-ins being checked, or the server's live streams at their cap): "
    "try again shortly",
}
_CONVERTER_TYPES = {"int": "integer", "float": "number"}


def _error(code: int) -> dict[str, Any]:
    return {"description": _WORDS[code], "content": {"application/json": {"schema": _ERROR_REF}}}


_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
"""A variable of a Flask URL rule: ``<name>`` or ``<converter:name>``."""


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    parameters = []
    for converter, name in _VARIABLE.findall(rule.rule):
        schema: dict[str, Any] = {"type": _CONVERTER_TYPES.get(converter, "string")}
        if converter == "int":
            schema["minimum"] = 0
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _openapi_path(rule: Rule) -> str:
    return _VARIABLE.sub(lambda m: "{" + m.group(2) + "}", rule.rule)


def operation_label(method: str, rule: Rule) -> str:
    """An operation as "METHOD /api/path/{parameter}", the way the document names it."""
    return f"{method.upper()} {_openapi_path(rule)}"


def document(app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI document of ``app`` (default: the current app), a fresh dict each call."""
    app = app or current_app
    generated = copy.deepcopy(app.api_doc)  # type: ignore[attr-defined]
    paths: dict[str, Any] = generated.get("paths", {})
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        role: Role | None = getattr(view, "required_role", None)
        item = paths.get(_openapi_path(rule))
        if item is None:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if rule.arguments:
                operation["parameters"] = [
                    *_path_parameters(rule),
                    *(p for p in operation.get("parameters", []) if p.get("in") != "path"),
                ]
            if role is None:
                operation["security"] = []
            else:
                operation["security"] = [{"bearer": []}, {"session": []}]
                operation["description"] = (
                    f"{operation.get('description', '')}\n\nRole: {role.value} or higher."
                ).strip()
                responses.setdefault("401", _error(401))
                if role is not Role.VIEWER:
                    responses.setdefault("403", _error(403))
            responses.pop("422", None)  # flask-openapi3's own validation answer: not used
            if operation.get("requestBody") or operation.get("parameters"):
                responses.setdefault("400", _error(400))
            for code, answer in responses.items():
                if code.isdigit() and int(code) >= 400 and int(code) in _WORDS:
                    answer["description"] = _WORDS[int(code)]
    generated["info"] = {"title": TITLE, "version": __version__, "description": DESCRIPTION}
    components = generated.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    schemas = components.setdefault("schemas", {})
    schemas.pop("ValidationErrorModel", None)
    for model in STREAM_EVENTS:  # not answers of a route: the stream's data, documented here
        schemas[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for name, definition in schemas[model.__name__].pop("$defs", {}).items():
            schemas.setdefault(name, definition)
    return generated


@bp.get("/api/openapi.json", responses={200: DOCUMENT})
def openapi() -> Any:
    """This document."""
    return jsonify(document())
