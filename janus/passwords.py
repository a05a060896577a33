"""Password hashing with argon2id (argon2-cffi's current defaults)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()

# A real hash of a random password, verified against when the account does
# not exist, so an unknown email costs the same time as a wrong password.
# Made on first use with the current parameters (not at import: every
# gunicorn worker would pay for it at boot, twice when configure() runs).
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("janus-timing-equaliser")
    return _DUMMY_HASH


def configure(time_cost: int | None = None, memory_cost_kib: int | None = None) -> None:
    """Change the argon2 parameters (JANUS_ARGON2_*). Hashes made with other
    parameters still verify, and are rehashed at the next login."""
    global _hasher, _DUMMY_HASH
    defaults = PasswordHasher()
    memory = memory_cost_kib or defaults.memory_cost
    # argon2 needs 8 KiB per lane: very small (test) settings use one lane.
    lanes = defaults.parallelism if memory >= 8 * defaults.parallelism else 1
    _hasher = PasswordHasher(time_cost=time_cost or defaults.time_cost, memory_cost=memory,
                             parallelism=lanes)
    _DUMMY_HASH = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; never raises for a bad or missing hash."""
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(), password)
        return matched and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def looks_like_hash(value: str) -> bool:
    return isinstance(value, str) and value.startswith("$argon2")
