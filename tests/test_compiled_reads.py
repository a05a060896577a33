"""The compiled reads (janus.repos.tokens, janus.lists.reads) against the
ORM: the token check, GET by id and list pages give the same answers as ORM
forms built here from the same declarations (janus.lists), on both
backends, over the same rows: every filter, owner and admin visibility,
every cursor page to the end, missing and unreachable ids."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from peewee import JOIN, Cast

from janus.access import Actor, require_level, visible_row
from janus.db import database, make_database
from janus.errors import JanusError
from janus.lists import reads
from janus.lists.images import IMAGE_VIEW, ImageQuery
from janus.lists.records import (
    ANALYTICS,
    ANALYTICS_VIEW,
    LOG_VIEW,
    SECURITY_EVENT_VIEW,
    AnalyticsQuery,
    LogQuery,
    SecurityEventQuery,
)
from janus.lists.users import ADMIN_VIEW, ADMINS, USER_VIEW, USERS, AdminQuery, UserQuery
from janus.models import Admin, Analytics, AuthToken, Image, Log, SecurityEvent, User
from janus.repos import tokens
from janus.repos.admins import admins
from janus.repos.analytics import analytics
from janus.repos.compiled import HotQuery
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.repos.users import users
from janus.schemas.images import ImagePage
from janus.schemas.records import AnalyticsPage, LogPage, SecurityEventPage
from janus.schemas.users import AdminPage, UserPage
from janus.services import accounts, images, records
from janus.services.auth import issue_token, token_hash
from tests.helpers import T0, make_analytics, make_image, make_user, set_admin_level, spread


@pytest.fixture(autouse=True)
def every_shape_prepares(caplog):
    """On PostgreSQL every hot query of these tests -- each shape of each
    read -- is prepared (janus.repos.prepared), none sent plain for good.
    The handler goes on the logger itself: "janus" may not propagate."""
    logger = logging.getLogger("janus.repos.prepared")
    logger.addHandler(caplog.handler)
    yield
    logger.removeHandler(caplog.handler)
    refused = [r.getMessage() for r in caplog.records if r.name == "janus.repos.prepared"]
    assert not refused, refused


@pytest.fixture
def world(db):
    """Two users' rows of every kind, with tied times, plus a moderator and a
    superadmin; returns the actors by name."""
    alice, bob = make_user("alice"), make_user("bob", is_active=False)
    mod, boss = make_user("mod"), make_user("boss")
    set_admin_level(mod, "moderator")
    set_admin_level(boss, "superadmin")
    set_admin_level(bob, "moderator")
    spread([alice, bob, mod, boss], [0, 0, 1, -1])
    pictures = [make_image(owner, format=fmt, color_type=mode, width=w, height=h,
                           storage_key=key, image_metadata=meta)
                for owner, fmt, mode, w, h, key, meta in [
                    (alice, "PNG", "RGB", 640, 480, None, {}),
                    (alice, "JPEG", "L", 1024, 768, "k1", {"album": "x"}),
                    (alice, "PNG", "RGBA", 10, 2000, None, {}),
                    (bob, "PNG", "RGB", 640, 480, None, {"é": [1, 2]}),
                    (bob, "GIF", "P", 3000, 100, "k2", {}),
                    (mod, "JPEG", "RGB", 640, 480, None, {}),
                    (boss, "PNG", "RGB", 5, 5, None, {}),
                    (alice, "WEBP", "RGB", 640, 480, None, {})]]
    spread(pictures)
    spread([make_analytics(topic, data, user=owner, image=image)
            for topic, data, owner, image in [
                ("colour", {"n": 1}, alice, pictures[0]), ("colour", [1, 2], alice, None),
                ("shape", {"n": 3}, bob, pictures[3]), ("colour", {}, None, None),
                ("shape", {"a": {"b": None}}, alice, pictures[1]),
                ("texture", {"n": 6}, boss, None), ("colour", {"n": 7}, bob, None),
                ("colour", {"n": 8}, alice, pictures[0])]])
    spread([logs.record(action, module, user=user, level=level, metadata=meta,
                        source="client" if action == "export" else "service")
            for action, module, user, level, meta in [
                ("image.created", "images", alice, "info", {"id": 1}),
                ("image.created", "images", bob, "info", {}),
                ("user.updated", "users", alice, "warning", {"c": {"x": [1, None]}}),
                ("app.started", "app", None, "info", {}),
                ("image.deleted", "images", alice, "error", {}),
                ("user.updated", "users", boss, "info", {}),
                ("image.created", "images", alice, "info", {}),
                ("export", "gallery", mod, "debug", {"rows": 12})]])
    spread([security_events.record(action, user=user, account=account, ip=ip, user_agent=agent,
                                   **({"source": "client", "reported_by": mod.id}
                                      if action == "lockout" else {}))
            for action, user, account, ip, agent in [
                ("login_failed", None, "ghost@example.com", "192.0.2.1", "curl"),
                ("login_success", alice, "alice@example.com", "192.0.2.1", None),
                ("login_failed", alice, "alice@example.com", "2001:db8::1", "ua"),
                ("logout", alice, "alice@example.com", None, None),
                ("login_success", bob, "bob@example.com", "198.51.100.7", None),
                ("lockout", None, "ghost@example.com", "192.0.2.1", None),
                ("login_success", boss, "boss@example.com", "192.0.2.9", None),
                ("password_changed", alice, "alice@example.com", "192.0.2.1", None)]])
    return {"alice": Actor(alice), "bob": Actor(bob, "moderator"),
            "mod": Actor(mod, "moderator"), "boss": Actor(boss, "superadmin")}


def orm_page(page_type, out, list_rows):
    """The list response as the routes built it on the ORM: each row of the
    service's ``Page`` as the resource's View maps a model instance."""
    def read(actor, q):
        page = list_rows(actor, q)
        return page_type([out(row) for row in page.items], page.next_cursor, page.total)
    return read


def orm_list(listing, page_type, out, base=None):
    """The ORM page of a declared list (janus.lists), what the services'
    ``list_*`` run: the declaration's narrowing of what ``actor`` may see."""
    def read(actor, q):
        repo = listing.repo
        query = listing.visible(repo.select() if base is None else base, actor)
        query = listing.narrow(query, listing.given(q), q.since, q.until)
        page = repo.page(query, limit=q.limit, cursor=q.cursor, order=listing.orders[q.sort],
                         count=q.count)
        return page_type([out(row) for row in page.items], page.next_cursor, page.total)
    return read


