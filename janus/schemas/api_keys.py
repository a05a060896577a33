"""API keys: the request and response bodies (janus.services.api_keys)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from janus.schemas.common import Request, Total
from janus.scopes import SCOPES

Scope = Literal[SCOPES]
KeyName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class ApiKeyCreateIn(Request):
    name: KeyName
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1, max_length=len(SCOPES))]
    expires_at: datetime | None = None


class ApiKeyOut(msgspec.Struct):
    id: int
    owner_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None


class ApiKeyCreated(ApiKeyOut):
    key: str  # the key itself: shown in this answer only, never stored


class ApiKeyPage(msgspec.Struct):
    items: list[ApiKeyOut]
    next_cursor: str | None
    total: Total
