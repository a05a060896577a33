"""The one password policy: what the API, the console and ``janus-admin``
accept wherever a password is set (registration, POST /users, POST
/auth/password, create-superadmin, set-password, bootstrap).

A password is judged against two rules, ``user`` and the stricter ``admin``:
a minimum length, a minimum zxcvbn score (its estimate of how many guesses
an attacker needs, from lists of common passwords, words, names, keyboard
patterns, dates and repeats), and never close to the account's own email,
local part or username, nor one of the demo accounts' published passwords.
``require`` answers the strictest rule the password meets, which the users
row keeps (``password_rule``) since only the hash is stored.
"""
from __future__ import annotations

import dataclasses
import re
from difflib import SequenceMatcher

from zxcvbn import zxcvbn

from janus.errors import ValidationError

MAX_LENGTH = 1024
# zxcvbn refuses longer input (its matching grows fast with the length): a
# longer password is judged by its first ESTIMATED characters.
ESTIMATED = 72
# Django's UserAttributeSimilarityValidator threshold: at 0.7 "alice2024"
# is too close to the username "alice", "alice-kettle-harbour" is not.
MAX_SIMILARITY = 0.7
# Words an attacker tries first against this service (zxcvbn's user inputs).
SERVICE_WORDS = ("janus",)
# The demo accounts' passwords (seeds/users.json stores their hashes; the
# README publishes them): never anyone's real password. tests/seeds checks
# that every seeded hash is one of these.
DEMO_PASSWORDS = frozenset({
    "janus-superadmin", "janus-moderator", "janus-demo", "janus-priya", "janus-tomas",
    "janus-lena", "janus-generated",
})


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    min_length: int
    # zxcvbn's 0-4: 3 is "safely unguessable" (about 10^8-10^10 guesses, far
    # beyond an online attack and costly offline against argon2), 4 "very
    # unguessable" (10^10 guesses or more).
    min_score: int
    what: str  # for messages: "an account", "an admin account"


USER = Rule("user", 10, 3, "an account")
# Admins read everything and sign in to the console: a longer minimum (NIST
# SP 800-63B rev. 4's 15 for a password used alone) and the top score.
ADMIN = Rule("admin", 15, 4, "an admin account")
RULES = (USER, ADMIN)
# What users.password_rule holds: a rule's name, or this when no rule was
# checked (set before migration 008, or loaded by the seed loader).
UNCHECKED = "unchecked"
RULE_NAMES = (UNCHECKED, USER.name, ADMIN.name)


def _names(email: str | None, username: str | None) -> list[str]:
    """The account's own words, whole and in pieces (``ada.l@x.org``:
    ``ada.l@x.org``, ``ada.l``, ``ada``, ``x``, ``org``, ...)."""
    email = (email or "").strip().lower()
    whole = [email, email.split("@", 1)[0], (username or "").strip().lower()]
    pieces = [part for name in whole for part in re.split(r"\W+", name)]
    return [name for name in dict.fromkeys(whole + pieces) if len(name) >= 3]


def _too_similar(password: str, names: list[str]) -> str | None:
    lowered = password.lower()
    for name in names:
        matcher = SequenceMatcher(a=lowered, b=name)
        if matcher.quick_ratio() >= MAX_SIMILARITY and matcher.ratio() >= MAX_SIMILARITY:
            return name
    return None


def _without(password: str, names: list[str]) -> str:
    """``password`` with every occurrence of the account's names taken out
    (case-insensitive), longest name first: what an attacker who knows the
    account still has to guess."""
    rest = password
    for name in sorted(names, key=len, reverse=True):
        rest = re.sub(re.escape(name), "", rest, flags=re.IGNORECASE)
    return rest


def _feedback(result: dict) -> str:
    feedback = result.get("feedback") or {}
    words = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    return " ".join(word.strip() for word in words if word and word.strip())


@dataclasses.dataclass(frozen=True)
class Assessment:
    """One password judged once; ``problem(rule)`` says why it fails a rule."""

    length: int
    score: int
    feedback: str
    similar_to: str | None
    demo: bool
    # The password without the account's names in it, judged alone (None
    # when it holds none of them).
    rest: Assessment | None = None

    def problem(self, rule: Rule) -> str | None:
        if self.length < rule.min_length:
            return f"must be at least {rule.min_length} characters for {rule.what}"
        if self.length > MAX_LENGTH:
            return f"must be at most {MAX_LENGTH} characters"
        if self.demo:
            return "is a demo account's published password; choose another"
        if self.similar_to is not None:
            return "is too close to the account's email or username; choose another"
        if self.rest is not None and self.rest.problem(rule) is not None:
            return ("leans on the account's email or username: without them, what is left "
                    "is too short or too easy to guess; choose another")
        if self.score < rule.min_score:
            advice = self.feedback or "Add another word or two. Uncommon words are better."
            return (f"is too easy to guess for {rule.what} (strength {self.score} of 4, "
                    f"{rule.min_score} needed). {advice}")
        return None


def _judged(password: str, names: list[str]) -> Assessment:
    if not password:  # zxcvbn fails on "" (what is left of a password that is only names)
        return Assessment(length=0, score=0, feedback="", similar_to=None, demo=False)
    result = zxcvbn(password[:ESTIMATED], user_inputs=[*names, *SERVICE_WORDS])
    return Assessment(length=len(password), score=int(result["score"]),
                      feedback=_feedback(result), similar_to=_too_similar(password, names),
                      demo=password.strip().lower() in DEMO_PASSWORDS)


def assess(password: str, *, email: str | None, username: str | None) -> Assessment:
    names = _names(email, username)
    judged = _judged(password, names)
    rest = _without(password, names)
    if rest == password:
        return judged
    return dataclasses.replace(judged, rest=_judged(rest, []))


def require(password: str, *, email: str | None, username: str | None, admin: bool,
            field: str = "$.password") -> str:
    """The strictest rule ``password`` meets ("user" or "admin"), or a 422
    naming ``field`` when it fails the rule the account needs (``admin``:
    the admin rule)."""
    needed = ADMIN if admin else USER
    judged = assess(password, email=email, username=username)
    problem = judged.problem(needed)
    if problem is not None:
        raise ValidationError.at(field, problem)
    return ADMIN.name if judged.problem(ADMIN) is None else USER.name


def meets_admin_rule(rule_name: str | None) -> bool:
    return rule_name == ADMIN.name
