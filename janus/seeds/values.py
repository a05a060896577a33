"""Record-level helpers shared by the builders in ``janus.seeds.files`` and
``janus.seeds.images``: the problem a record can have, relative times, emails."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from janus.errors import ValidationError
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
    try:
        return normalise_email(value)
    except ValidationError:
        raise Problem(f'field "{field}": {json.dumps(value)} is not an email address') from None
