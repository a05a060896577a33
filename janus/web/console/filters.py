"""The filter forms of the console's list pages (GET, so a filtered page can
be bookmarked): the fields of the domain's query Struct, read from the
query string (janus.web.console.inputs: UTF-8, stripped), kept as text to
fill the form in again and to build the next page's link, then validated.
Blank fields are left out; a browser's ``datetime-local`` value (minutes,
no zone) is read as UTC."""
from __future__ import annotations

import re

from janus.errors import ValidationError
from janus.schemas.validation import convert
from janus.web.console.inputs import query_text

_MINUTES = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
TIME_FIELDS = ("since", "until")


def given(struct_type) -> dict[str, str]:
    """The non-blank query parameters that are fields of ``struct_type``."""
    return {name: value for name in struct_type.__struct_fields__
            if (value := query_text(name))}


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
