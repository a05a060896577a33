"""Record-level helpers shared by the builders in ``janus.seeds.files`` and
``janus.seeds.images``: the problem a record can have, relative times, emails."""
from __future__ import annotations

import json

import peewee as pw
import re
from datetime import datetime, timedelta

from janus.errors import ValidationError
from janus.repos.base import naive_utc
from janus.repos.users import normalise_email


class Problem(Exception):
    """A record-level problem found while building a row (the file and record
    are added by ``read_file``)."""


_RELATIVE = re.compile(r"-(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def relative_time(value: str, now: datetime, field: str = "at") -> datetime:
    """``"now"`` or a past offset such as ``"-2d3h"``, ``"-45m"``, ``"-1d30s"``."""
    if value == "now":
        return now
    match = _RELATIVE.fullmatch(value)
    if match is None:
        raise Problem(f'field "{field}": {json.dumps(value)} is not a relative time '
                      'such as "-2d3h", "-45m" or "now"')
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return now - timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def email(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    if "@" not in value.strip()[1:-1]:
        raise Problem(f'field "{field}": {json.dumps(value)} is not an email address')
    return normalise_email(value)


# The column checks the repositories used to repeat; seeds still rely on them.
def check_value(field: pw.Field, value, path: str):
    """Reject values of the wrong type: SQLite would store them silently.
    Returns the value to store (aware datetimes become naive UTC)."""
    if value is None:
        if not field.null:
            raise ValidationError.at(path, "may not be null")
        return value
    if isinstance(field, pw.ForeignKeyField):
        if isinstance(value, pw.Model):
            return value
        expected = (int,)
    elif isinstance(field, pw.BooleanField):
        expected = (bool,)
    elif isinstance(field, (pw.IntegerField, pw.BigIntegerField, pw.AutoField)):
        expected = (int,)
    elif isinstance(field, pw.FloatField):
        expected = (int, float)
    elif isinstance(field, pw.DateTimeField):
        expected = (datetime,)
    elif isinstance(field, pw.JSONField):
        expected = (dict, list)
    else:
        expected = (str,)
    if isinstance(value, bool) and bool not in expected:
        raise ValidationError.at(path, f"expected {expected[0].__name__}, got bool")
    if not isinstance(value, expected):
        raise ValidationError.at(path, f"expected {expected[0].__name__}, got {type(value).__name__}")
    if isinstance(value, int) and not isinstance(value, bool):
        # SQLite raises OverflowError beyond 64 bits, PostgreSQL a DataError
        # beyond the column's width (INTEGER ids and FKs, BIGINT file sizes).
        bits = 63 if isinstance(field, pw.BigIntegerField) else 31
        if not -2**bits <= value < 2**bits:
            raise ValidationError.at(path, "integer out of range")
    if isinstance(value, str) and getattr(field, "max_length", None) and len(value) > field.max_length:
        raise ValidationError.at(path, f"longer than {field.max_length} characters")
    if isinstance(value, (dict, list)):
        # NaN/Infinity and non-JSON objects would fail inside the database
        # (SQLite: "malformed JSON") or in json.dumps: refuse them here.
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ValidationError.at(path, "not representable as JSON") from None
    if isinstance(value, datetime):
        return naive_utc(value)
    return value
