"""/auth/sessions and /auth/logout-all: the sessions a user sees and ends."""
from __future__ import annotations

from janus.lists.sessions import SessionQuery
from janus.schemas.sessions import SessionPage, SessionsEnded
from janus.services import sessions


def register(api) -> None:
    @api.route("GET", "/auth/sessions", summary="Your live sessions: login tokens and "
               "console sign-ins", tag="auth", query=SessionQuery, response=SessionPage,
               description="Newest first; neither revoked nor expired. Admins too see "
                           "only their own here. current marks the token of this request.")
    def list_sessions(actor, query):
        return sessions.list_own(actor, query)

    @api.route("DELETE", "/auth/sessions/<session_id:int>", summary="End one of your "
               "sessions", tag="auth", status=204, errors=(404,),
               description="Ending the current one is a logout. Another user's session, "
                           "or one already ended, is a 404.")
    def end_session(session_id, actor):
        sessions.end_own(actor, session_id)

    @api.route("POST", "/auth/logout-all", summary="End every session of yours but this "
               "one", tag="auth", response=SessionsEnded,
               description="Every other login token and every console sign-in ends.")
    def logout_all(actor):
        return SessionsEnded(ended=sessions.end_others(actor))