def moderators_only(read):
    """``read`` for a moderator and up, else the 403 of ``require_level``."""
    def checked(actor, *args):
        require_level(actor, "moderator")
        return read(actor, *args)
    return checked


def orm_get(repo, out):
    """GET by id on the ORM: the row if the actor may see it (else 404)."""
    return lambda actor, row_id: out(visible_row(repo, repo.model.user, actor, row_id))


# name: (hot reads, ORM page, ORM get by id, query type, model, filter variants)
RESOURCES = {
    "users": (reads.user_reads,
              orm_list(USERS, UserPage, USER_VIEW.from_model, users.with_level()),
              lambda a, i: USER_VIEW.from_model(accounts.visible_user(a, i)), UserQuery, User,
              [{}, {"email": " ALICE@example.com "}, {"username": "bob"}, {"role": "admin"},
               {"is_active": False}, {"is_active": True, "role": "admin"},
               {"since": T0, "until": T0 + timedelta(seconds=3)}, {"q": "ALI"}, {"q": "o"},
               {"q": "@example", "role": "admin"}]),
    "admins": (reads.admin_reads, orm_list(ADMINS, AdminPage, ADMIN_VIEW.from_model),
               moderators_only(lambda a, i: ADMIN_VIEW.from_model(admins.get_by_id(i))),
               AdminQuery, Admin,
               [{}, {"admin_level": "moderator"}, {"admin_level": "superadmin"},
                {"until": T0 + timedelta(days=3650)}, {"q": "MOD"}, {"q": "o"},
                {"q": "example", "admin_level": "moderator"}]),
    "images": (reads.image_reads, orm_page(ImagePage, IMAGE_VIEW.from_model, images.list_images),
               lambda a, i: IMAGE_VIEW.from_model(images.visible_image(a, i)), ImageQuery, Image,
               [{}, {"format": " png "}, {"color_type": "RGB", "min_width": 600},
                {"min_height": 500}, {"owner_id": 1}, {"since": T0, "until": T0},
                {"since": T0 + timedelta(seconds=1)}, {"until": T0 + timedelta(seconds=1)},
                {"q": "IMG"}, {"q": "1"}, {"q": ".png", "format": "png"}]),
    "logs": (reads.log_reads, orm_page(LogPage, LOG_VIEW.from_model, records.list_logs),
             orm_get(logs, LOG_VIEW.from_model), LogQuery, Log,
             [{}, {"action": "image.created"}, {"module": "users", "level": "warning"},
              {"level": "debug"}, {"user_id": 1}, {"action": "image.created", "user_id": 2},
              {"since": T0 - timedelta(seconds=1), "until": T0 + timedelta(seconds=1)},
              {"source": "client"}, {"source": "service", "user_id": 1},
              {"q": "CREATED"}, {"q": "e."}, {"q": "image", "user_id": 1}]),
    "analytics": (reads.analytics_reads,
                  orm_list(ANALYTICS, AnalyticsPage, ANALYTICS_VIEW.from_model),
                  orm_get(analytics, ANALYTICS_VIEW.from_model), AnalyticsQuery,
                  Analytics,
                  [{}, {"research_topic": " colour "}, {"image_id": 1}, {"user_id": 1},
                   {"research_topic": "shape", "image_id": 4}, {"q": "OLO"}, {"q": "t"},
                   {"q": "our", "user_id": 1}]),
    "security": (reads.security_event_reads,
                 orm_page(SecurityEventPage, SECURITY_EVENT_VIEW.from_model,
                          records.list_security_events),
                 orm_get(security_events, SECURITY_EVENT_VIEW.from_model),
                 SecurityEventQuery, SecurityEvent,
                 [{}, {"account": " Ghost@Example.com"}, {"ip": " 192.0.2.1 "},
                  {"ip": "2001:DB8::0:1"}, {"action": "login_success", "user_id": 2},
                  {"ip": "not an address"}, {"source": "client"},
                  {"source": "service", "account": " Ghost@Example.com"},
                  {"q": "LOGIN_"}, {"q": "ua"}, {"q": "ghost", "source": "client"}]),
}
ACTORS = ["alice", "bob", "mod", "boss"]


