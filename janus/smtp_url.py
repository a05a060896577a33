"""JANUS_SMTP_URL parsed once (janus.config): smtp://user:password@host:port?starttls=true
or smtps://... (TLS from the first byte)."""
from __future__ import annotations

import dataclasses
import urllib.parse

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: bool  # smtps://: TLS from connect
    starttls: bool
    user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    timeout: float = 10.0


def parse_smtp_url(raw: str) -> SmtpSettings:
    """ValueError with the reason (no password in it) when ``raw`` is unusable."""
    try:
        parts = urllib.parse.urlsplit(raw)
        port = parts.port
    except ValueError:
        raise ValueError("does not parse") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("must name a host")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("must not carry a path or fragment")
    options = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = set(options) - {"starttls", "timeout"}
    if unknown:
        raise ValueError(f"unknown option {sorted(unknown)[0]!r} (starttls, timeout)")
    starttls = (options.get("starttls") or ["false"])[-1].lower()
    if starttls not in ("true", "false", "1", "0"):
        raise ValueError("starttls must be true or false")
    starttls_on = starttls in ("true", "1")
    if starttls_on and parts.scheme == "smtps":
        raise ValueError("smtps:// is TLS already; starttls is for smtp://")
    try:
        timeout = float((options.get("timeout") or ["10"])[-1])
    except ValueError:
        raise ValueError("timeout must be a number of seconds") from None
    if not 0 < timeout <= 300:
        raise ValueError("timeout must be between 0 and 300 seconds")
    unquote = urllib.parse.unquote
    return SmtpSettings(
        host=parts.hostname, port=port or DEFAULT_PORTS[parts.scheme],
        tls=parts.scheme == "smtps", starttls=starttls_on,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        timeout=timeout)
