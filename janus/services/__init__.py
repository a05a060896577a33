"""Domain services: every write happens here, in one transaction with its
audit row (and its security event where one applies). Routes, the seed
loader and the operator tools call these functions with an ``Actor``."""
from __future__ import annotations

from datetime import datetime


def dated(at: datetime | None, *columns: str) -> dict:
    """``{column: at}`` for a row that happened at ``at`` rather than now (the
    seed loader's relative times); nothing when ``at`` is None, so the model's
    defaults apply."""
    return {} if at is None else dict.fromkeys(columns, at)
