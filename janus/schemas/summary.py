"""GET /analytics/summary."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from janus.schemas.common import Request


class SummaryQuery(Request):
    days: Annotated[int, msgspec.Meta(ge=1, le=366)] = 30


class WindowCount(msgspec.Struct):
    total: int
    in_window: int


class FormatCount(msgspec.Struct):
    format: str
    count: int


class ColorTypeCount(msgspec.Struct):
    color_type: str
    count: int


class DayCount(msgspec.Struct):
    day: str
    count: int


class ActionCount(msgspec.Struct):
    action: str
    count: int


class UserUploads(msgspec.Struct):
    user_id: int
    username: str
    count: int


class SummaryOut(msgspec.Struct):
    days: int
    since: datetime
    scope: Literal["all", "own"]
    counts: dict[str, WindowCount]
    images_by_format: list[FormatCount]
    images_by_color_type: list[ColorTypeCount]
    actions_per_day: list[DayCount]
    top_actions: list[ActionCount]
    failed_logins_per_day: list[DayCount]
    uploads_per_user: list[UserUploads]
