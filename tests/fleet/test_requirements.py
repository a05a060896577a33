"""The several-hosts tests skip where they cannot run (no root, no ip netns,
haproxy or socat), except under CI, where that is a failure; and the
deployment page names exactly the variables their hosts share."""
from __future__ import annotations

import re

import pytest

from tests.fleet import netns
from tests.fleet.cluster import shared_env
from tests.helpers import PROJECT_ROOT


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


def test_the_deployment_page_names_the_variables_every_host_of_the_test_shares():
    page = (PROJECT_ROOT / "docs/deployment.md").read_text()
    section = page.split("\n## Several hosts\n", 1)[1].split("\n## ", 1)[0]
    table = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {name for cell in table for name in re.findall(r"`([A-Z][A-Z0-9_]+)", cell)}
    env = shared_env("postgresql://postgres@127.0.0.1:5432/janus", "10.0.0.1", "s3://b/p",
                     {"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
                      "AWS_DEFAULT_REGION": "us-east-1"}, 9000, "10.0.0.1", "127.0.0.1:80")
    assert documented == set(env)