def answer(read, *args):
    """What a read returns, or the typed error it raises (status and message)."""
    try:
        return read(*args)
    except JanusError as exc:
        return (exc.status, str(exc))


def resolve_ids(variant: dict, world) -> dict:
    """Filter variants name users 1 and 2 and images 1 and 4 by position:
    the ids of this run's rows."""
    users = {1: world["alice"].id, 2: world["bob"].id}
    image_ids = [row.id for row in Image.select().order_by(Image.id)]
    resolved = dict(variant)
    for name in ("user_id", "owner_id"):
        if name in resolved:
            resolved[name] = users[resolved[name]]
    if "image_id" in resolved:
        resolved["image_id"] = image_ids[resolved["image_id"] - 1]
    return resolved


@pytest.mark.parametrize("name", RESOURCES)
@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("limit", [1, 3, 50])
def test_pages_equal_the_orm_pages_to_the_end(world, name, who, limit):
    hot, orm, _get, query_type, _model, variants = RESOURCES[name]
    actor = world[who]
    for variant in variants:
        fields = resolve_ids(variant, world)
        cursor, pages = None, 0
        while True:
            q = query_type(limit=limit, cursor=cursor, **fields)
            expected, got = answer(orm, actor, q), answer(hot.page, actor, q)
            assert got == expected, (variant, pages)
            if isinstance(got, tuple) or got.next_cursor is None:
                break
            cursor, pages = got.next_cursor, pages + 1
            assert pages < 50


