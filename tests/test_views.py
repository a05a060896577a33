"""janus.lists.views and janus.schemas.common.utc: a stored (naive UTC) time
becomes the aware UTC one a response shows, exactly as ``replace(tzinfo=UTC)``
gives it, however it is reached (one row, a page, a model instance)."""
from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from janus.lists.records import LOG_VIEW
from janus.models import Log
from janus.schemas.common import utc

TIMES = [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59, 999999),
         datetime(2026, 10, 25, 1, 30, fold=1), datetime(2026, 1, 2, 3, 4, 5, 6)]


@pytest.mark.parametrize("when", TIMES, ids=str)
def test_utc_is_replace_tzinfo(when):
    shown = utc(when)
    assert repr(shown) == repr(when.replace(tzinfo=UTC)) and shown.fold == when.fold
    assert msgspec.json.encode(shown) == msgspec.json.encode(when.replace(tzinfo=UTC))
    assert utc(None) is None


def test_a_page_one_row_and_a_model_map_alike():
    rows = [[n, None, "a", "m", "info", when, {"n": n}, "api"] for n, when in enumerate(TIMES)]
    one = [LOG_VIEW.out(list(row)) for row in rows]
    page = LOG_VIEW.out_all([list(row) for row in rows])
    models = [LOG_VIEW.from_model(Log(id=row[0], user=None, action="a", module="m",
                                      level="info", timestamp=row[5], log_metadata=row[6],
                                      source="api")) for row in rows]
    assert msgspec.json.encode(page) == msgspec.json.encode(one) == msgspec.json.encode(models)
    assert msgspec.json.encode(page[0].timestamp) == b'"0001-01-01T00:00:00Z"'
