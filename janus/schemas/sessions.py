"""GET /auth/sessions and POST /auth/logout-all: response shapes (their
fields are described in janus.web.openapi_fields)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from janus.schemas.common import Total


class SessionOut(msgspec.Struct):
    id: int
    kind: Literal["token", "console"]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    last_used_ip: str | None
    user_agent: str | None
    current: bool


class SessionPage(msgspec.Struct):
    items: list[SessionOut]
    next_cursor: str | None
    total: Total


class SessionsEnded(msgspec.Struct):
    ended: int
