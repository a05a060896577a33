"""The console's route list and the one wrapper every console route runs in.

Console routes skip the JSON API's plugins (``skip=True``) and get instead:

1. a pooled database connection, the migrated check and PostgreSQL
   deadlocks retried: the API's own ``DatabasePlugin`` (``run``);
2. the session cookie resolved to an ``Actor``: none → 303 to the sign-in
   page; not an admin, or below the route's level → 403 page;
3. on POST, the CSRF token checked before anything else (403 page);
4. the ids in the path range-checked as the API's (a 422 page);
5. errors as HTML pages (janus.web.console.errors), never JSON or a traceback.

``Console.routes`` (method, path, level) is what the test suite's access
matrix iterates, so a page added here is tested without editing the tests.
Levels: "moderator" (every admin), "superadmin", or None (public: the
sign-in page, static files).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bottle import HTTPResponse, request, response

from janus.errors import Forbidden, JanusError
from janus.schemas.validation import path_ids
from janus.web.console import csrf, errors, inputs, session
from janus.web.plugins import database_plugin
from janus.web.registry import id_params

LOGIN_PATH = "/console/login"


@dataclasses.dataclass(frozen=True)
class ConsoleRoute:
    method: str
    path: str  # Bottle syntax: /console/users/<user_id:int>
    level: str | None  # None: public
    name: str


class Console:
    def __init__(self, app, config, limits, store):
        self.app, self.config, self.limits, self.store = app, config, limits, store
        self.routes: list[ConsoleRoute] = []
        self._connected = database_plugin(app).run  # the API's: one migrated check

    # -- declaring routes --------------------------------------------------------
    def page(self, path: str, level: str = "moderator"):
        """A GET page: ``callback(actor, **url_args)`` returns HTML (render())."""
        return self._route("GET", path, level, csrf_checked=False)

    def action(self, path: str, level: str = "superadmin"):
        """A state-changing POST (CSRF-checked): ``callback(actor, **url_args)``
        ends with a 303 (``see_other``) after ``session.flash``."""
        return self._route("POST", path, level, csrf_checked=True)

    def public(self, method: str, path: str, database: bool = True):
        """No session needed: ``callback(**url_args)``; session.visit() tells
        who is signed in, if anyone. A public POST checks its own token."""
        return self._route(method, path, None, csrf_checked=False, database=database)

    def _route(self, method, path, level, csrf_checked, database=True):
        def decorator(callback: Callable):
            route = ConsoleRoute(method, path, level, callback.__name__)
            handler = self._wrap(callback, level, csrf_checked, database, id_params(path))
            self.routes.append(route)
            self.app.route(path, method, handler, name=f"console.{callback.__name__}",
                           skip=True, console=route)
            return callback
        return decorator

    # -- running them ------------------------------------------------------------
    def _wrap(self, callback, level, csrf_checked, uses_database, ids=()):
        def guarded(**url_args):
            if level is None:
                path_ids(url_args, ids)
                return callback(**url_args)
            actor = session.visit().actor
            if actor is None:
                see_other(LOGIN_PATH)
            if not actor.is_admin:
                raise Forbidden("the console is for admins only")
            if not actor.has_level(level):
                raise Forbidden(f"this needs the {level} admin level")
            if csrf_checked:
                csrf.require_session_token()
            path_ids(url_args, ids)  # a 422 page, after the checks of who may ask
            return callback(actor, **url_args)

        def handled(**url_args):
            try:
                if request.method == "POST":
                    inputs.bounded_body(self.config.max_body_bytes)
                if not uses_database:
                    return guarded(**url_args)
                return self._connected(guarded, **url_args)
            except HTTPResponse:
                raise
            except JanusError as exc:
                return errors.for_error(exc)
            except Exception as exc:  # noqa: BLE001 - the page must never be a traceback
                return errors.for_exception(exc)
        return handled


def see_other(path: str) -> None:
    """303 to ``path`` (POST-redirect-GET); raises. The Location is ``path``
    itself or under JANUS_PUBLIC_URL (Config.link), never built from the
    request: Bottle's redirect() joins it to request.url, which believes the
    client's Host and X-Forwarded-Host. The cookies set so far go with it."""
    answer = response.copy(cls=HTTPResponse)
    answer.status, answer.body = 303, ""
    answer.set_header("Location", request.app.config["janus.config"].link(path))
    raise answer
