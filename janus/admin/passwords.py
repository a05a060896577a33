"""What the operator CLI accepts as a password: the API's rules (the
``Password`` type of janus.schemas.users) and more for superadmins."""
from __future__ import annotations

import msgspec

from janus.errors import ValidationError
from janus.schemas.users import Password

SUPERADMIN_MIN_LENGTH = 12

# The demo accounts' passwords (janus/seeds/__init__.py, seeds/users.json):
# published in the repository, so never an operator's.
DEMO_PASSWORDS = frozenset({
    "janus-superadmin", "janus-moderator", "janus-demo", "janus-priya", "janus-tomas",
    "janus-lena",
})

# A short list of passwords guessed first; compared case-insensitively.
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678910", "123456789", "1234567890",
    "password", "password1", "password12", "password123", "password1234",
    "passw0rd", "p@ssw0rd", "p@ssword", "qwerty", "qwertyuiop", "qwertyuiop12",
    "qwerty123456", "1q2w3e4r5t6y", "1qaz2wsx3edc", "abc123456789", "abcdefghijkl",
    "iloveyou", "letmein", "letmeinplease", "welcome", "welcome123", "welcome12345",
    "admin", "admin123", "admin1234567", "administrator", "superadmin", "superuser",
    "changeme", "changeme123", "changemeplease", "trustno1", "football", "baseball",
    "monkey", "dragon", "sunshine", "princess", "master", "starwars", "whatever",
    "correcthorsebatterystaple", "janus", "janusjanus", "janus-admin", "janusadmin",
})


def _refuse(message: str) -> None:
    raise ValidationError.at("$.password", message)


def check(password: str, email: str, username: str | None = None, *,
          superadmin: bool = True) -> str:
    """``password`` if acceptable for the account, else ValidationError."""
    try:
        msgspec.convert(password, Password)
    except msgspec.ValidationError as exc:
        _refuse(str(exc).split(" - at ", 1)[0].replace("Expected `str` of length",
                                                       "must be of length"))
    if superadmin and len(password) < SUPERADMIN_MIN_LENGTH:
        _refuse(f"a superadmin's password must be at least {SUPERADMIN_MIN_LENGTH} characters")
    lowered = password.strip().lower()
    if lowered in DEMO_PASSWORDS:
        _refuse("is a demo account's published password")
    if lowered in COMMON_PASSWORDS:
        _refuse("is a common password")
    names = {email.lower(), email.lower().split("@", 1)[0]}
    if username:
        names.add(username.lower())
    if lowered in names:
        _refuse("must not be the account's email or username")
    if len(set(password)) < 4:
        _refuse("uses too few distinct characters")
    return password
