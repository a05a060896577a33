"""GET /auth/sessions and the console's sessions of a user: one declaration.

Every viewer sees only their own sessions here, admins included (the route
narrows to the actor; an admin reads another user's in the console), so the
list is paged through the ORM rather than a compiled janus.lists.reads
Resource, whose admin shape reads every owner's rows."""
from __future__ import annotations

from typing import Literal

from janus.lists import Filter, Listing
from janus.models import Session
from janus.repos.sessions import sessions
from janus.schemas.common import ListQuery

SessionKind = Literal["token", "console"]

SESSIONS = Listing(
    sessions,
    Filter("kind", Session.kind, SessionKind,
           "token: a bearer token (POST /auth/login); console: a signed-in console browser.",
           label="Kind"),
    owner=Session.user)
SessionQuery = SESSIONS.query_struct("SessionQuery", ListQuery)
