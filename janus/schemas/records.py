"""Audit logs, security events and analytics: request and response bodies."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from janus.models import LOG_LEVELS, SOURCES
from janus.schemas.common import Id, Request, Total

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")]
Module = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[\w.-]+$")]
Level = Literal[LOG_LEVELS]
Topic = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
SecurityAction = Annotated[str, msgspec.Meta(min_length=1, max_length=32,
                                             pattern=r"^[\w.:-]+$")]
Account = Annotated[str, msgspec.Meta(max_length=254)]
Ip = Annotated[str, msgspec.Meta(max_length=45)]
UserAgent = Annotated[str, msgspec.Meta(max_length=512)]
# service: written by the service itself; client: posted by a client
# (POST /logs, POST /security-events), shown and never acted on.
Source = Literal[SOURCES]


class LogOut(msgspec.Struct):
    id: int
    user_id: int | None
    action: str
    module: str
    level: Level  # every writer (API, seeds, generator) takes one of LOG_LEVELS
    timestamp: datetime
    log_metadata: dict[str, Any]
    source: Source


class LogPage(msgspec.Struct):
    items: list[LogOut]
    next_cursor: str | None
    total: Total


class LogCreateIn(Request):
    """A client-side event for the audit trail; it is recorded as yours."""

    action: Name
    module: Module
    level: Level = "info"
    log_metadata: dict[str, Any] = {}


class SecurityEventOut(msgspec.Struct):
    id: int
    user_id: int | None
    action: str
    account: str | None
    ip: str | None
    user_agent: str | None
    timestamp: datetime
    security_metadata: dict[str, Any]
    source: Source
    reported_by: int | None


class SecurityEventPage(msgspec.Struct):
    items: list[SecurityEventOut]
    next_cursor: str | None
    total: Total


class SecurityEventCreateIn(Request):
    """An event reported by another component (a gateway, say). Admins only."""

    action: SecurityAction
    user_id: Id | None = None
    account: Account | None = None
    ip: Ip | None = None
    user_agent: UserAgent | None = None
    security_metadata: dict[str, Any] = {}


class AnalyticsOut(msgspec.Struct):
    id: int
    research_topic: str
    data: Any
    image_id: int | None
    user_id: int | None
    created_at: datetime
    updated_at: datetime


class AnalyticsPage(msgspec.Struct):
    items: list[AnalyticsOut]
    next_cursor: str | None
    total: Total


class AnalyticsFields(Request):
    """The writable fields of an analytics record, shared by ``AnalyticsCreateIn``
    and the seed files' records (``janus.seeds.schema.AnalyticsSeed``): a field
    added here reaches the API and the seeds."""

    research_topic: Topic
    data: dict[str, Any] | list[Any]


class AnalyticsCreateIn(AnalyticsFields):
    image_id: Id | None = None


class AnalyticsPatchIn(Request):
    research_topic: Topic | UnsetType = UNSET
    data: dict[str, Any] | list[Any] | UnsetType = UNSET
    image_id: Id | None | UnsetType = UNSET
