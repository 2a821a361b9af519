"""Base models, the request validator and the error shape shared by every API area.

The app's JSON error shape is ``{"error": ..., "message": ...}``: ``error``
the HTTP reason, ``message`` a sentence a person can act on (the browser
code shows it). A refused request body adds nothing else; the message names
each field at fault and what it takes.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar, get_type_hints

from flask import Flask, Response, abort, g, jsonify, request
from flask_openapi3 import APIBlueprint
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

F = TypeVar("F", bound=Callable[..., Any])


class Request(BaseModel):
    """A JSON request body: unknown fields and loose types are refused.

    Strict: ``true`` is not the number 1, ``"30"`` is not 30; a field the
    model does not name (a typo such as ``alt`` for ``alt_m``) is an error
    rather than silently ignored.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """A query string: unknown parameters refused, numbers parsed from their text."""

    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    """An answer of the API; ``model_dump`` gives its JSON, the schema documents it."""

    model_config = ConfigDict(extra="forbid")


def reply_of(record: type, name: str) -> type[Reply]:
    """A :class:`Reply` with one required field per field of the core dataclass ``record``.

    The API states a core record's fields once, where the core defines them;
    an answer model subclasses this one and adds what the record computes
    (properties such as a label) or a field's description (redeclaring a
    field keeps its place in the schema). Defaults are not carried over: the
    answer always has every field.
    """
    if not dataclasses.is_dataclass(record):
        raise TypeError(f"reply_of needs a dataclass, got {record!r}")
    hints = get_type_hints(record)
    fields: dict[str, Any] = {f.name: (hints[f.name], ...) for f in dataclasses.fields(record)}
    return create_model(name, __base__=Reply, __module__=__name__, **fields)


class Error(Reply):
    """Every 4xx answer: the HTTP reason and what to do about it."""

    error: str
    message: str


def reply(model: BaseModel, status: int = 200) -> tuple[Response, int]:
    """``model`` as this request's JSON answer with ``status``."""
    return jsonify(model.model_dump(mode="python")), status


def refuse(status: int, error: str, message: str) -> tuple[Response, int]:
    """An answer in the app's error shape (409 with the reason, for instance)."""
    return jsonify(Error(error=error, message=message).model_dump()), status


def _field(loc: tuple[Any, ...], tagged: bool) -> str:
    parts = [str(p) for p in (loc[1:] if tagged and loc else loc)]
    return ".".join(parts) or "the body"


