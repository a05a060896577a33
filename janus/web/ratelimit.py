"""The web side of ``janus.ratelimit``: a Bottle plugin that counts each
request of a route whose spec names a ``rate_limit`` rule against the
client's address, before anything else runs (no database connection, no
body read), and answers 429 with ``Retry-After`` and the JSON envelope.

A rule counted per user (analysis) is not applied here, where the user is not
known yet: its route calls ``RateLimits.hit`` with the actor itself."""
from __future__ import annotations

from bottle import request

from janus.errors import TooManyRequests
from janus.ratelimit import RULES, RateLimits
from janus.web.jsonio import error_response


class RateLimitPlugin:
    name = "janus_ratelimit"
    api = 2

    def __init__(self, limits: RateLimits):
        self.limits = limits

    def apply(self, callback, route):
        spec = route.config.get("janus")
        rule = getattr(spec, "rate_limit", None)
        if rule is None:
            return callback
        if rule not in RULES:
            raise TypeError(f"{spec.method} {spec.path}: unknown rate_limit {rule!r}")
        if RULES[rule] != "address":
            return callback
        limits = self.limits

        def rate_limited(*args, **kwargs):
            try:
                limits.hit(rule, request.environ.get("janus.client_ip"))
            except TooManyRequests as exc:
                return error_response(exc)
            return callback(*args, **kwargs)
        return rate_limited