@pytest.mark.parametrize("name", RESOURCES)
@pytest.mark.parametrize("who", ["alice", "boss"])
def test_sorted_counted_pages_equal_the_orm_pages_to_the_end(world, name, who):
    """Every declared sort, with count=true, unfiltered and with the first filter variant."""
    hot, orm, _get, query_type, _model, variants = RESOURCES[name]
    actor = world[who]
    for sort in hot.listing.orders:
        for variant in variants[:2]:
            fields = resolve_ids(variant, world)
            cursor, pages = None, 0
            while True:
                q = query_type(limit=2, cursor=cursor, sort=sort, count=True, **fields)
                expected, got = answer(orm, actor, q), answer(hot.page, actor, q)
                assert got == expected, (sort, variant, pages)
                if isinstance(got, tuple) or got.next_cursor is None:
                    break
                assert got.total is not None
                cursor, pages = got.next_cursor, pages + 1
                assert pages < 50


def test_the_pages_saw_rows(world):
    # The comparisons above are not between two empty answers.
    q = LogQuery(limit=50)
    assert len(reads.log_reads.page(world["boss"], q).items) == 8
    assert 0 < len(reads.log_reads.page(world["alice"], q).items) < 8
    assert len(reads.image_reads.page(world["alice"], ImageQuery(format="png")).items) == 2


@pytest.mark.parametrize("name", RESOURCES)
@pytest.mark.parametrize("who", ACTORS)
def test_get_by_id_equals_the_orm(world, name, who):
    hot, _orm, get, _query, model, _variants = RESOURCES[name]
    actor = world[who]
    row_ids = [row.id for row in model.select(model.id)]
    assert row_ids
    for row_id in [*row_ids, max(row_ids) + 1, 0, -3, 2**63, True]:
        assert answer(hot.get, actor, row_id) == answer(get, actor, row_id), row_id


@pytest.mark.parametrize("bad", [{"cursor": "not-a-cursor"}, {"cursor": "W10"}])
def test_a_bad_cursor_is_the_same_422(world, bad):
    q = LogQuery(**bad)
    error = answer(reads.log_reads.page, world["alice"], q)
    assert error == answer(records.list_logs, world["alice"], q)
    assert error[0] == 422


def orm_token(plain: str):
    """The token query as resolve_token ran it on the ORM."""
    row = (AuthToken.select(AuthToken, User, Admin.admin_level).join(User)
           .join(Admin, JOIN.LEFT_OUTER, on=(Admin.user == User.id), attr="admin_row")
           .where(AuthToken.token_hash == token_hash(plain)).first())
    if row is None:
        return None
    level = row.user.admin_row.admin_level if row.user.admin_row else None
    return row.__data__, row.user.__data__, level


@pytest.mark.parametrize("who", ACTORS)
def test_token_owner_equals_the_orm(world, who):
    user = world[who].user
    issued = issue_token(user, 60)
    AuthToken.update(last_used_at=T0).where(AuthToken.id == issued.row.id).execute()
    token, owner, level = tokens.token_owner(token_hash(issued.plain))
    assert (token.__data__, owner.__data__, level) == orm_token(issued.plain)
    assert level == world[who].level
    assert token.user is owner and token.user_id == owner.id
    assert not token.is_dirty() and not owner.is_dirty()


