"""Users and admins for janus.seeds.synthetic."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from janus.password_policy import UNCHECKED
from janus.seeds.synthetic.common import Timeline, between
from janus.usernames import canonical

# One shared argon2id hash (argon2-cffi defaults: m=65536, t=3, p=4) of the
# password "janus-generated": generated users can log in, and nothing is
# hashed per row. tests/seeds/test_generate.py checks that it verifies.
GENERATED_PASSWORD = "janus-generated"
GENERATED_PASSWORD_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$L2NlkuFyfchcHdYd/8K1uA"
                           "$/f+dJRtBPpllDQWL/idcRs9TuM/NjQnSL+tKDwsljDw")

FIRST_NAMES = (
    "ana", "aisha", "ben", "carlos", "chen", "dmitri", "elena", "emma", "fatima", "felix",
    "grace", "hana", "hugo", "ines", "ivan", "jonas", "julia", "kenji", "lars", "leila",
    "liam", "lucia", "mateo", "mei", "nadia", "noah", "olga", "omar", "paula", "pedro",
    "priya", "quentin", "rosa", "sami", "sofia", "tariq", "una", "victor", "wei", "yara",
    "yusuf", "zoe",
)
LAST_NAMES = (
    "abbott", "bauer", "costa", "dubois", "eriksen", "fischer", "garcia", "haddad", "ito",
    "jensen", "kowalski", "lindqvist", "moreau", "nakamura", "okafor", "novak", "petrov",
    "quinn", "raman", "rossi", "silva", "tanaka", "ueda", "varga", "weber", "xu", "yilmaz",
    "zhang", "murphy", "nguyen", "schmidt", "kim", "oconnor", "alvarez", "hughes",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com",
                 "lab.example.org")


def users(rng: random.Random, now: datetime, count: int, first_number: int, batch: int):
    """Users numbered from ``first_number`` (unique emails and usernames as
    long as the numbers are new: the caller starts above every users.id)."""
    timeline = Timeline(rng, now, 180, count)
    made = 0
    while made < count:
        k = min(batch, count - made)
        rows = []
        for n, created in enumerate(timeline.take(k), start=first_number + made):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{n}@{rng.choice(EMAIL_DOMAINS)}"
            username = f"{first}{last[:1]}{n}" if n % 3 else f"{first}_{last}{n}"
            last_login = None
            if rng.random() < 0.9:  # one in ten never came back
                last_login = max(created, now - timedelta(seconds=rng.expovariate(1 / 432000)))
            # Hashed once, never checked by the policy: "unchecked", as the
            # seed loader's accounts are; verified when created, as seeded accounts are.
            rows.append((email, username, canonical(username), GENERATED_PASSWORD_HASH,
                         UNCHECKED, "user", rng.random() < 0.97, created, last_login or created,
                         last_login, created))
        made += k
        yield rows


def admins(rng: random.Random, now: datetime, user_ids: list[int], granted_by: int | None,
           batch: int):
    """Admin rows for ``user_ids`` (users without one): mostly moderators."""
    made = 0
    for start in range(0, len(user_ids), batch):
        rows = []
        for uid in user_ids[start:start + batch]:
            level = "superadmin" if (granted_by is None and made == 0) or rng.random() < 0.1 \
                else "moderator"
            rows.append((uid, level, granted_by,
                         between(rng, now - timedelta(days=90), now)))
            made += 1
        yield rows
