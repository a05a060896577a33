"""The several-hosts tests skip where they cannot run (no root, no ip netns,
haproxy or socat), except under CI, where that is a failure."""
from __future__ import annotations

import pytest

from tests.fleet import netns


def test_without_root_the_namespaces_are_missing(monkeypatch):
    monkeypatch.setattr(netns.os, "geteuid", lambda: 1000)
    assert netns.missing() == "not root"


@pytest.mark.parametrize("tool", ["haproxy", "socat"])
def test_without_a_tool_the_namespaces_are_missing(monkeypatch, tool):
    monkeypatch.setattr(netns.os, "geteuid", lambda: 0)
    monkeypatch.setattr(netns, tool.upper(), None)
    assert netns.missing() == f"{tool} not installed"


@pytest.mark.parametrize(("ci", "outcome"), [(None, pytest.skip.Exception),
                                             ("true", pytest.fail.Exception)])
def test_missing_namespaces_skip_except_under_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(netns, "missing", lambda: "not root")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="not root"):
        netns.require()
