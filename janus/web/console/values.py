"""Stored values (free-form JSON from audit and security metadata) as short
text for a page; the templates escape it."""
from __future__ import annotations

import json

LONGEST = 300  # characters shown of one value


def shown(value) -> str:
    """Strings as they are, everything else as compact JSON, cut to LONGEST."""
    text = value if isinstance(value, str) else json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "), default=str)
    return text if len(text) <= LONGEST else text[:LONGEST - 1] + "…"
