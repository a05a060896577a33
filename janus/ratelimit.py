"""Request rates, with the ``limits`` library: per client address (login,
register, upload), per user (analysis, export) and per API key (every
request a key makes, counted by janus.web.plugins.AuthPlugin).

A moving window per rule and per key. By default the counters live in a
small SQLite file in the data directory (``janus.ratelimit_store``), which
every gunicorn worker of the host shares; ``JANUS_RATE_LIMIT_STORAGE`` may
name a Redis server instead (several hosts), or ``memory://`` (each worker
alone). Nothing here knows about HTTP: ``janus.web.ratelimit`` calls
``RateLimits.hit`` with the route's rule and the client's address (the
analysis route with the user) and maps ``TooManyRequests`` to a 429.

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

from janus import ratelimit_store  # registers the sqlite:// scheme with limits
from janus.config import Config
from janus.errors import TooManyRequests

# rule -> what its key is: a client address, or a user (the analysis route).
RULES = {"login": "address", "register": "address", "upload": "address", "analysis": "user",
         "export": "user",
         "password_reset": "address", "password_reset_account": "account",
         "verify_email": "address", "verify_email_account": "account", "api_key": "key"}
SOURCES = {"address": "this address", "user": "this user", "account": "this account",
           "key": "this API key"}
# A Redis that does not answer must not hold a request for long.
REDIS_TIMEOUT_SECONDS = 1.0
log = logging.getLogger("janus.ratelimit")


def rules_from(config: Config) -> dict[str, list]:
    """The configured rates, parsed; a rule set to "" is absent (no limit)."""
    text = {"login": config.rate_limit_login, "register": config.rate_limit_register,
            "upload": config.rate_limit_upload, "analysis": config.rate_limit_analysis,
            "export": config.rate_limit_export,
            "password_reset": config.rate_limit_password_reset,
            "password_reset_account": config.rate_limit_password_reset_account,
            "verify_email": config.rate_limit_verify_email,
            "verify_email_account": config.rate_limit_verify_email_account,
            "api_key": config.rate_limit_api_key}
    return {name: limits.parse_many(rate) for name, rate in text.items() if rate}


class RateLimits:
    def __init__(self, config: Config):
        self.rules = rules_from(config)
        options = {"wrap_exceptions": True}
        scheme = config.rate_limit_storage.partition("://")[0]
        if scheme in ratelimit_store.SQLiteStorage.STORAGE_SCHEME:
            options.update(data_dir=config.data_dir)
        elif scheme != "memory":
            options.update(key_prefix="janus", socket_timeout=REDIS_TIMEOUT_SECONDS,
                           socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self.storage = limits.storage.storage_from_string(config.rate_limit_storage, **options)
        self.limiter = MovingWindowRateLimiter(self.storage)

    def hit(self, rule: str, key: str | int | None) -> None:
        """Count one request of ``rule`` from ``key`` (an address, or a user
        id for the "user" rules), or raise TooManyRequests (with the seconds
        until the window lets one more in)."""
        if rule not in RULES:
            raise ValueError(f"unknown rate limit rule {rule!r}")
        who = RULES[rule]
        key = "unknown" if key is None else str(key)
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
            # An account is logged by rule alone: the key is an email address.
            log.warning({"message": "rate limited", "rule": rule,
                         **({"ip": key} if who == "address" else
                            {"user_id": key} if who == "user" else
                            {"api_key_id": key} if who == "key" else {}),
                         "limit": str(item), "retry_after": retry_after})
            source = SOURCES[who]
            raise TooManyRequests(f"too many {rule.replace('_', ' ')} requests from {source}; "
                                  "try again later", retry_after,
                                  details={"limit": str(item)})