def describe(exc: ValidationError, model: type[BaseModel]) -> str:
    """One sentence naming every field at fault in ``exc``, and what it takes.

    Errors inside a tagged union (the vehicle commands) carry the tag first in
    their location; it is dropped so ``alt`` reads as ``alt``, and the
    sentence says which fields the chosen variant takes instead.
    """
    tagged = bool(getattr(model, "__tagged__", False))
    problems = []
    for err in exc.errors(include_url=False):
        loc, kind, given = tuple(err["loc"]), err["type"], err.get("input")
        field = _field(loc, tagged)
        if kind == "extra_forbidden":
            allowed = _fields_of(model, loc[0] if tagged and loc else None)
            problems.append(f"'{field}' is not a field of this request (fields: {allowed})")
        elif kind == "missing":
            problems.append(f"'{field}' is required")
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            tag = err.get("ctx", {}).get("discriminator", "").strip("'") or "command"
            names = ", ".join(getattr(model, "__variants__", {})) or "?"
            problems.append(f"'{tag}' must be one of: {names}")
        elif not loc or (
            field == "the body" and kind in ("model_type", "dict_type", "model_attributes_type")
        ):
            problems.append(f"the body must be a JSON object, got {given!r:.80}")
        elif kind == "literal_error":
            names = err["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
            problems.append(f"'{field}' must be one of: {names}, got {given!r:.80}")
        else:
            said = err["msg"][0].lower() + err["msg"][1:]
            problems.append(f"'{field}'{_meaning(model, loc, tagged)}: {said}, got {given!r:.80}")
    return "; ".join(problems)


def _meaning(model: type[BaseModel], loc: tuple[Any, ...], tagged: bool) -> str:
    """`` (latitude [deg])`` for a top-level field with a description, else nothing."""
    if tagged and loc:
        model, loc = getattr(model, "__variants__", {}).get(loc[0], model), loc[1:]
    if len(loc) != 1 or not isinstance(loc[0], str):
        return ""
    info = model.model_fields.get(loc[0])
    return f" ({info.description})" if info is not None and info.description else ""


def _fields_of(model: type[BaseModel], tag: Any) -> str:
    variants = getattr(model, "__variants__", None)
    if variants and tag in variants:
        model = variants[tag]
    return ", ".join(model.model_fields) or "none"


def _body(model: type[BaseModel]) -> BaseModel:
    raw = request.get_data(cache=True)
    if not raw.strip():
        data: Any = {}  # no body: a model whose fields are all optional takes it
    else:
        if not request.is_json:
            abort(400, description="send the body as JSON (Content-Type application/json)")
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            abort(400, description=f"the body is not valid JSON: {exc}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        abort(400, description=describe(exc, model))


def _query(model: type[BaseModel]) -> BaseModel:
    args = {key: values[-1] for key, values in request.args.lists()}
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        abort(400, description=describe(exc, model))


def validated(view: F) -> F:
    """Validate the request body and query string against the view's annotations.

    ``body: Model`` and ``query: Model`` parameters receive the validated
    models. Put it under ``@require`` so a caller without the role hears 403,
    not what is wrong with a body they may not send. The OpenAPI document
    reads the same annotations (flask-openapi3), so it always states what is
    checked here.
    """
    hints = get_type_hints(view)
    body_model, query_model = hints.get("body"), hints.get("query")

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if query_model is not None:
            kwargs["query"] = _query(query_model)
        if body_model is not None:
            kwargs["body"] = _body(body_model)
        return view(*args, **kwargs)

    checked.__delay_validate_request__ = True  # type: ignore[attr-defined]
    checked.query_model = query_model  # type: ignore[attr-defined]
    return checked  # type: ignore[return-value]


def refuse_unknown_queries(app: Flask, json_endpoints: frozenset[str] = frozenset()) -> None:
    """Answer 400 to a query string sent to an API route (one under ``/api/`` or in
    ``json_endpoints``) that reads none.

    A route with a ``query`` model refuses parameters it does not name (see
    :class:`Query`); one without used to ignore them all, so
    ``GET /api/incidents?status=open`` answered every incident as if filtered.
    A caller who may not use the route still hears 401 or 403 first.
    """

    @app.before_request
    def no_unread_parameters() -> Any:
        if not request.args or request.endpoint is None:
            return None
        if not request.path.startswith("/api/") and request.endpoint not in json_endpoints:
            return None
        view = app.view_functions.get(request.endpoint)
        if view is None or getattr(view, "query_model", None) is not None:
            return None
        role = getattr(view, "required_role", None)
        user = g.get("user")
        if role is not None and (user is None or not user.role.allows(role)):
            return None  # the view's own guard answers 401 or 403
        names = ", ".join(f"'{name}'" for name in request.args)
        return refuse(400, "Bad Request", f"{names}: this request takes no query parameters")


class ApiBlueprint(APIBlueprint):
    """flask-openapi3's blueprint, with request validation left to :func:`validated`,
    and each route documented only when the OpenAPI document is first asked for.

    The library documents each route from its view (docstring, annotations,
    ``responses``) but would validate before ``@require`` runs and drop the
    URL's own arguments; here every view is called with its URL arguments and
    validates itself, after the role check. So what the library parses from a
    view serves the document alone, and making it (a JSON schema per model,
    a tenth of the app's start-up) waits for :meth:`document_routes`: a
    restarted control app answers sooner, and one nobody asks for its document
    never makes it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._undocumented: list[tuple[str, Callable[..., Any], dict[str, Any]]] = []
        self._documenting = threading.Lock()

    def _collect_openapi_info(self, rule: str, func: Callable[..., Any], **kwargs: Any) -> Any:
        func.__delay_validate_request__ = True  # type: ignore[attr-defined]
        with self._documenting:
            self._undocumented.append((rule, func, kwargs))
        # header, cookie, path, query, form, body, raw: read only by the library's own
        # request validation, which the flag above turns off
        return (None,) * 7

    def document_routes(self) -> None:
        """Add the routes declared so far to :attr:`paths` and :attr:`components_schemas`
        (each once; the app's document merges them)."""
        with self._documenting:
            while self._undocumented:
                rule, func, kwargs = self._undocumented.pop(0)
                super()._collect_openapi_info(rule, func, **kwargs)