def test_an_unknown_token_has_no_owner(world):
    assert tokens.token_owner(token_hash("nobody")) is None
    assert orm_token("nobody") is None


def test_compiled_once_per_database_and_shape(world, database_url):
    builds = []

    def build(slots, admin):
        builds.append(admin)
        return Log.select(Log.id).where(Log.action == slots.text("action")).limit(1)

    hot = HotQuery(build)
    for _ in range(3):
        assert hot.rows((True,), {"action": "export"}) == [[Log.get(action="export").id]]
    assert hot.rows((False,), {"action": "missing"}) == []
    assert builds == [True, False]
    # Another database object (each app may point the proxy at a new one) compiles again.
    previous, fresh = database.obj, make_database(database_url)
    database.initialize(fresh)
    try:
        assert hot.rows((True,), {"action": "export"}) == [[Log.get(action="export").id]]
    finally:
        fresh.close_all()
        database.initialize(previous)
    assert builds == [True, False, True]


def test_a_stand_in_a_helper_changes_is_refused(world):
    hot = HotQuery(lambda slots: Log.select(Log.id).where(
        Log.action == slots.text("action") + "x"))
    with pytest.raises(RuntimeError, match="stand-ins lost"):
        hot.rows((), {"action": "export"})


def test_json_msgspec_refuses_reads_as_peewee_reads_it(world, backend):
    # SQLite keeps what json.dumps wrote, a lone surrogate included; the
    # compiled read falls back to peewee's json.loads for it. PostgreSQL's
    # jsonb refuses such text in the first place.
    if backend != "sqlite":
        pytest.skip("SQLite only: jsonb refuses a lone surrogate")
    row = logs.record("odd", "m", metadata={"s": "\ud800", "n": 10**30})
    boss = world["boss"]
    got = reads.log_reads.get(boss, row.id)
    assert got == orm_get(logs, LOG_VIEW.from_model)(boss, row.id)
    assert got.log_metadata == {"s": "\ud800", "n": 10**30}


AWKWARD_TEXTS = ['say "hi" \\ back', "tab\tnew\nline\x01", "ünï €", "🙂 emoji", "123", "1e5",
                 "null", "[1, 2]", ""]


def test_rows_read_as_one_json_array_keep_every_value(world, backend):
    # On SQLite a row's integer and text columns are read as one json_array
    # (janus.repos.compiled); an expression (a REAL here) keeps its own column.
    # Whatever the values, the rows are the ORM's, in the query's order.
    alice = world["alice"].user
    for n, text in enumerate(AWKWARD_TEXTS):
        logs.record(text, f"m{n}", user=alice if n % 2 else None, metadata={"n": 2**62 + n})
    logs.record("bare number", "m", metadata=0.30000000000000004)
    picture = make_image(alice)
    Image.update(phash=-(2**63), file_size=2**63 - 1).where(Image.id == picture.id).execute()

    def log_rows(after):
        third = (Cast(Log.id, "DOUBLE PRECISION") / 3).alias("third")
        return (Log.select(Log.action, Log.log_metadata, Log.id, third, Log.user, Log.timestamp,
                           Log.module)
                .where(Log.id > after).order_by(Log.id))

    def image_rows(image_id):
        return Image.select(Image.phash, Image.file_size, Image.owner).where(
            Image.id == image_id)

    for rows, value in ((log_rows, 0), (image_rows, picture.id)):
        hot = HotQuery(lambda slots, rows=rows: rows(slots.integer("value")))
        got = hot.rows((), {"value": value})
        assert got == [list(row) for row in rows(value).tuples()]
        assert ("json_array" in hot.compiled(()).sql) == (backend == "sqlite")
    texts = [row[0] for row in log_rows(0).tuples()]
    assert texts[-len(AWKWARD_TEXTS) - 1:] == [*AWKWARD_TEXTS, "bare number"]
    assert got == [[-(2**63), 2**63 - 1, alice.id]]
