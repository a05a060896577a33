"""What a console request sends: query filters and form fields, as text
decoded from UTF-8 and validated with the API's own Structs (so the same
limits apply); bad input raises BadRequest or ValidationError, which the
console shows as a 400 or 422 page. Every page reads its query string here.

The list pages' filter forms are GET (a filtered page can be bookmarked):
``given`` keeps their fields as text, to fill the form in again and to build
the next page's link, and ``read`` validates them. Blank fields are left
out; a browser's ``datetime-local`` value (minutes, no zone) is read as UTC."""
from __future__ import annotations

import io
import re

from bottle import request

from janus.errors import BadRequest, ValidationError
from janus.schemas.validation import convert
from janus.web.jsonio import read_body

_MINUTES = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
TIME_FIELDS = ("since", "until")


def bounded_body(limit: int) -> None:
    """Refuse a POST body over ``limit`` bytes (413 page) before Bottle parses
    the form, which would otherwise spool any size to a temporary file."""
    data = read_body(limit)
    env = request.environ
    env["wsgi.input"] = io.BytesIO(data)
    env["CONTENT_LENGTH"] = str(len(data))
    env.pop("HTTP_TRANSFER_ENCODING", None)  # already de-chunked by the server


def _text(value: str, what: str) -> str:
    """WSGI hands query strings and forms over as latin-1; browsers send UTF-8."""
    try:
        return value.encode("latin1").decode("utf8")
    except UnicodeError:
        raise BadRequest(f"{what} is not UTF-8") from None


def query(struct_type, allowed: frozenset | None = None):
    """The query string as ``struct_type``. Empty fields are left out (a
    filter form sends ``?owner=`` for "any"); ``allowed`` names the fields a
    page reads, when the Struct has more."""
    params = {}
    for key, value in request.query.allitems():
        key, value = _text(key, "a parameter name"), _text(value, "a parameter")
        if value == "" or (allowed is not None and key not in allowed):
            continue
        if key in params:
            raise ValidationError.at(f"$.{key}", "given more than once")
        params[key] = value
    return convert(params, struct_type)


def query_text(name: str) -> str:
    """One query parameter as text ("" when absent)."""
    return _text(request.query.get(name) or "", name).strip()


def texts(names) -> dict[str, str]:
    """The query parameters ``names`` as text, "" for the absent ones."""
    return {name: query_text(name) for name in names}


def given(struct_type) -> dict[str, str]:
    """The non-blank query parameters that are fields of ``struct_type``."""
    return {name: value for name, value in texts(struct_type.__struct_fields__).items()
            if value}


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


def form_text(name: str) -> str:
    """A form field as text ("" when absent or not UTF-8)."""
    return request.forms.getunicode(name, default="") or ""
