"""The ``Idempotency-Key`` header on POST routes (janus.services.idempotency
keeps the answers).

Installed between ``AuthPlugin`` (the key is scoped to the authenticated
user) and ``RequestPlugin``. A POST without the header runs as before; one
with it runs inside ``run_once``: the handler's result is encoded here, so
what is stored is exactly what is sent, and a replay sends it again with
``Idempotent-Replayed: true``. Routes declared with ``idempotent=False``
(``POST /auth/login``: its answer is a bearer token, never stored) ignore
the header.
"""
from __future__ import annotations

from bottle import request, response

from janus.services.idempotency import HEADER, Answer, check_key, fingerprint, run_once
from janus.web.jsonio import media_type, read_body, result_body

# Answer headers stored with the body and sent again on a replay.
REPLAYED_HEADERS = ("Content-Type", "Location")


def applies(spec) -> bool:
    return spec.method == "POST" and spec.database and spec.idempotent


def _scope() -> str:
    user_id = request.environ.get("janus.user_id")
    if user_id is not None:
        return f"user:{user_id}"
    return f"client:{request.environ.get('janus.client_ip') or '-'}"


def _fingerprinted_body(body: bytes, upload: bool) -> bytes:
    """The body as fingerprinted: a multipart body without its boundary,
    which a client library picks at random again when it retries."""
    if not upload:
        return body
    boundary = request.environ.get("CONTENT_TYPE", "").partition("boundary=")[2]
    boundary = boundary.split(";")[0].strip().strip('"')
    return body.replace(boundary.encode("latin1"), b"") if boundary else body


def _answer(result, status: int) -> Answer:
    """Encode a handler's result as ErrorsPlugin does, and capture it."""
    body = result_body(result, status)
    headers = {name: response.headers[name] for name in REPLAYED_HEADERS
               if name in response.headers}
    return Answer(response.status_code, headers, body)


class IdempotencyPlugin:
    api = 2
    name = "janus_idempotency"

    def __init__(self, config):
        self.config = config

    def apply(self, callback, route):
        spec = route.config.get("janus")
        if spec is None or not applies(spec):
            return callback
        config = self.config

        def keyed(*args, **kwargs):
            raw = request.headers.raw(HEADER)
            if raw is None:
                return callback(*args, **kwargs)
            key = check_key(raw)
            upload = spec.upload is not None and media_type() == "multipart/form-data"
            body = read_body(config.max_upload_bytes if upload else config.max_body_bytes)
            target = request.path + (f"?{request.query_string}" if request.query_string else "")
            print_ = fingerprint(config.secret_key, request.method, target,
                                 _fingerprinted_body(body, upload))
            answer = run_once(_scope(), key, print_,
                              config.idempotency_ttl_seconds,
                              lambda: _answer(callback(*args, **kwargs), spec.status))
            response.status = answer.status
            for name, value in answer.headers.items():
                response.set_header(name, value)
            if answer.replayed:
                response.set_header("Idempotent-Replayed", "true")
            return answer.body
        return keyed
