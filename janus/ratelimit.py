"""Per-address request rates (login, register, upload), with the ``limits``
library.

A moving window per rule and per client address. The counters live in
memory, per gunicorn worker, unless ``JANUS_RATE_LIMIT_STORAGE`` names a
Redis server, which every worker and host then share. Nothing here knows
about HTTP: ``janus.web.ratelimit`` calls ``RateLimits.hit`` with the route's
rule and the client's address and maps ``TooManyRequests`` to a 429.

A limit is a brake on floods, not the lockout: failed logins are counted in
the database (``janus.services.lockout``) whatever happens here. So when the
counter store cannot be reached the request is let through and the failure
logged, rather than the service refusing every login while Redis is down.
"""
from __future__ import annotations

import logging
import math
import time

import limits
from limits.errors import StorageError
from limits.strategies import MovingWindowRateLimiter

from janus.config import Config
from janus.errors import TooManyRequests

RULES = ("login", "register", "upload")
# A Redis that does not answer must not hold a request for long.
REDIS_TIMEOUT_SECONDS = 1.0
log = logging.getLogger("janus.ratelimit")


def rules_from(config: Config) -> dict[str, list]:
    """The configured rates, parsed; a rule set to "" is absent (no limit)."""
    text = {"login": config.rate_limit_login, "register": config.rate_limit_register,
            "upload": config.rate_limit_upload}
    return {name: limits.parse_many(rate) for name, rate in text.items() if rate}


class RateLimits:
    def __init__(self, config: Config):
        self.rules = rules_from(config)
        options = {"wrap_exceptions": True}
        if not config.rate_limit_storage.startswith("memory://"):
            options.update(key_prefix="janus", socket_timeout=REDIS_TIMEOUT_SECONDS,
                           socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self.storage = limits.storage.storage_from_string(config.rate_limit_storage, **options)
        self.limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, rule: str, address: str | None) -> None:
        """Count one request of ``rule`` from ``address``, or raise
        TooManyRequests (with the seconds until the window lets one more in)."""
        if rule not in RULES:
            raise ValueError(f"unknown rate limit rule {rule!r}")
        key = address or "unknown"
        for item in self.rules.get(rule, ()):
            try:
                if self.limiter.hit(item, rule, key):
                    continue
                reset_at, _ = self.limiter.get_window_stats(item, rule, key)
            except StorageError as exc:
                log.error({"message": "rate limit storage unavailable; request let through",
                           "rule": rule, "detail": repr(exc.storage_error)})
                return
            retry_after = max(1, math.ceil(reset_at - time.time()))
            log.warning({"message": "rate limited", "rule": rule, "ip": address,
                         "limit": str(item), "retry_after": retry_after})
            raise TooManyRequests(f"too many {rule} requests from this address; "
                                  "try again later", retry_after,
                                  details={"limit": str(item)})
