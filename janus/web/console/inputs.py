"""What a console request sends: query filters and form fields, as text
decoded from UTF-8 and validated with the API's own Structs (so the same
limits apply); bad input raises BadRequest or ValidationError, which the
console shows as a 400 or 422 page."""
from __future__ import annotations

import io

from bottle import request

from janus.errors import BadRequest, ValidationError
from janus.schemas.validation import convert
from janus.web.jsonio import read_body


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


def form_text(name: str) -> str:
    """A form field as text ("" when absent or not UTF-8)."""
    return request.forms.getunicode(name, default="") or ""
