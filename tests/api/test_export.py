"""GET /<list>/export: every list x both formats (x both backends): the same
rows as the JSON list, each as it reads there, for the owner and for an
admin; filters, formula injection, the rate and the per-worker cap, the audit
row of the audit trail's and the security events' exports, and refusals."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
import webob
import webtest

from janus.lists import export as export_module
from janus.lists.reads import Resource
from janus.models import Log
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, assert_error, walk
from tests.helpers import make_analytics, make_image

FORMATS = ["csv", "ndjson"]
LISTS = ["/users", "/admins", "/images", "/logs", "/analytics", "/security-events"]
# A filter of each list that keeps some of the rows made below: the list's
# name for it, and the export's (the images' format is image_format there).
FILTERS = {
    "/users": ({"role": "user"}, {"role": "user"}),
    "/admins": ({"admin_level": "moderator"}, {"admin_level": "moderator"}),
    "/images": ({"format": "png"}, {"image_format": "png"}),
    "/logs": ({"action": "matrix.touched"}, {"action": "matrix.touched"}),
    "/analytics": ({"research_topic": "matrix"}, {"research_topic": "matrix"}),
    "/security-events": ({"action": "matrix_event"}, {"action": "matrix_event"}),
}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def make_rows(path: str, actors) -> None:
    """Rows of the list for alice, bob and nobody, some the filter drops."""
    alice, bob = actors["alice"].user, actors["bob"].user
    for n, owner in enumerate([alice, bob, alice, None, bob, alice, alice]):
        keep = n % 3 != 2
        if path == "/users":
            actors["make"](name=f"extra{n}")
        elif path == "/admins":
            actors["make"]("moderator" if keep else "superadmin", name=f"adm{n}")
        elif path == "/images" and owner is not None:
            make_image(owner.id, format="PNG" if keep else "JPEG")
        elif path == "/logs":
            logs.record("matrix.touched" if keep else "other", "matrix", user=owner,
                        metadata={"n": n, "nested": {"ok": True}})
        elif path == "/analytics":
            make_analytics("matrix" if keep else "other", {"n": n},
                           user=None if owner is None else owner.id)
        elif path == "/security-events":
            security_events.record("matrix_event" if keep else "other", user=owner,
                                   ip="203.0.113.9", metadata={"n": n})


def export(client, path, actor, params=None, status=200):
    return client.get(f"{path}/export", params or {}, headers=actor.headers, status=status)


def expected_cell(value) -> str:
    """How the JSON list's value reads in a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    value = str(value)
    return "'" + value if value.startswith(FORMULA) else value


def parsed(res, output: str) -> list[dict] | tuple[list[str], list[list[str]]]:
    if output == "ndjson":
        return [json.loads(line) for line in res.body.decode().splitlines()]
    rows = list(csv.reader(io.StringIO(res.body.decode(), newline="")))
    return rows[0], rows[1:]


def assert_same(res, output: str, listed: list[dict]) -> None:
    """The export is the JSON list, row for row, in order."""
    if output == "ndjson":
        assert parsed(res, output) == listed
        return
    header, rows = parsed(res, output)
    if listed:
        assert header == list(listed[0])
    assert rows == [[expected_cell(value) for value in item.values()] for item in listed]


@pytest.mark.parametrize("output", FORMATS)
@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("viewer", ["alice", "moderator"])
def test_export_is_the_list(client, actors, path, output, viewer):
    make_rows(path, actors)
    actor = actors[viewer]
    if path == "/admins" and viewer == "alice":
        assert_error(export(client, path, actor, {"format": output}, status="*"), 403,
                     "forbidden")
        return
    listed, _ = walk(client, path, actor, limit=100)
    assert listed, "the matrix needs rows"
    res = export(client, path, actor, {"format": output})
    media = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}[output]
    assert res.headers["Content-Type"] == media
    assert re.fullmatch(rf'attachment; filename="{path[1:]}-\d{{4}}-\d\d-\d\d\.{output}"',
                        res.headers["Content-Disposition"])
    assert res.headers["X-Request-ID"]
    assert_same(res, output, listed)
    ids = [item["id"] for item in listed]
    assert len(set(ids)) == len(ids)
    if viewer == "alice":  # only her own rows, whatever the list shows
        owner = {"/users": "id", "/images": "owner_id"}.get(path, "user_id")
        assert {item[owner] for item in listed} == {actor.id}
    else:
        assert {item.get("user_id") for item in listed} != {actor.id}


