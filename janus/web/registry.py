"""Route declarations: one place that knows each route's schemas.

Routes are registered through ``Api.route`` so that the Bottle app and the
OpenAPI document are built from the same list and cannot drift apart.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from bottle import Bottle

JSON = "application/json"


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
    response_media: str = JSON
    status: int = 200
    errors: tuple[int, ...] = ()
    description: str = ""


class Api:
    def __init__(self, app: Bottle, config):
        self.app, self.config = app, config
        self.specs: list[RouteSpec] = []

    def route(self, method: str, path: str, *, summary: str, tag: str, **options):
        def decorator(callback):
            spec = RouteSpec(method=method, path=path, callback=callback, summary=summary,
                             tag=tag, **options)
            self.specs.append(spec)
            self.app.route(path, method, callback, janus=spec)
            return callback
        return decorator
