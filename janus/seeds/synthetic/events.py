"""Audit rows for janus.seeds.synthetic: logs (as janus.audit writes them) and
security events (as janus.auth writes them)."""
from __future__ import annotations

import random
from datetime import datetime

from janus.seeds.synthetic.common import Picker, Timeline, dumps, weighted
from janus.seeds.synthetic.imagery import WORDS
from janus.seeds.synthetic.people import FIRST_NAMES
from janus.seeds.synthetic.research import TOPICS

# -- logs ---------------------------------------------------------------------
_ACTIONS = weighted([
    ("image.uploaded", 22), ("image.analysed", 14), ("analytics.created", 12),
    ("image.updated", 8), ("user.updated", 4), ("analytics.updated", 4),
    ("image.deleted", 3), ("user.registered", 3), ("image.created", 2),
    ("analytics.deleted", 1), ("user.password_changed", 1), ("security_event.reported", 0.5),
    ("user.created", 0.5), ("user.deleted", 0.3), ("admin.granted", 0.1),
    ("admin.revoked", 0.05),
])
_LEVELS = weighted([("info", 88), ("debug", 6), ("warning", 4.5), ("error", 1.3),
                    ("critical", 0.2)])


_MODULES = {action: action.split(".", 1)[0] for action in _ACTIONS[0]}
_CHANGED = frozenset(("image.updated", "image.analysed", "analytics.updated", "user.updated",
                      "user.password_changed", "admin.granted"))


def _changes(rng: random.Random, action: str) -> dict | None:
    if action == "image.updated":
        return {"filename": f"{rng.choice(WORDS)}-{rng.randrange(100)}.jpg"}
    if action == "image.analysed":
        return {"research_topic": rng.choice(TOPICS[0])}
    if action == "analytics.updated":
        return {"data": {"reviewed": True}}
    if action == "user.updated":
        return rng.choice(({"is_active": False}, {"is_active": True},
                           {"username": f"{rng.choice(FIRST_NAMES)}{rng.randrange(1000)}"}))
    if action == "user.password_changed":
        return {"password": "changed", "revoked_tokens": rng.randint(0, 3)}
    if action == "admin.granted":
        return {"admin_level": rng.choice(("moderator", "superadmin"))}
    return None


def logs(rng: random.Random, now: datetime, users_: Picker, max_object_id: int, count: int,
         batch: int):
    """Audit rows like janus.audit.record_change writes: ``<module>.<verb>``
    actions, ``{"object_type", "object_id", "changes"?}`` metadata plus a
    request id; ~4% without a user (system jobs, deleted accounts)."""
    timeline = Timeline(rng, now, 90, count)
    made = 0
    top = max(1, max_object_id)
    while made < count:
        k = min(batch, count - made)
        rows = []
        actions = rng.choices(_ACTIONS[0], cum_weights=_ACTIONS[1], k=k)
        levels = rng.choices(_LEVELS[0], cum_weights=_LEVELS[1], k=k)
        random, bits, pick = rng.random, rng.getrandbits, users_.pick
        for action, level, when in zip(actions, levels, timeline.take(k), strict=True):
            module = _MODULES[action]
            meta = {"object_type": module, "object_id": 1 + int(random() * top),
                    "request_id": f"{bits(64):016x}"}
            if action in _CHANGED:
                meta["changes"] = _changes(rng, action)
            user = pick() if random() < 0.96 else None
            rows.append((user, action, module, level, when, dumps(meta)))
        made += k
        yield rows


# -- security events ----------------------------------------------------------
_SECURITY = weighted([("login_success", 55), ("login_failed", 24), ("logout", 14),
                      ("login_locked", 2.5), ("password_changed", 2),
                      ("password_change_failed", 1), ("lockout", 0.5)])
_BROWSERS = weighted([
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15", 15),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 14),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", 8),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", 8),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", 12),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 8),
    ("janus-cli/1.4 python-requests/2.32.3", 5),
])
_ATTACK_AGENTS = ("python-requests/2.32.3", "curl/8.5.0", "Go-http-client/1.1",
                  "Mozilla/5.0 (compatible; Hydra)", None)
_GUESSED_ACCOUNTS = ("admin", "root", "administrator", "test", "user", "guest", "support",
                     "admin@example.com", "info@example.com", "test@example.com", "oracle",
                     "postgres", "demo")


def _ipv4(value: int) -> str:
    # Spread over 11.0.0.0 - 222.255.255.255; private and loopback look no different here.
    value = value % (212 << 24) + (11 << 24)
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def _ip_for(rng: random.Random, uid: int) -> str:
    """Mostly a user's own one or two addresses; sometimes a roaming one."""
    roll = rng.random()
    if roll < 0.8:
        home = (uid * 2654435761 + (roll < 0.55)) & 0xFFFFFFFF
        if uid % 7 == 0:
            return f"2001:db8:{home >> 16:x}:{home & 0xFFFF:x}::{uid % 4096:x}"
        return _ipv4(home)
    return _ipv4(rng.getrandbits(32))


def security(rng: random.Random, now: datetime, accounts: list[tuple[int, str]], count: int,
             batch: int):
    """Authentication events as janus.auth writes them: ``account`` is the
    (lower-cased) login name, the user's email when it exists."""
    timeline = Timeline(rng, now, 90, count)
    picker = Picker(rng, range(len(accounts)), skew=1.6)
    attackers = [_ipv4(rng.getrandbits(32)) for _ in range(200)]
    made = 0
    while made < count:
        k = min(batch, count - made)
        rows = []
        actions = rng.choices(_SECURITY[0], cum_weights=_SECURITY[1], k=k)
        agents = rng.choices(_BROWSERS[0], cum_weights=_BROWSERS[1], k=k)
        for action, agent, when in zip(actions, agents, timeline.take(k), strict=True):
            uid, email = accounts[picker.pick()]
            meta: dict = {}
            if action == "login_failed":
                roll = rng.random()
                if roll < 0.35:  # someone guessing
                    guess = rng.choice(_GUESSED_ACCOUNTS)
                    rows.append((None, action, guess, rng.choice(attackers),
                                 rng.choice(_ATTACK_AGENTS), when,
                                 dumps({"reason": "unknown_account"})))
                    continue
                meta["reason"] = "wrong_password" if roll < 0.95 else "inactive"
            elif action == "login_locked":
                meta["retry_after"] = rng.randint(1, 900)
            elif action == "lockout":
                meta["window_seconds"] = 900
            elif action == "password_changed":
                meta["revoked_tokens"] = rng.randint(0, 3)
            elif action == "login_success" and rng.random() < 0.01:
                meta["rehashed"] = True
            rows.append((uid, action, email, _ip_for(rng, uid), agent, when, dumps(meta)))
        made += k
        yield rows
