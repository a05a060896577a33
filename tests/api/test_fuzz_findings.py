"""What the fuzzer (test_fuzz.py) found, pinned as plain regression tests."""
from __future__ import annotations

import re

import pytest

from tests.api.helpers import (
    BOUNDARY,
    UPLOADED_PNG,
    assert_error,
    call,
    error_paths,
    multipart,
    post_raw,
)

# A query parameter that is not text: the document says integer or date-time,
# never null and never a number of seconds; msgspec's lax string mode read
# "null" as None (the filter silently dropped) and "0.5" as a Unix time.
LAX_QUERIES = [("/logs", "user_id", "null"), ("/analytics", "user_id", "null"),
               ("/users", "until", "null"), ("/images", "until", "0.5"),
               ("/logs", "since", "1700000000"), ("/security-events", "until", "-1e3")]


@pytest.mark.parametrize(("path", "name", "value"), LAX_QUERIES)
def test_query_text_is_not_read_laxly(client, superadmin, path, name, value):
    res = call(client, "GET", path, superadmin, params={name: value})
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == [f"$.{name}"]


@pytest.mark.parametrize(("path", "name", "value"),
                         [("/logs", "since", "2026-01-01T00:00:00Z"),
                          ("/users", "until", "2026-01-02T03:04:05+01:00")])
def test_query_times_still_read(client, superadmin, path, name, value):
    res = call(client, "GET", path, superadmin, params={name: value})
    assert res.status_int == 200, res.text


def test_form_part_names_are_described_as_the_parser_takes_them(client, alice):
    """A part name with a NUL is a 400 (the multipart parser
    refuses NUL, CR and LF in a header); the document's form schema says so (propertyNames),
    so a schema-valid upload never carries one."""
    document = client.get("/openapi.json").json
    form = document["paths"]["/images"]["post"]["requestBody"]["content"]["multipart/form-data"]
    pattern = re.compile(form["schema"]["propertyNames"]["pattern"])
    assert pattern.match("file") and pattern.match("caption")
    assert not pattern.match("a\x00b") and not pattern.match("a\nb")
    body = multipart([('name="\x00M3"', b"1"), ('name="file"; filename="a.png"', UPLOADED_PNG)])
    res = post_raw(client, alice, body, f"multipart/form-data; boundary={BOUNDARY}")
    assert_error(res, 400, "bad_request")
