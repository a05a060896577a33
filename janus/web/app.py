"""``create_app(config)``: the one Bottle app, with every route registered on it.

Plugins do not reach mounted sub-apps, so every route module registers on this
app through ``Api`` (which also feeds the OpenAPI document).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

import msgspec
from bottle import Bottle, request, response

from janus import in_use, passwords, secret_key
from janus.config import Config
from janus.db import init_database, sqlite_path
from janus.errors import for_status
from janus.imaging import gate
from janus.mail import sender as mail_sender
from janus.ratelimit import RateLimits
from janus.services.files import start_sweep
from janus.storage import open_store
from janus.web import access_line, console, cors, metrics, openapi, plugins
from janus.web.addresses import AddressList, client_address
from janus.web.console import errors as console_errors
from janus.web.console.headers import is_console
from janus.web.jsonio import error_response
from janus.web.plugins import header
from janus.web.ratelimit import RateLimitPlugin
from janus.web.registry import Api
from janus.web.routes import (
    admins,
    analytics,
    api_keys,
    auth,
    docs,
    email_verification,
    exports,
    health,
    image_analysis,
    image_files,
    images,
    logs,
    password_reset,
    security,
    sessions,
    summary,
    users,
)

ROUTE_MODULES = (health, auth, sessions, password_reset, email_verification, users, admins,
                 api_keys, images, image_files, image_analysis, logs, summary, analytics,
                 security, exports, docs,
                 metrics)
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


_line_encoder = msgspec.json.Encoder(enc_hook=str)


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line, so log shippers need no parsing rules.

    Encoded by msgspec (~5x json.dumps: one line per request by default);
    json.dumps with ``default=str`` stays the fallback for what msgspec
    refuses (a non-text dict key, an integer beyond 64 bits)."""

    def format(self, record):
        line = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + "Z",
                "level": record.levelname.lower(), "logger": record.name}
        if isinstance(record.msg, dict):
            line.update(record.msg)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        try:
            return _line_encoder.encode(line).decode()
        except (TypeError, ValueError, OverflowError):
            return json.dumps(line, default=str)


def configure_logging(level: str) -> None:
    logger = logging.getLogger("janus")
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.name = access_line.HANDLER_NAME  # where the access line is written too
        handler.setFormatter(JsonLineFormatter())
        handler.formatter.converter = time.gmtime
        logger.addHandler(handler)
        logger.propagate = False


def _error_handler(error):
    """Bottle's own errors (unknown route, wrong method, ...) take the same
    path to JSON as Janus's."""
    status = error.status_code
    if status >= 500:
        logging.getLogger("janus.errors").error(
            {"message": "unhandled error", "request_id": request.environ.get("janus.request_id"),
             "detail": repr(error.exception), "traceback": error.traceback})
    if is_console(request.path):  # the console's pages are HTML, errors too
        return console_errors.page(status)
    if status == 404:
        message = f"no route for {request.path}"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.path}"
    else:
        message = str(error.body or "request failed")
    return error_response(for_status(status, message))


def _before_request(trusted_proxies: AddressList):
    env = request.environ
    given = header("X-Request-ID")
    # 32 random hex digits, as uuid4().hex gave, without building a UUID.
    env["janus.request_id"] = given if _REQUEST_ID_RE.match(given) else os.urandom(16).hex()
    env["janus.started"] = time.perf_counter()
    env["janus.client_ip"], env["janus.client_own"] = client_address(
        env.get("REMOTE_ADDR"), header("X-Forwarded-For"), trusted_proxies)


def _after_request():
    env = request.environ
    response.set_header("X-Request-ID", env.get("janus.request_id", "-"))
    started = env.get("janus.started")
    access_line.write(
        env.get("janus.request_id"), request.method, request.path, response.status_code,
        round((time.perf_counter() - started) * 1000, 2) if started else None,
        env.get("janus.user_id"), env.get("janus.client_ip"))


def _with_secret_key(config: Config) -> Config:
    """``config`` holding the key itself: JANUS_SECRET_KEY, else the one kept
    in the data directory (generated once; janus.secret_key)."""
    key, path = secret_key.resolve(config.secret_key, config.data_dir)
    if path is not None:
        logging.getLogger("janus.config").info(
            {"message": f"JANUS_SECRET_KEY is not set: using the key kept in {path}; "
                        "with several hosts, set the same JANUS_SECRET_KEY on each"})
    return dataclasses.replace(config, secret_key=key)


def create_app(config: Config | None = None) -> Bottle:
    config = config or Config.from_env()
    configure_logging(config.log_level)
    config = _with_secret_key(config)
    init_database(config.database_url, config.db_pool_size).janus_prepare = config.pg_prepare
    if sqlite_path(config.database_url):  # for the process's life: janus.in_use
        in_use.hold_shared(Path(sqlite_path(config.database_url)))
    passwords.configure(config.argon2_time_cost, config.argon2_memory_kib)
    gate.configure(config.decode_concurrency)
    mail_sender.configure(config)  # the process's sender: janus.mail.sender

    app = Bottle()
    app.config["janus.config"] = config
    app.uninstall(True)  # no JSON/template plugins: ErrorsPlugin encodes with msgspec
    # Outermost: a refused request costs no connection and no body read.
    limits = RateLimits(config)
    app.install(RateLimitPlugin(limits))
    plugins.install(app, config, limits)
    app.default_error_handler = _error_handler
    trusted_proxies = AddressList(config.trusted_proxies)
    app.add_hook("before_request", lambda: _before_request(trusted_proxies))
    app.add_hook("after_request", _after_request)
    metrics.install_hooks(app)

    store = open_store(config)  # the folder or the bucket: janus.storage
    # Once per app (each gunicorn worker builds one), in the background: what
    # a killed process left in the file store goes; safe while other workers
    # start and serve too.
    app.janus_sweep = start_sweep(store, config.sweep_grace_seconds)
    api = Api(app, config, store, limits)
    for module in ROUTE_MODULES:
        module.register(api)
    openapi.register(api)  # last: the document is built from every route above
    # Not in the OpenAPI document: the console is HTML for browsers, not the API.
    app.janus_console = console.register(app, config, limits, store)
    if config.cors_origins:
        cors.register(app, config)
    app.janus_api = api
    return app
