"""HTTP fixtures: the real app (create_app) under WebTest, on each backend,
and ready-made actors with bearer tokens."""
from __future__ import annotations

import dataclasses
import itertools
import logging

import pytest
import webtest

from janus.access import Actor as DomainActor
from janus.config import Config
from janus.models import Admin, Image
from janus.repos.users import users
from janus.services.auth import issue_token
from janus.services.images import upload as upload_image
from janus.storage import open_store
from janus.web.app import create_app
from tests.api.helpers import CLIENT_IP, PASSWORD, SHA, UPLOADED_PNG
from tests.helpers import make_analytics, make_image, set_admin_level
from tests.storage import store_env

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
def make_config(database_url, tmp_path, store_kind):
    """Configs on the test's database and store (a fresh bucket prefix on S3)."""
    stored = store_env(store_kind, tmp_path)

    def make(**overrides) -> Config:
        env = {"DATABASE_URL": database_url, "JANUS_DATA_DIR": str(tmp_path / "data"),
               **stored,
               # Cheap argon2 keeps the suite fast; production uses the defaults.
               "JANUS_ARGON2_TIME_COST": "1", "JANUS_ARGON2_MEMORY_KIB": "8",
               "JANUS_LOG_LEVEL": "WARNING",
               # Far above what any test sends: the limits are tested with low
               # values of their own (tests/api/test_ratelimit.py).
               "JANUS_RATE_LIMIT_LOGIN": "100000/minute",
               "JANUS_RATE_LIMIT_REGISTER": "100000/minute",
               "JANUS_RATE_LIMIT_UPLOAD": "100000/minute",
               "JANUS_RATE_LIMIT_ANALYSIS": "100000/minute",
               "JANUS_RATE_LIMIT_EXPORT": "100000/minute",
               "JANUS_RATE_LIMIT_PASSWORD_RESET": "100000/minute",
               "JANUS_RATE_LIMIT_PASSWORD_RESET_ACCOUNT": "100000/minute",
               "JANUS_RATE_LIMIT_API_KEY": "100000/minute",
               # The mail sender sweeps only when woken: no thread polls a
               # database another test owns (tests/api/test_mail.py wakes it).
               "JANUS_MAIL_SWEEP_SECONDS": "0"}
        env.update({key: str(value) for key, value in overrides.items()})
        return Config.from_env(env=env)
    return make


@pytest.fixture
def app(db, make_config):
    return create_app(make_config())


@pytest.fixture
def mail_app(app, make_config, smtp_server):
    """The app, mailing through the suite's SMTP server (tests/mail.py);
    its sender thread stopped before the database is emptied. Built after
    ``app`` (the actors' one): the process's one sender takes the config of
    the last app built."""
    from janus.mail import sender
    app = create_app(make_config(JANUS_SMTP_URL=smtp_server.url, JANUS_MAIL_RETRY_SECONDS=1,
                                 JANUS_PUBLIC_URL="https://janus.example"))
    yield app
    sender.stop()


@pytest.fixture
def mail_client(mail_app):
    return webtest.TestApp(mail_app, extra_environ={"REMOTE_ADDR": CLIENT_IP})


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


class RecordList(logging.Handler):
    """Keeps every record the "janus" logger emits while it is attached."""

    def __init__(self):
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def clear(self) -> None:
        self.records.clear()

    @property
    def text(self) -> str:
        """The records as lines, tracebacks included (caplog's ``text``)."""
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        return "\n".join(formatter.format(record) for record in self.records)


@pytest.fixture
def janus_log(app, monkeypatch):
    """The records of the "janus" logger (which does not propagate to root)
    during the test alone: its own handler, attached once the ``app``
    fixture's start-up sweep (a background thread that logs) has ended, so
    neither a setup-phase record nor pytest's per-phase reset of caplog can
    reach what the test sees."""
    app.janus_sweep.join(60)
    assert not app.janus_sweep.is_alive(), "the app fixture's start-up sweep hangs"
    logger = logging.getLogger("janus")
    monkeypatch.setattr(logger, "propagate", False)
    handler = RecordList()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def world(app, make_actor, alice, bob, superadmin):
    mod = make_actor("moderator", name="mod")
    config = app.config["janus.config"]
    uploaded = upload_image(DomainActor(alice.user), UPLOADED_PNG, "uploaded.png",
                            open_store(config), config.max_image_pixels)
    image = make_image(alice.id, filename="orig.png", width=640, sha256=SHA)
    file_image = make_image(alice.id, filename="upload.png")
    # A well-formed key whose file is not in storage: the row claims a file.
    Image.update(storage_key="ab/cd/abcd" + "0" * 60).where(Image.id == file_image.id).execute()
    row = make_analytics("colour", {"v": 1}, user=alice.id, image=image.id)
    return {"alice": alice, "bob": bob, "root": superadmin, "mod": mod, "anon": None,
            "image": image.id, "file_image": file_image.id, "analytics": row.id,
            "uploaded": uploaded.id,
            "mod_admin": Admin.get(Admin.user == mod.id).id,
            "root_admin": Admin.get(Admin.user == superadmin.id).id}


@pytest.fixture
def actors(client, alice, bob, moderator, superadmin, make_actor):
    return {"alice": alice, "bob": bob, "moderator": moderator, "superadmin": superadmin,
            "make": make_actor, "client": client}
