"""The one place that turns client bytes into validated Structs, for the HTTP
API and the seed loader alike. Decisions taken here, once, for both backends:

- **NUL.** A NUL character (U+0000) in any string or object key, at any depth,
  is refused with 422: PostgreSQL cannot store it in ``text`` or ``jsonb``, and
  SQLite would, so the backends would disagree.
- **Depth.** Free-form JSON (``data``, ``*_metadata``) nests at most
  ``MAX_DEPTH`` levels; deeper bodies are refused with 422 instead of
  exhausting the recursion limit of a decoder or encoder.
- **Times.** A time must be convertible to UTC: ``0001-01-01T00:00:00+01:00``
  (before year 1 in UTC) is refused with 422, not an OverflowError.
- **Whole-number floats.** JSON Schema counts ``2104.0`` as an integer, so an
  integer field accepts it (as 2104); ``2104.5`` stays a 422.
- **Integers.** Every integer has a range, the one its column holds on both
  backends (ids: ``janus.schemas.common.Id``); in a path too
  (``path_ids``). Beyond it is a 422 naming the field, never a database
  error.
"""
from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

import msgspec
import msgspec.inspect

from janus.errors import BadRequest, ValidationError
from janus.schemas.common import Id

MAX_DEPTH = 64
_PATH_RE = re.compile(r"^(?P<message>.*) - at `(?P<path>[^`]*)`$", re.S)
_UNKNOWN_RE = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")
_INT_GOT_FLOAT = "Expected `int`, got `float`"
_KEY_RE = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+)\]")


def validation_error(exc: msgspec.ValidationError, root: str = "$") -> ValidationError:
    """msgspec's message (``... - at `$.owner.id```) as a 422 naming the field path."""
    text = str(exc)
    match = _PATH_RE.match(text)
    message, path = (match["message"], match["path"]) if match else (text, "$")
    unknown = _UNKNOWN_RE.match(message)
    if unknown:  # point at the offending field itself, not its parent
        message, path = "unknown field", f"{path}.{unknown['name']}"
    if root != "$":
        path = root + path[1:]
    return ValidationError.at(path, message)


