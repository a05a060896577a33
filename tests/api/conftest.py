"""HTTP fixtures: the real app (create_app) under WebTest, on each backend,
and ready-made actors with bearer tokens."""
from __future__ import annotations

import dataclasses
import itertools

import pytest
import webtest

from janus.services.auth import issue_token
from janus.config import Config
from tests.factories import set_admin_level
from janus.repos.users import users
from janus.web.app import create_app

PASSWORD = "correct horse battery"
CLIENT_IP = "198.51.100.7"
_names = itertools.count(1)


@dataclasses.dataclass
class Actor:
    user: object
    token: str
    password: str = PASSWORD

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_config(database_url, tmp_path):
    def make(**overrides) -> Config:
        env = {"DATABASE_URL": database_url,
               "JANUS_STORAGE_DIR": str(tmp_path / "storage"),
               # Cheap argon2 keeps the suite fast; production uses the defaults.
               "JANUS_ARGON2_TIME_COST": "1", "JANUS_ARGON2_MEMORY_KIB": "8",
               "JANUS_LOG_LEVEL": "WARNING"}
        env.update({key: str(value) for key, value in overrides.items()})
        return Config.from_env(env=env)
    return make


@pytest.fixture
def app(db, make_config):
    return create_app(make_config())


@pytest.fixture
def client(app):
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": CLIENT_IP})


@pytest.fixture
def make_actor(app):
    """make_actor(level=None|"moderator"|"superadmin", active=True) -> Actor."""
    def make(level: str | None = None, active: bool = True, name: str | None = None) -> Actor:
        name = name or f"{level or 'user'}{next(_names)}"
        user = users.register(f"{name}@example.com", name, PASSWORD, is_active=active)
        if level:
            set_admin_level(user, level)
        issued = issue_token(user, 3600)
        return Actor(users.get_by_id(user.id), issued.plain)
    return make


@pytest.fixture
def alice(make_actor):
    return make_actor(name="alice")


@pytest.fixture
def bob(make_actor):
    return make_actor(name="bob")


@pytest.fixture
def moderator(make_actor):
    return make_actor("moderator", name="mod")


@pytest.fixture
def superadmin(make_actor):
    return make_actor("superadmin", name="root")
