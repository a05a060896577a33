"""Console fixtures: the real app under WebTest on each backend (the API
tests' fixtures, re-exported), and browsers signed in through the sign-in
form as a superadmin, a moderator, or holding a plain user's session."""
from __future__ import annotations

import pytest

from tests.api import conftest as api_fixtures
from tests.api.helpers import PASSWORD
from tests.console.helpers import ConsoleClient, browser, planted_session, sign_in
from tests.console.image_fixtures import contrasty, put  # noqa: F401 - fixtures, re-exported

# The HTTP tests' fixtures (the app on each backend, its config, actors), shared.
alice, app, bob, client, janus_log, make_actor, make_config, moderator, superadmin = (
    api_fixtures.alice, api_fixtures.app, api_fixtures.bob, api_fixtures.client,
    api_fixtures.janus_log, api_fixtures.make_actor, api_fixtures.make_config,
    api_fixtures.moderator, api_fixtures.superadmin)


@pytest.fixture
def anonymous(app) -> ConsoleClient:
    return ConsoleClient(browser(app))


@pytest.fixture
def as_superadmin(app, superadmin) -> ConsoleClient:
    client, res = sign_in(app, superadmin.user.username, PASSWORD)
    assert res.status_int == 303, res.text
    client.actor = superadmin
    return client


@pytest.fixture
def as_moderator(app, moderator) -> ConsoleClient:
    client, res = sign_in(app, moderator.user.username, PASSWORD)
    assert res.status_int == 303, res.text
    client.actor = moderator
    return client


@pytest.fixture
def as_user(app, alice) -> ConsoleClient:
    """A plain user's session (sign-in never makes one: see planted_session)."""
    client = planted_session(app, alice.user)
    client.actor = alice
    return client
