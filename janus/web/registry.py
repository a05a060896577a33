"""Route declarations: one place that knows each route's schemas.

Routes are registered through ``Api.route`` so that the Bottle app and the
OpenAPI document are built from the same list and cannot drift apart. The
spec also drives the plumbing: a handler names what it needs as keyword
arguments (``body``, ``query``, ``actor``, ``client``) and the plugins pass
exactly those. The names are checked once, here, at start-up, as
bottle-sqlite does: a handler asking for something its spec does not
declare, or ignoring a body or query its spec declares, is a start-up error.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

from bottle import Bottle, request, response

from janus.scopes import SCOPES

JSON = "application/json"
_PARAM_RE = re.compile(r"<(\w+)(?::\w+)?>")
_INT_PARAM_RE = re.compile(r"<(\w+):int>")
LINK = ('<...>; rel="next": the URL of the next page (this request\'s query with the '
        'next cursor), on a page that has one; under JANUS_PUBLIC_URL when it is set.')


def id_params(path: str) -> tuple[str, ...]:
    """The integer URL parameters of a Bottle path (``<user_id:int>``): every
    one is an id, range-checked by ``janus.schemas.validation.path_ids``."""
    return tuple(_INT_PARAM_RE.findall(path))


@dataclasses.dataclass
class RouteSpec:
    method: str
    path: str  # Bottle syntax: /images/<image_id:int>
    callback: Callable
    summary: str
    tag: str
    auth: bool = True
    # False: the route never touches the database (no connection, no checks).
    database: bool = True
    body: type | None = None
    body_media: str = JSON
    # A Struct describing a multipart/form-data alternative to the JSON body.
    upload: type | None = None
    query: type | None = None
    response: type | None = None
    # Or several (an export: CSV and NDJSON), each declared in the document.
    response_media: str | tuple[str, ...] = JSON
    status: int = 200
    # Other success answers a setting may choose instead ({202: Accepted}): the
    # handler returns janus.web.jsonio.json_body(obj, status) for those.
    other_responses: dict = dataclasses.field(default_factory=dict)
    errors: tuple[int, ...] = ()
    # A janus.ratelimit rule ("login", "register", "upload": per address,
    # counted by RateLimitPlugin; "analysis": per user, counted by the
    # handler through ``Api.limits``): 429 beyond it (added to ``errors``).
    rate_limit: str | None = None
    # Error statuses that may also carry a body of their own ({503: Health}).
    error_responses: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    # A request body the API accepts, shown in the document (tests post each one).
    example: dict | None = None
    # Headers of the success response (and of a 304): name -> description.
    headers: dict = dataclasses.field(default_factory=dict)
    # POST only: honour an Idempotency-Key header (janus.web.idempotency).
    # False where the answer must never be stored (login: a bearer token).
    idempotent: bool = True
    # The janus.scopes scope an API key needs here ("images:write"), or
    # refuses_keys: login tokens only. Every authenticated route says one.
    scope: str | None = None
    refuses_keys: bool = False
    # Keyword arguments the handler asks for; filled in by Api.route.
    wants: frozenset = frozenset()


def check_scope(spec: RouteSpec) -> None:
    """An authenticated route declares the scope a key needs, or refuses
    keys: never both, never neither; a public route neither."""
    where = f"{spec.method} {spec.path}"
    if not spec.auth:
        if spec.scope is not None or spec.refuses_keys:
            raise TypeError(f"{where} is public: it takes no scope")
    elif (spec.scope is None) != spec.refuses_keys:
        raise TypeError(f"{where}: declare scope=... (janus.scopes) or refuses_keys=True")
    elif spec.scope is not None and spec.scope not in SCOPES:
        raise TypeError(f"{where}: unknown scope {spec.scope!r}")


def handler_arguments(spec: RouteSpec) -> frozenset:
    """What the handler asks for beyond its URL parameters, checked against the spec."""
    url_params = set(_PARAM_RE.findall(spec.path))
    parameters = inspect.signature(spec.callback).parameters.values()
    names = {p.name for p in parameters if p.kind is not p.VAR_KEYWORD} - url_params
    offered = {"client"}
    offered |= {"body"} if spec.body is not None else set()
    offered |= {"query"} if spec.query is not None else set()
    offered |= {"actor"} if spec.auth else set()
    where = f"{spec.method} {spec.path} ({spec.callback.__name__})"
    unknown = names - offered
    if unknown:
        raise TypeError(f"{where} asks for {sorted(unknown)}, which its spec does not provide")
    ignored = ({"body", "query"} & offered) - names
    if ignored:
        raise TypeError(f"{where} declares {sorted(ignored)} but does not take it")
    return frozenset(names)


class Api:
    def __init__(self, app: Bottle, config, store, limits=None):
        # One file store per app, shared by the image routes; the rate limits
        # (janus.ratelimit) for the routes that count per user.
        self.app, self.config, self.store, self.limits = app, config, store, limits
        self.specs: list[RouteSpec] = []

    def route(self, method: str, path: str, *, summary: str, tag: str, **options):
        def decorator(callback):
            spec = RouteSpec(method=method, path=path, callback=callback, summary=summary,
                             tag=tag, **options)
            spec.wants = handler_arguments(spec)
            check_scope(spec)
            if spec.rate_limit is not None and 429 not in spec.errors:
                spec.errors = (*spec.errors, 429)
            self.specs.append(spec)
            self.app.route(path, method, callback, janus=spec)
            return callback
        return decorator

    def get_one(self, path: str, fetch: Callable, *, name: str, **options):
        """GET of one object: ``fetch(actor, id)``, the response Struct (the
        resource's compiled read in janus.lists.reads), registered as ``name`` (the
        operationId). Every resource reads one object the same way."""
        (param,) = _PARAM_RE.findall(path)

        def handler(actor, **ids):
            return fetch(actor, ids[param])
        handler.__name__ = handler.__qualname__ = name
        options.setdefault("errors", (404,))
        self.route("GET", path, **options)(handler)

    def get_list(self, path: str, reads, **options):
        """GET of a list: ``reads.page(actor, query)``, one page Struct (the
        list's compiled reads, janus.lists.reads.Resource), with a ``Link:
        rel="next"`` header when there is a next page. Every list pages the
        same way."""
        def handler(actor, query):
            result = reads.page(actor, query)
            if result.next_cursor is not None:
                response.set_header("Link", f'<{self._next_page(result.next_cursor)}>; '
                                    'rel="next"')
            return result
        handler.__name__ = handler.__qualname__ = options.pop("name")
        options["headers"] = {"Link": LINK, **options.get("headers", {})}
        self.route("GET", path, **options)(handler)

    def _next_page(self, cursor: str) -> str:
        """This request's path and query, with ``cursor`` in place of its own."""
        params = [(key, value) for key, value in
                  parse_qsl(request.environ.get("QUERY_STRING", ""), keep_blank_values=True)
                  if key != "cursor"]
        return self.config.link(f"{request.path}?{urlencode([*params, ('cursor', cursor)])}")