@pytest.mark.parametrize("output", FORMATS)
@pytest.mark.parametrize("path", LISTS)
def test_filters_and_times_are_the_lists(client, actors, path, output):
    make_rows(path, actors)
    root = actors["superadmin"]
    list_params, export_params = FILTERS[path]
    everything, _ = walk(client, path, root, limit=100)
    listed, _ = walk(client, path, root, limit=100, **list_params)
    assert 0 < len(listed) < len(everything), "the filter must drop some rows"
    assert_same(export(client, path, root, {"format": output, **export_params}), output,
                listed)
    # since/until: the window of the middle rows.
    times = [item.get("timestamp") or item["created_at"] for item in everything]
    window = {"since": times[-2], "until": times[1]}
    listed, _ = walk(client, path, root, limit=100, **window)
    assert_same(export(client, path, root, {"format": output, **window}), output, listed)


@pytest.mark.parametrize("output", FORMATS)
def test_batches_join_up(client, actors, output, monkeypatch):
    """Several batches (each on a connection of its own): every row once, in order."""
    monkeypatch.setattr(export_module, "BATCH_ROWS", 3)
    for n in range(10):
        logs.record("batched", "matrix", user=actors["alice"].user, metadata={"n": n})
    listed, _ = walk(client, "/logs", actors["alice"], limit=100)
    assert len(listed) >= 10
    assert_same(export(client, "/logs", actors["alice"], {"format": output}), output, listed)


@pytest.mark.parametrize("output", FORMATS)
def test_empty_export(client, actors, output):
    res = export(client, "/logs", actors["alice"], {"format": output, "action": "none"})
    if output == "csv":
        assert res.body.decode().splitlines() == [
            "id,user_id,action,module,level,timestamp,log_metadata,source"]
    else:
        assert res.body == b""


HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1",
           "=1\n=2", "safe = text", "naïve ✓, \"quoted\""]


@pytest.mark.parametrize("path", ["/logs", "/security-events"])
def test_formula_injection_is_neutralised(client, actors, path):
    alice = actors["alice"].user
    for value in HOSTILE:
        if path == "/logs":
            logs.record(value, value[:32].strip() or "m", user=alice, metadata={"v": value})
        else:
            security_events.record(value, user=alice, account=value, user_agent=value,
                                   metadata={"v": value})
    actor = actors["alice"]
    listed, _ = walk(client, path, actor, limit=100)
    # NDJSON carries the values as they are.
    assert parsed(export(client, path, actor, {"format": "ndjson"}), "ndjson") == listed
    header, rows = parsed(export(client, path, actor, {"format": "csv"}), "csv")
    column = header.index("action")
    cells = [row[column] for row in rows if row[column] != "log.exported"]
    assert sorted(cells) == sorted(
        value if not value.startswith(FORMULA) else "'" + value for value in HOSTILE)
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA), row


@pytest.mark.parametrize("path", ["/logs", "/security-events", "/images"])
def test_audit_row(client, actors, path):
    actor = actors["alice"]
    before = Log.select().count()
    params = {"format": "csv", "since": "2020-01-01T00:00:00Z"}
    export(client, path, actor, params)
    if path == "/images":
        assert Log.select().count() == before  # only the audit trail and security events
        return
    row = Log.select().order_by(Log.id.desc()).first()
    module = {"/logs": "log", "/security-events": "security_event"}[path]
    assert (row.action, row.module, row.user_id) == (f"{module}.exported", module, actor.id)
    assert row.log_metadata == {"list": path[1:].replace("-", "_"), "format": "csv",
                                "filters": {"since": "2020-01-01T00:00:00Z"}}
    assert Log.select().count() == before + 1


