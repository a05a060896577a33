"""Sessions a user can see and end: their live login tokens and console
sessions (janus.repos.sessions), one by one or all but the current one; and
an admin's view of another user's, which a superadmin may end, audited.

Signing out everywhere stays ``auth.revoke_tokens``'s (password change or
reset, deactivation); this module only counts and names what it ends.
"""
from __future__ import annotations

from janus.access import Actor, require_level
from janus.audit import record_change
from janus.db import database
from janus.errors import NotFound
from janus.lists.sessions import SESSIONS
from janus.models import Session, User
from janus.repos.base import Page, is_row_id
from janus.repos.security import security_events
from janus.repos.sessions import sessions
from janus.schemas.common import utc
from janus.schemas.sessions import SessionOut, SessionPage
from janus.services import auth
from janus.services.admins import lock_user


# The sessions view's id of a login token (migrations/018_session_details.py).
def token_session_id(token_id: int) -> int:
    return 2 * token_id


def _out(row: Session, current_id: int | None) -> SessionOut:
    return SessionOut(id=row.id, kind=row.kind, created_at=utc(row.created_at),
                      expires_at=utc(row.expires_at), last_used_at=utc(row.last_used_at),
                      last_used_ip=row.last_used_ip, user_agent=row.user_agent,
                      current=row.id == current_id)


def _current(actor: Actor) -> int | None:
    return token_session_id(actor.token.id) if actor.token is not None else None


def _page(user_id: int, q, current_id: int | None) -> SessionPage:
    query = SESSIONS.narrow(sessions.live(user_id), SESSIONS.given(q), q.since, q.until)
    page: Page = SESSIONS.page(query, q)
    return SessionPage([_out(row, current_id) for row in page.items], page.next_cursor,
                       page.total)


def list_own(actor: Actor, q) -> SessionPage:
    """The actor's live sessions, newest first (admins too see only theirs)."""
    return _page(actor.id, q, _current(actor))


def _live(user_id: int, session_id: int) -> Session:
    row = (sessions.live(user_id).where(Session.id == session_id).first()
           if is_row_id(session_id) else None)
    if row is None:
        raise NotFound(f"session {session_id} not found")
    return row


def _event(action: str, actor: Actor, user: User, **metadata):
    security_events.record(action, user=user, account=user.email, ip=actor.client.ip,
                           user_agent=actor.client.user_agent, metadata=metadata)


def end_own(actor: Actor, session_id: int) -> None:
    """End one of the actor's live sessions (the current one too: a logout);
    another user's, or an ended one, is a 404."""
    with database.atomic():
        row = _live(actor.id, session_id)
        sessions.end(row)
        _event("session_ended", actor, actor.user, session_id=row.id, kind=row.kind)


def end_others(actor: Actor) -> int:
    """End every live session of the actor but the current one; how many."""
    with database.atomic():
        current = _current(actor)
        ended = sessions.live(actor.id).where(Session.id != (current or 0)).count()
        auth.revoke_tokens(actor.user, keep=actor.token)
        _event("logout_all", actor, actor.user, ended_sessions=ended)
    return ended


# -- an admin's view of another user's (the console) -------------------------------
def list_of_user(actor: Actor, user_id: int, q) -> SessionPage:
    """A user's live sessions: moderators and up."""
    require_level(actor, "moderator")
    return _page(user_id, q, None)


def end_for_user(actor: Actor, session_id: int) -> Session:
    """A superadmin ends one of a user's live sessions (any user's: the id
    names it): a security row on the user's account and an audit row, as
    the other account actions. NotFound when no live session has the id."""
    require_level(actor, "superadmin")
    with database.atomic():
        found = (Session.select(Session.user).where(Session.id == session_id).first()
                 if is_row_id(session_id) else None)
        if found is None:
            raise NotFound(f"session {session_id} not found")
        target = lock_user(found.user_id)
        row = _live(target.id, session_id)
        sessions.end(row)
        _event("session_ended", actor, target, session_id=row.id, kind=row.kind,
               by_user_id=actor.id)
        record_change(actor.user, "user.session_ended", "user", target.id,
                      {"session_id": row.id, "kind": row.kind})
    return row
