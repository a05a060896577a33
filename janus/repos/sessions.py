"""Login tokens and console sessions read as one list (the ``sessions``
view, janus.models.Session): a user's live ones, newest first."""
from __future__ import annotations

import peewee as pw

from janus.models import AuthToken, ConsoleSession, Session, utcnow
from janus.repos.base import Repository

# The table behind each kind of session.
TABLES = {"token": AuthToken, "console": ConsoleSession}


class SessionRepository(Repository):
    model = Session

    def live(self, user_id: int) -> pw.ModelSelect:
        """The user's sessions neither revoked nor expired."""
        return Session.select().where((Session.user == user_id) & Session.revoked_at.is_null()
                                      & (Session.expires_at > utcnow()))

    def end(self, session: Session) -> int:
        """Revoke the row behind ``session``; 1, or 0 when it already ended."""
        table = TABLES[session.kind]
        return table.update(revoked_at=utcnow()).where(
            (table.id == session.row_id) & table.revoked_at.is_null()).execute()


sessions = SessionRepository()
