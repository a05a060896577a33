"""Route specs drive the plumbing: what a handler may ask for is checked once,
when the route is declared, not on the first request."""
from __future__ import annotations

import re

import msgspec
import pytest
from bottle import Bottle

from janus.web.registry import Api


class Body(msgspec.Struct):
    name: str


def api() -> Api:
    return Api(Bottle(), config=None, store=None)


def test_a_handler_gets_exactly_what_its_spec_declares():
    registry = api()

    @registry.route("POST", "/things/<thing_id:int>", summary="s", tag="t", body=Body,
                    scope="images:write")
    def handler(thing_id, actor, body, client):
        return None

    assert registry.specs[0].wants == {"actor", "body", "client"}


@pytest.mark.parametrize("options, params, message", [
    ({}, "actor, body", "asks for ['body']"),
    ({"auth": False}, "actor", "asks for ['actor']"),
    ({"body": Body}, "actor", "declares ['body'] but does not take it"),
    ({"query": Body}, "actor", "declares ['query'] but does not take it"),
])
def test_a_mismatch_fails_at_declaration(options, params, message):
    namespace: dict = {}
    exec(f"def handler({params}):\n    return None", namespace)
    with pytest.raises(TypeError, match=message.replace("[", r"\[").replace("]", r"\]")):
        api().route("GET", "/things", summary="s", tag="t", **options)(namespace["handler"])


# -- API key scopes: every authenticated route says one, or refuses keys --------------
@pytest.mark.parametrize("options, message", [
    ({}, "declare scope=... (janus.scopes) or refuses_keys=True"),
    ({"scope": "images:read", "refuses_keys": True}, "declare scope=..."),
    ({"scope": "images:delete"}, "unknown scope 'images:delete'"),
    ({"auth": False, "scope": "images:read"}, "is public: it takes no scope"),
    ({"auth": False, "refuses_keys": True}, "is public: it takes no scope"),
])
def test_a_route_without_a_scope_fails_at_declaration(options, message):
    def handler():
        return None
    with pytest.raises(TypeError, match=re.escape(message)):
        api().route("GET", "/things", summary="s", tag="t", **options)(handler)


@pytest.mark.parametrize("options", [{"scope": "images:read"}, {"refuses_keys": True},
                                     {"auth": False}])
def test_a_route_that_says_one_is_declared(options):
    registry = api()
    registry.route("GET", "/things", summary="s", tag="t", **options)(lambda: None)
    assert registry.specs[0].scope == options.get("scope")
