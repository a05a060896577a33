"""The bearer-token check as one compiled query (janus.repos.compiled): the
token, its user and their admin level, as the model instances an ``Actor``
holds. Run on every authenticated request."""
from __future__ import annotations

import peewee as pw

from janus.models import Admin, AuthToken, User
from janus.repos.compiled import HotQuery, Slots

_TOKEN_FIELDS = tuple(AuthToken._meta.sorted_fields)
_USER_FIELDS = tuple(User._meta.sorted_fields)


def _token_query(slots: Slots) -> pw.Select:
    return (AuthToken.select(*_TOKEN_FIELDS, *_USER_FIELDS, Admin.admin_level).join(User)
            .join(Admin, pw.JOIN.LEFT_OUTER, on=(Admin.user == User.id))
            .where(AuthToken.token_hash == slots.text("token_hash")).limit(1))


_TOKEN = HotQuery(_token_query)


def model_instance(model, fields, values):
    """A model instance as peewee's cursor builds one: no defaults, nothing dirty."""
    obj = model(__no_default__=1)
    obj.__data__ = {field.name: value for field, value in zip(fields, values, strict=True)}
    return obj


def credential_owner(query: HotQuery, model, fields, relation: str, values: dict):
    """The credential row (a token or an API key) ``query`` finds with
    ``values``, its owner and their admin level (None: not an admin), as an
    ``Actor`` holds them; None when nothing matches."""
    rows = query.rows((), values)
    if not rows:
        return None
    row, split = rows[0], len(fields)
    found = model_instance(model, fields, row[:split])
    user = model_instance(User, _USER_FIELDS, row[split:-1])
    found.__rel__[relation] = user
    return found, user, row[-1]


def token_owner(token_hash: str) -> tuple[AuthToken, User, str | None] | None:
    """The token with this hash, its user and their admin level, in one query."""
    return credential_owner(_TOKEN, AuthToken, _TOKEN_FIELDS, "user",
                            {"token_hash": token_hash})
