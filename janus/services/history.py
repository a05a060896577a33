"""The audit trail and the security events as an admin reviews them (the
console): filtered timelines, newest first in keyset pages, each row with
the user it names in the same query, and each audit row's change as a
field-by-field diff.

Reads only; the rules of who sees what are janus.access's, as for GET /logs
and GET /security-events.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import peewee as pw
from peewee import JOIN

from janus.access import Actor
from janus.lists import Listing
from janus.lists.records import SECURITY_EVENTS, TIMELINE, SecurityEventQuery, TimelineQuery
from janus.models import Log, SecurityEvent, User
from janus.repos.base import Page

# The user columns a timeline shows (never the password hash).
USER_COLUMNS = (User.id, User.email, User.username, User.is_active)

# Verbs whose audit rows store each change as a [before, after] pair
# (janus.repos.base.Repository.apply, janus.services.admins); the rows of
# "deleted" name what was there before; every other verb, what is there after.
PAIRED_VERBS = frozenset({"updated", "granted", "revoked"})
BEFORE_VERBS = frozenset({"deleted"})


@dataclasses.dataclass(frozen=True)
class FieldChange:
    """One field of an audit row's change. A side that the row does not
    record (a creation has no before) is absent, which is not None."""

    field: str
    before: Any = None
    after: Any = None
    has_before: bool = False
    has_after: bool = False


def _with_user(repo) -> pw.ModelSelect:
    model = repo.model
    return (model.select(model, *USER_COLUMNS)
            .join(User, JOIN.LEFT_OUTER, on=(model.user == User.id)))


def _with_reporter(repo) -> pw.ModelSelect:
    """Security rows with their user and, for a reported row, who reported
    it (``row.reporter``), in the same query."""
    reporter = User.alias("reporter")
    return (_with_user(repo).select_extend(reporter.id, reporter.username)
            .join_from(SecurityEvent, reporter, JOIN.LEFT_OUTER,
                       on=(SecurityEvent.reported_by == reporter.id), attr="reporter"))


def _page(listing: Listing, actor: Actor, q, select=_with_user) -> Page:
    """A visible keyset page of the list ``listing`` declares, filtered by
    ``q``, with the users (one query)."""
    repo = listing.repo
    query = listing.narrow(listing.visible(select(repo), actor), listing.given(q),
                           q.since, q.until)
    return listing.page(query, q)


def timeline(actor: Actor, q: TimelineQuery) -> Page:
    """Audit rows by actor (``user_id``), action, module, level, object and
    time window ([since, until)), newest first; ``row.user`` is loaded."""
    return _page(TIMELINE, actor, q)


def security_timeline(actor: Actor, q: SecurityEventQuery) -> Page:
    """Security events by kind (``action``), user, account, address and time
    window, newest first; ``row.user`` and ``row.reporter`` are loaded."""
    return _page(SECURITY_EVENTS, actor, q, select=_with_reporter)


def user_of(row) -> User | None:
    """The user a timeline row names, or None (a system actor, a deleted user)."""
    user = row.user
    return user if user is not None and user.id is not None else None


def reporter_of(row) -> User | None:
    """Who reported a security row (POST /security-events), or None: the
    service recorded it, or the reporter's account is gone."""
    reporter = getattr(row, "reporter", None)
    return reporter if reporter is not None and reporter.id is not None else None


def is_reported(row) -> bool:
    """A row a client posted: shown, never taken for one the service wrote."""
    return row.source == "client"


def subject(row: Log) -> tuple[str, int] | None:
    """(object_type, object_id) the audit row is about, when it says so. A
    reported row is about nothing: its metadata is only what a client sent."""
    if is_reported(row):
        return None
    meta = row.log_metadata if isinstance(row.log_metadata, dict) else {}
    kind, object_id = meta.get("object_type"), meta.get("object_id")
    if isinstance(kind, str) and isinstance(object_id, int) and not isinstance(object_id, bool):
        return kind, object_id
    return None


def diff(row: Log) -> list[FieldChange]:
    """The change an audit row records (its ``changes`` metadata, written by
    janus.audit.record_change), field by field. Rows without one (a
    client's own event, a change with nothing to show) give []: a client's
    ``changes`` is not read as one, however it is shaped."""
    if is_reported(row):
        return []
    meta = row.log_metadata if isinstance(row.log_metadata, dict) else {}
    changes = meta.get("changes")
    if not isinstance(changes, dict):
        return []
    verb = row.action.rsplit(".", 1)[-1]
    found = []
    for field, value in changes.items():
        if verb in PAIRED_VERBS and isinstance(value, list) and len(value) == 2:
            found.append(FieldChange(field, value[0], value[1], True, True))
        elif verb in BEFORE_VERBS:
            found.append(FieldChange(field, before=value, has_before=True))
        else:
            found.append(FieldChange(field, after=value, has_after=True))
    return found


def details(row: Log) -> dict:
    """The rest of an audit row's metadata: where it came from (``via``,
    ``os_user``, ...) or, all of it, a client event's own fields."""
    meta = row.log_metadata if isinstance(row.log_metadata, dict) else {}
    if is_reported(row):
        return dict(meta)
    return {key: value for key, value in meta.items()
            if key not in ("object_type", "object_id", "changes")}
