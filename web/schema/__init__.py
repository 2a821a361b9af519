"""Typed models of the JSON API: one source for validation, answers and the OpenAPI document.

Every JSON route is written the same way (``web/vehicles.py`` is a short
example), with its models in ``web/schema/<area>.py`` beside the routes in
``web/<area>.py``::

    bp = ApiBlueprint("incidents", __name__)

    @bp.post("/api/incidents", responses={201: Incident, 409: Error})
    @require(Role.COMMANDER)          # who may call it: checked first
    @validated                        # then the body / query, by the annotations
    def create_incident(body: NewIncident) -> Any:
        # its docstring's first line is the operation's summary in the document
        ...
        return reply(Incident.of(view), 201)   # or refuse(409, "Conflict", why)

- Request models derive from :class:`~.base.Request` (unknown fields, wrong
  types and malformed JSON are a 400 naming the field) or, for query strings,
  :class:`~.base.Query` (numbers may come as text, as URLs carry them).
- Answers derive from :class:`~.base.Reply` and are sent with
  :func:`~.base.reply`; ``responses`` lists them by status code so the
  document states them. 400 (bad input), 401 and 403 (from ``@require``) and
  the path parameters are added to every operation by
  :mod:`dronepatrol.web.openapi`, which serves the document at
  ``/api/openapi.json``.
- A new area adds ``web/schema/<area>.py`` with its models and lists its
  blueprint in :func:`dronepatrol.web.create_app` (an ``ApiBlueprint`` is
  registered with ``register_api``, which collects its operations);
  ``tests/web/test_openapi.py`` then checks it against real answers.
- Answers that are not JSON (CSV, an event stream) give ``responses`` a dict
  with their media type, as ``reports.CSV`` does.
"""
