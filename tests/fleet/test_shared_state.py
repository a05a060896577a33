"""What one host knows, the other knows: console sessions and bearer tokens
(PostgreSQL), lockouts (PostgreSQL) and rate limits (Redis). Each check talks
to host A and host B directly, as haproxy does: from the machine-side
address the hosts trust as a proxy, with the client's address in
``X-Forwarded-For``."""
from __future__ import annotations

import re

import pytest

from tests.fleet.cluster import call, unique_address
from tests.fleet.conftest import LOGIN_LIMIT, PASSWORD

pytestmark = pytest.mark.gunicorn


def login(host, name: str, password: str, client: str):
    return call(host.address, "POST", "/auth/login", body={"login": name, "password": password},
                headers={"X-Forwarded-For": client})


def cookies(headers) -> dict:
    found = {}
    for value in headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        found[name] = rest.split(";", 1)[0]
    return found


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items() if value)


def test_a_console_session_made_on_one_host_works_on_the_other(fleet):
    cluster, world, _ = fleet
    a, b = cluster.hosts
    client = {"X-Forwarded-For": unique_address()}
    status, headers, page = call(a.address, "GET", "/console/login", headers=client)
    assert status == 200, page
    jar = cookies(headers)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = f"login={world.root_login}&password={PASSWORD.replace(' ', '+')}&csrf_token={token}"
    status, headers, page = call(a.address, "POST", "/console/login", raw=form.encode(),
                                 content_type="application/x-www-form-urlencoded",
                                 headers={**client, "Cookie": cookie_header(jar)})
    assert status == 303, page
    session = {"janus_console": cookies(headers)["janus_console"]}
    assert session["janus_console"]
    status, _, page = call(b.address, "GET", "/console", headers={
        **client, "Cookie": cookie_header(session)})
    assert status == 200, page
    assert world.root_login in page
    # and without the cookie, B sends the browser to sign in
    assert call(b.address, "GET", "/console", headers=client)[0] == 303


def test_a_bearer_token_from_one_host_works_on_the_other(fleet):
    cluster, world, _ = fleet
    a, b = cluster.hosts
    status, _, answer = login(a, "fleet7", PASSWORD, unique_address())
    assert status == 200, answer
    status, _, me = call(b.address, "GET", f"/users/{answer['user']['id']}", answer["token"])
    assert status == 200, me


def test_a_lockout_made_on_one_host_holds_on_the_other(fleet):
    cluster, _, _ = fleet
    a, b = cluster.hosts
    attacker, other = unique_address(), unique_address()
    for _ in range(5):  # JANUS_LOCKOUT_THRESHOLD
        assert login(a, "fleet6", "not the password", attacker)[0] == 401
    status, _, answer = login(b, "fleet6", PASSWORD, attacker)
    assert status == 429, answer
    assert "failed logins" in answer["error"]["message"], answer
    # the lockout is of that address: another one still signs in, on either host
    assert login(b, "fleet6", PASSWORD, other)[0] == 200


def test_a_rate_limit_counts_the_requests_of_both_hosts(fleet):
    cluster, _, _ = fleet
    a, b = cluster.hosts
    client = unique_address()
    for i in range(LOGIN_LIMIT):  # half on each host: every one counts
        host = (a, b)[i % 2]
        assert login(host, f"nobody{i}", "wrong", client)[0] == 401
    for host in (a, b):
        status, headers, answer = login(host, "nobody", "wrong", client)
        assert status == 429, answer
        assert "login requests from this address" in answer["error"]["message"], answer
        assert int(headers["Retry-After"]) > 0
    # another address is not limited
    assert login(b, "nobody", "wrong", unique_address())[0] == 401