def test_the_audit_row_is_not_in_its_own_export(client, actors):
    res = export(client, "/logs", actors["alice"], {"format": "ndjson"})
    assert all(item["action"] != "log.exported" for item in parsed(res, "ndjson"))
    again = parsed(export(client, "/logs", actors["alice"], {"format": "ndjson"}), "ndjson")
    assert [item["action"] for item in again] == ["log.exported"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("params, field", [
    ({"format": "xlsx"}, "$.format"), ({"limit": "5"}, "$.limit"),
    ({"cursor": "abc"}, "$.cursor"), ({"nope": "1"}, "$.nope"),
    ({"since": "yesterday"}, "$.since")])
def test_refused_queries(client, actors, path, params, field):
    before = Log.select().count()
    error = assert_error(export(client, path, actors["superadmin"], params, status="*"),
                         422, "validation_error")
    assert field in json.dumps(error["details"])
    assert Log.select().count() == before


@pytest.mark.parametrize("path", LISTS)
def test_anonymous_is_refused(client, path):
    assert_error(client.get(f"{path}/export", status="*"), 401, "unauthorized")


def test_rate_limit_per_user(make_config, db, actors):
    app = create_app(make_config(JANUS_RATE_LIMIT_EXPORT="2/minute"))
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    alice, bob = actors["alice"], actors["bob"]
    for _ in range(2):
        export(client, "/logs", alice)
    res = export(client, "/images", alice, status="*")
    assert_error(res, 429, "too_many_requests")
    assert int(res.headers["Retry-After"]) >= 1
    export(client, "/logs", bob)  # counted per user


def _started(app, path, actor):
    """An export whose headers are out and whose body nobody reads yet."""
    req = webob.Request.blank(f"{path}/export", headers=actor.headers,
                              environ={"REMOTE_ADDR": CLIENT_IP})
    status, _headers, body = req.call_application(app)
    assert status.startswith("200"), status
    return body


def test_concurrent_exports_capped_per_worker(make_config, db, actors):
    app = create_app(make_config(JANUS_EXPORT_CONCURRENCY=2))
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})
    alice = actors["alice"]
    logs.record("one", "matrix", user=alice.user)
    streaming = [_started(app, "/logs", alice), _started(app, "/users", alice)]
    res = export(client, "/images", alice, status="*")
    error = assert_error(res, 503, "service_unavailable")
    assert res.headers["Retry-After"] and error["details"] == {"export_concurrency": 2}
    streaming.pop().close()  # the client went away: its slot comes back
    export(client, "/images", alice)
    assert b"".join(streaming[0]).startswith(b'{"id":')  # the other one reads to the end
    streaming[0].close()
    export(client, "/logs", alice)
    export(client, "/logs", alice)


def test_error_mid_stream_cuts_the_transfer(client, actors, monkeypatch, janus_log):
    """After the first batch the status is sent: an error is logged, the
    transfer cut short, and the worker's slot given back."""
    monkeypatch.setattr(export_module, "BATCH_ROWS", 2)
    for n in range(5):
        logs.record("row", "matrix", user=actors["alice"].user, metadata={"n": n})
    page = Resource.page
    calls = []

    def failing(self, actor, q):
        calls.append(q.cursor)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return page(self, actor, q)
    monkeypatch.setattr(Resource, "page", failing)
    with pytest.raises(RuntimeError, match="database gone"):
        export(client, "/logs", actors["alice"], {"format": "csv"})
    failed = [r.msg for r in janus_log.records if isinstance(r.msg, dict)
              and r.msg.get("message", "").startswith("export")]
    assert [m["message"] for m in failed] == ["export failed mid-stream; transfer cut short"]
    assert (failed[0]["rows"], failed[0]["list"]) == (2, "logs")
    monkeypatch.setattr(Resource, "page", page)
    for _ in range(3):  # the default 2 slots are free again
        assert_same(export(client, "/logs", actors["alice"], {"action": "row"}), "ndjson",
                    walk(client, "/logs", actors["alice"], limit=100, action="row")[0])


@pytest.mark.parametrize("path", LISTS)
def test_the_document_declares_the_export(client, path):
    op = client.get("/openapi.json").json["paths"][f"{path}/export"]["get"]
    ok = op["responses"]["200"]
    assert set(ok["content"]) == {"text/csv", "application/x-ndjson"}
    assert "Content-Disposition" in ok["headers"]
    params = {p["name"]: p for p in op["parameters"]}
    assert params["format"]["schema"]["enum"] == ["csv", "ndjson"]
    assert not {"limit", "cursor", "count"} & set(params)
    listed = {p["name"] for p in client.get("/openapi.json").json["paths"][path]["get"][
        "parameters"]} - {"limit", "cursor", "count"}
    renamed = {"format": "image_format"} if path == "/images" else {}
    assert set(params) - {"format"} == {renamed.get(name, name) for name in listed}
    # 403: below moderator on /admins; an API key without the list's scope anywhere.
    assert {"401", "403", "422", "429", "503"} <= set(op["responses"])
    assert op["x-scope"] == ("admin:read" if path == "/admins" else
                             path[1:].replace("-events", "") + ":read")
    assert op["responses"]["429"]["headers"]["Retry-After"]
