"""Idempotency-Key on POST routes: a retry gets the first answer and writes
nothing; the key and the change it answers for commit together."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import webtest

from janus.audit import record_change
from janus.models import Analytics, IdempotencyKey, utcnow
from janus.services import idempotency, records
from janus.web.app import create_app
from tests.api.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    SUCCESS,
    _body,
    assert_error,
    call,
    error_paths,
    row_counts,
)
from tests.helpers import stored_files

POSTS = [case for case in SUCCESS if case.method == "POST"]


def run_case(client, case, world, headers):
    """helpers.run_case, with extra request headers."""
    if case.files:
        return client.post(case.url(world), params={}, upload_files=case.files,
                           headers={**world[case.actor].headers, **headers}, status="*")
    return call(client, case.method, case.url(world), world[case.actor],
                json=_body(case, world), headers=headers)
KEY = {"Idempotency-Key": "9f1c2d3e-retry-me"}
ANALYTICS = {"research_topic": "colour", "data": {"v": 1}}


def test_the_replay_cases_cover_every_post_route(app):
    posts = {route.rule for route in app.routes
             if route.method == "POST" and route.config.get("janus") is not None}
    covered = {case.path.split("?")[0].replace("{uploaded}", "<image_id:int>")
               for case in POSTS}
    # Login's answer (a token) is never stored; /logs and /auth/logout have
    # cases of their own below, the password reset routes in
    # test_password_reset.py and the email verification routes in
    # test_email_verification.py (they need a mailed token); POST /api-keys
    # (its answer, a key, is never stored either) in test_api_keys.py;
    # /auth/logout-all below.
    assert posts - covered == {"/auth/login", "/logs", "/auth/logout", "/auth/password-reset",
                               "/auth/password-reset/confirm", "/auth/verify-email",
                               "/auth/verify-email/resend", "/api-keys", "/auth/logout-all"}


@pytest.mark.parametrize("case", POSTS, ids=[c.name for c in POSTS])
def test_a_retry_gets_the_first_answer_and_writes_nothing(app, client, world, case):
    first = run_case(client, case, world, KEY)
    assert first.status_int == case.status, first.text
    counts, files = row_counts(), stored_files(app.config["janus.config"].storage_dir)

    again = run_case(client, case, world, KEY)

    assert again.status_int == first.status_int
    assert again.body == first.body
    assert again.content_type == first.content_type
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert row_counts() == counts
    assert stored_files(app.config["janus.config"].storage_dir) == files


def test_without_a_key_a_retry_writes_twice(client, alice):
    first = call(client, "POST", "/analytics", alice, json=ANALYTICS)
    again = call(client, "POST", "/analytics", alice, json=ANALYTICS)
    assert (first.status_int, again.status_int) == (201, 201)
    assert first.json["id"] != again.json["id"]
    assert IdempotencyKey.select().count() == 0


def test_the_same_key_with_another_body_is_refused(client, alice):
    first = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)
    assert first.status_int == 201
    counts = row_counts()

    other = call(client, "POST", "/analytics", alice, json={**ANALYTICS, "data": {"v": 2}},
                 headers=KEY)
    elsewhere = call(client, "POST", "/images", alice, headers=KEY,
                     json={"filename": "a.png", "format": "PNG", "width": 1, "height": 1,
                           "color_type": "RGB", "bit_depth": 8, "file_size": 1})

    for res in (other, elsewhere):
        error = assert_error(res, 422, "validation_error")
        assert error_paths(error) == ["header Idempotency-Key"]
    assert row_counts() == counts


def test_keys_of_different_users_are_independent(client, alice, bob):
    mine = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)
    theirs = call(client, "POST", "/analytics", bob, json=ANALYTICS, headers=KEY)

    assert (mine.status_int, theirs.status_int) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json["id"] != theirs.json["id"]
    assert {row.user_id for row in Analytics.select()} == {alice.id, bob.id}
    assert sorted(row.scope for row in IdempotencyKey.select()) == sorted(
        [f"user:{alice.id}", f"user:{bob.id}"])


def test_register_is_scoped_to_the_client_address(client):
    body = {"email": "new@example.com", "username": "newbie", "password": NEW_PASSWORD}
    first = call(client, "POST", "/auth/register", json=body, headers=KEY)
    again = call(client, "POST", "/auth/register", json=body, headers=KEY)
    elsewhere = call(client, "POST", "/auth/register", json=body, headers=KEY,
                     extra_environ={"REMOTE_ADDR": "203.0.113.50"})

    assert (first.status_int, again.status_int) == (201, 201)
    assert again.body == first.body
    # Another client with the same key is a new request: here a duplicate account.
    assert_error(elsewhere, 409, "conflict")


def test_an_expired_key_runs_again_and_expired_keys_are_purged(client, alice):
    first = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)
    assert first.status_int == 201
    (row,) = IdempotencyKey.select()
    assert row.expires_at - row.created_at == timedelta(hours=24)  # the default TTL
    IdempotencyKey.update(expires_at=utcnow() - timedelta(seconds=1)).execute()

    again = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)

    assert again.status_int == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.json["id"] != first.json["id"]
    (row,) = IdempotencyKey.select()
    assert row.response_body == again.text

    later = row.expires_at + timedelta(seconds=1)
    assert idempotency.purge_expired(row.expires_at - timedelta(seconds=1)) == 0
    assert idempotency.purge_expired(later) == 1
    assert IdempotencyKey.select().count() == 0


def test_the_ttl_comes_from_the_configuration(make_config, alice):
    config = make_config(JANUS_IDEMPOTENCY_TTL_SECONDS=90)
    assert config.idempotency_ttl_seconds == 90
    client = webtest.TestApp(create_app(config))
    res = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)
    assert res.status_int == 201
    (row,) = IdempotencyKey.select()
    assert row.expires_at - row.created_at == timedelta(seconds=90)


@pytest.mark.parametrize("key", ["", " ", "a b", "x" * 256, "caf\xe9", "tab\there"])
def test_a_malformed_key_is_refused(client, alice, key):
    counts = row_counts()
    res = call(client, "POST", "/analytics", alice, json=ANALYTICS,
               headers={"Idempotency-Key": key})
    error = assert_error(res, 422, "validation_error")
    assert error_paths(error) == ["header Idempotency-Key"]
    assert row_counts() == counts


def test_the_longest_key_is_accepted(client, alice):
    res = call(client, "POST", "/analytics", alice, json=ANALYTICS,
               headers={"Idempotency-Key": "~" * 255})
    assert res.status_int == 201


def test_an_error_answer_is_not_stored_and_frees_the_key(client, alice):
    bad = call(client, "POST", "/analytics", alice, json={"research_topic": "t"}, headers=KEY)
    assert_error(bad, 422, "validation_error")
    assert IdempotencyKey.select().count() == 0

    good = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)
    assert good.status_int == 201


def test_what_a_refused_request_commits_stays(client, alice):
    # A wrong current password records a security event, then answers 422.
    before = row_counts()
    res = call(client, "POST", "/auth/password", alice, headers=KEY,
               json={"current_password": "wrong password", "new_password": NEW_PASSWORD})
    assert_error(res, 422, "validation_error")
    after = row_counts()
    assert after["security"] == before["security"] + 1
    assert after["idempotency_keys"] == 0


def test_login_ignores_the_key_and_stores_no_token(client, alice):
    body = {"login": "alice", "password": PASSWORD}
    first = call(client, "POST", "/auth/login", json=body, headers=KEY)
    again = call(client, "POST", "/auth/login", json=body, headers=KEY)
    assert (first.status_int, again.status_int) == (200, 200)
    assert first.json["token"] != again.json["token"]
    assert "Idempotent-Replayed" not in again.headers
    assert IdempotencyKey.select().count() == 0


def test_a_failure_to_store_the_answer_rolls_the_change_back(client, alice, monkeypatch):
    counts = row_counts()
    calls = []
    monkeypatch.setattr(records, "record_change",
                        lambda actor, action, *a, **k: calls.append(action)
                        or record_change(actor, action, *a, **k))
    save = IdempotencyKey.save

    def broken(self, *args, **kwargs):
        if self.status:  # the answer, after the change; the claim itself goes in
            raise RuntimeError("disk full")
        return save(self, *args, **kwargs)
    monkeypatch.setattr(IdempotencyKey, "save", broken)

    res = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)

    assert_error(res, 500, "internal_error")
    assert row_counts() == counts  # neither the change nor its audit row nor the key
    assert calls == ["analytics.created"]  # the change was made, then rolled back


def test_concurrent_requests_with_one_key_write_once(client, alice):
    threads_n = 8
    barrier = threading.Barrier(threads_n)
    answers = [None] * threads_n

    def send(i):
        barrier.wait()
        answers[i] = call(client, "POST", "/analytics", alice, json=ANALYTICS, headers=KEY)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [res.status_int for res in answers] == [201] * threads_n, [a.text for a in answers]
    assert len({res.body for res in answers}) == 1
    assert sum("Idempotent-Replayed" in res.headers for res in answers) == threads_n - 1
    assert Analytics.select().count() == 1
    assert IdempotencyKey.select().count() == 1


def test_a_retried_client_event_is_logged_once(client, alice):
    body = {"action": "client.crashed", "module": "client"}
    first = call(client, "POST", "/logs", alice, json=body, headers=KEY)
    assert first.status_int == 201, first.text
    counts = row_counts()

    again = call(client, "POST", "/logs", alice, json=body, headers=KEY)

    assert (again.status_int, again.body) == (201, first.body)
    assert row_counts() == counts


def test_a_retried_logout_all_gets_the_first_answer_and_ends_nothing_more(client, alice):
    first = call(client, "POST", "/auth/logout-all", alice, headers=KEY)
    assert (first.status_int, first.json) == (200, {"ended": 0})
    later = client.post_json("/auth/login", {"login": alice.user.email, "password": PASSWORD},
                             status=200).json["token"]

    again = call(client, "POST", "/auth/logout-all", alice, headers=KEY)

    assert (again.status_int, again.body) == (200, first.body)
    call(client, "GET", "/auth/me", headers={"Authorization": f"Bearer {later}"}, status=200)


def test_a_retried_logout_finds_its_token_revoked(client, alice):
    first = call(client, "POST", "/auth/logout", alice, headers=KEY)
    assert first.status_int == 204
    assert IdempotencyKey.select().count() == 1

    again = call(client, "POST", "/auth/logout", alice, headers=KEY)

    # Authentication comes first: the token the first request revoked is refused.
    assert_error(again, 401, "unauthorized")


def test_the_openapi_document_declares_the_header_on_post_routes(client):
    paths = call(client, "GET", "/openapi.json").json["paths"]
    declared = {}
    for path, operations in paths.items():
        for method, op in operations.items():
            if method == "description":  # the path item's own text
                continue
            header = [p for p in op["parameters"]
                      if p["in"] == "header" and p["name"] == "Idempotency-Key"]
            declared[(method, path)] = header
    posts = {key for key in declared if key[0] == "post"}
    assert posts - {key for key, header in declared.items() if header} == {
        ("post", "/auth/login"), ("post", "/api-keys")}
    assert not any(header for key, header in declared.items() if key[0] != "post")
    (header,) = declared[("post", "/analytics")]
    assert header["required"] is False
    assert header["schema"] == {"type": "string", "minLength": 1, "maxLength": 255,
                                "pattern": "^[\\x21-\\x7E]+$"}


def test_browsers_may_send_the_key_and_read_the_replay_flag(make_config, alice):
    origin = "https://app.example"
    cors = webtest.TestApp(create_app(make_config(JANUS_CORS_ORIGINS=origin)))
    preflight = cors.options("/analytics", status="*", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "idempotency-key"})
    allowed = {h.strip().lower()
               for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    assert "idempotency-key" in allowed

    res = call(cors, "POST", "/analytics", alice, json=ANALYTICS,
               headers={**KEY, "Origin": origin})
    assert res.status_int == 201
    assert "Idempotent-Replayed" in res.headers["Access-Control-Expose-Headers"]
