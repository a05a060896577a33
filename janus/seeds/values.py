"""Record-level helpers shared by the builders in ``janus.seeds.files`` and
``janus.seeds.images``: the problem a record can have, relative times, the
email form of references, and the request Struct a record is written with."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import msgspec

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


def email(value: str | None) -> str | None:
    """A reference by email (already an ``Email``), as the users table keeps it."""
    return None if value is None else normalise_email(value)


def body(struct: type, seed: msgspec.Struct, **values):
    """The request Struct ``struct`` a service takes, from the fields ``seed``
    shares with it (``seed`` was decoded with the same constrained types), and
    ``values`` for the rest."""
    shared = {name: getattr(seed, name) for name in struct.__struct_fields__
              if name in seed.__struct_fields__}
    return struct(**{**shared, **values})