def check_tree(value, root: str = "$") -> None:
    """Refuse NUL in strings and keys, times that cannot be UTC, and nesting
    deeper than MAX_DEPTH, anywhere in ``value`` (a Struct, dict, list or
    scalar). Iterative, so no input can exhaust the recursion limit."""
    stack = [(value, root, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValidationError.at(path, "must not contain a NUL character")
        elif isinstance(item, datetime):
            _check_time(item, path)
        elif isinstance(item, (dict, list, msgspec.Struct)):
            if depth > MAX_DEPTH:
                raise ValidationError.at(path, f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, msgspec.Struct):
                pairs = ((name, getattr(item, name)) for name in item.__struct_fields__)
            elif isinstance(item, dict):
                pairs = item.items()
            else:
                pairs = ((f"[{n}]", v) for n, v in enumerate(item))
            for key, child in pairs:
                if isinstance(key, str) and "\x00" in key:
                    raise ValidationError.at(path, "keys must not contain a NUL character")
                child_path = f"{path}{key}" if key.startswith("[") else f"{path}.{key}"
                stack.append((child, child_path, depth + 1))


def _check_time(value: datetime, path: str) -> None:
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValidationError.at(path, "outside the range of UTC times") from None


def decode_json(body: bytes, struct_type):
    """A JSON body as ``struct_type``: 400 for malformed JSON, 422 for the rest."""
    try:
        try:
            value = msgspec.json.decode(body, type=struct_type)
        except msgspec.ValidationError as exc:
            if _INT_GOT_FLOAT not in str(exc):
                raise
            value = _with_whole_floats(body, struct_type)
    except msgspec.ValidationError as exc:
        raise validation_error(exc) from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    except UnicodeDecodeError:
        # msgspec reports invalid UTF-8 inside strings this way, not as a DecodeError.
        raise BadRequest("malformed JSON: the body is not valid UTF-8") from None
    except RecursionError:
        raise ValidationError.at("$", f"nested deeper than {MAX_DEPTH} levels") from None
    check_tree(value)
    return value


_NUMBER_RE = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def convert(params: dict, struct_type, root: str = "$"):
    """Plain values (query strings, seed records) as ``struct_type``; strings
    are coerced as a query string needs."""
    try:
        value = msgspec.convert(params, type=struct_type, strict=False)
    except msgspec.ValidationError as exc:
        error = validation_error(exc, root)
        _name_allowed(error, struct_type, root)
        raise error from None
    _lax_only_as_text(params, value, root)
    check_tree(value, root)
    return value


def _name_allowed(error: ValidationError, struct_type, root: str) -> None:
    """An unknown value of a top-level enum field (``?sort=``) says which
    values it takes: the message and ``details[0]["allowed"]``."""
    detail = error.details[0]
    if not detail["message"].startswith("Invalid enum value"):
        return
    name = detail["path"].removeprefix(root + ".")
    info = msgspec.inspect.type_info(struct_type)
    field = next((f for f in getattr(info, "fields", ()) if f.encode_name == name), None)
    kind = field.type if field is not None else None
    kind = kind.type if isinstance(kind, msgspec.inspect.Metadata) else kind
    options = [kind, *getattr(kind, "types", ())]  # Literal, or Literal | None
    values = next((t.values for t in options if isinstance(t, msgspec.inspect.LiteralType)),
                  None)
    if values is not None:
        detail["allowed"] = list(values)
        detail["message"] += f"; allowed: {', '.join(map(str, values))}"
        error.message = f"{detail['message']} - at `{detail['path']}`"


def path_ids(url_args: dict, names) -> None:
    r"""The integer URL parameters ``names`` (``/users/<user_id:int>``, which
    Bottle reads as any ``-?\d+``) must be ids: a 422 at ``$.user_id``
    otherwise, as for the same id in a query or a body."""
    for name in names:
        try:
            msgspec.convert(url_args[name], type=Id)
        except msgspec.ValidationError as exc:
            raise validation_error(exc, f"$.{name}") from None


def _lax_only_as_text(params: dict, value, root: str) -> None:
    """msgspec's lax mode reads more into a string than the OpenAPI document
    says: the text "null" as None for an optional non-text field
    (?user_id=null), a number as a Unix time for a datetime (?until=0.5).
    Refuse both: absent is how a query parameter says "none", and a time is
    an RFC 3339 string."""
    if not isinstance(value, msgspec.Struct):
        return
    for encode_name, name in _field_names(type(value)).items():
        raw = params.get(encode_name)
        if not isinstance(raw, str):
            continue
        got = getattr(value, name)
        if raw == "null" and got is None:
            raise ValidationError.at(f"{root}.{encode_name}", "must not be null")
        if isinstance(got, datetime) and _NUMBER_RE.fullmatch(raw.strip()):
            raise ValidationError.at(f"{root}.{encode_name}",
                                     "must be an RFC 3339 date-time, not a number")


@functools.cache
def _field_names(struct_type) -> dict[str, str]:
    """{encode name: attribute name} of a Struct type. Once per type:
    ``msgspec.structs.fields`` evaluates the annotations on every call
    (~0.2 ms, on every request with a query string)."""
    return {field.encode_name: field.name for field in msgspec.structs.fields(struct_type)}


def _with_whole_floats(body: bytes, struct_type):
    """Decode again, turning each whole-number float that msgspec refused for
    an integer field into an int, one field per pass (bounded)."""
    plain = msgspec.json.decode(body)
    for _ in range(64):
        try:
            return msgspec.convert(plain, type=struct_type, strict=True)
        except msgspec.ValidationError as exc:
            match = _PATH_RE.match(str(exc))
            if not match or match["message"] != _INT_GOT_FLOAT:
                raise
            if not _make_int(plain, match["path"]):
                raise
    return msgspec.convert(plain, type=struct_type, strict=True)


def _make_int(plain, path: str) -> bool:
    """Replace the float at ``path`` ($.a[0].b) in ``plain`` by an int if whole."""
    steps = [name if name else int(index) for name, index in _KEY_RE.findall(path[1:])]
    if not steps:
        return False
    parent = plain
    for step in steps[:-1]:
        parent = parent[step]
    value = parent[steps[-1]]
    if not isinstance(value, float) or not value.is_integer():
        return False
    parent[steps[-1]] = int(value)
    return True
