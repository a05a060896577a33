"""The filter forms of the console's list pages (GET, so a filtered page can
be bookmarked): the query string, decoded as UTF-8, as the validated Struct
the domain's list function takes. Blank fields are left out; a browser's
``datetime-local`` value (minutes, no zone) is read as UTC."""
from __future__ import annotations

import re

from bottle import request

from janus.errors import BadRequest, ValidationError
from janus.schemas.validation import convert

_MINUTES = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
TIME_FIELDS = ("since", "until")


def _utf8(text: str) -> str:
    """WSGI hands the query string over as latin-1; browsers send UTF-8."""
    try:
        return text.encode("latin1").decode("utf8")
    except UnicodeError:
        raise BadRequest("the query string is not UTF-8") from None


def given() -> dict[str, str]:
    """The non-blank query parameters as text (the first of a repeated one),
    to fill the form in again and to build the next page's link."""
    values = {}
    for key, value in request.query.allitems():
        key, value = _utf8(key), _utf8(value).strip()
        if value and key not in values:
            values[key] = value
    return values


def read(struct_type, values: dict[str, str]):
    """``values`` (from ``given``) as ``struct_type``; a ValidationError (a
    422 naming the field) when a value does not fit."""
    params = {key: value + ":00" if key in TIME_FIELDS and _MINUTES.match(value) else value
              for key, value in values.items()}
    return convert(params, struct_type)


def problem(exc: ValidationError) -> str:
    """A refused filter as one sentence naming the form field."""
    detail = (exc.details or [{}])[0]
    field = str(detail.get("path", "$")).removeprefix("$.").removeprefix("$")
    message = detail.get("message") or exc.message
    return f"The filter “{field}” was not used: {message}." if field else f"{message}."
