"""/auth/sessions and /auth/logout-all: the sessions a user sees and ends."""
from __future__ import annotations

from janus.lists.sessions import SessionQuery
from janus.schemas.sessions import SessionPage, SessionsEnded
from janus.services import sessions


class _OwnSessions:
    """The list's reads, as Api.get_list pages them."""
    page = staticmethod(sessions.list_own)


def register(api) -> None:
    api.get_list("/auth/sessions", _OwnSessions, name="list_sessions",
                 summary="Your live sessions: login tokens and console sign-ins", tag="auth",
                 query=SessionQuery, response=SessionPage, refuses_keys=True,
                 description="Newest first by default; neither revoked nor expired. Admins "
                             "too see only their own here. current marks the token of this "
                             "request. Login tokens only: an API key gets 403.")

    @api.route("DELETE", "/auth/sessions/<session_id:int>", summary="End one of your "
               "sessions", tag="auth", status=204, errors=(404,), refuses_keys=True,
               description="Ending the current one is a logout. Another user's session, "
                           "or one already ended, is a 404.")
    def end_session(session_id, actor):
        sessions.end_own(actor, session_id)

    @api.route("POST", "/auth/logout-all", summary="End every session of yours but this "
               "one", tag="auth", response=SessionsEnded, refuses_keys=True,
               description="Every other login token and every console sign-in ends.")
    def logout_all(actor):
        return SessionsEnded(ended=sessions.end_others(actor))
