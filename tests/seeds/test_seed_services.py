"""Seeds are written through the same services as the API: the same audit
rows and security events, and a loader with no import cycle."""

import ast
from pathlib import Path
from types import SimpleNamespace

import webtest

import janus.seeds
from janus.config import Config
from janus.models import Admin, Analytics, Log, SecurityEvent, User, utcnow
from janus.schemas.images import ImageCreateIn
from janus.seeds import SEED_DIR
from janus.seeds.files import relative_time
from janus.services.auth import issue_token
from janus.web.app import create_app
from tests.api.helpers import upload
from tests.seeds.helpers import (
    file_backed,
    run,
    seed_data,
    seeded_image,
)


# -- written through the services, as real data is ------------------------------
def _audit_row(action: str, object_id: int) -> Log:
    """The newest audit row of ``action`` about ``object_id`` (SQLite may reuse
    the id of a deleted row)."""
    rows = [row for row in Log.select().where(Log.action == action).order_by(Log.id)
            if row.log_metadata.get("object_id") == object_id]
    assert rows, (action, object_id)
    return rows[-1]


def _shape(row: Log) -> tuple:
    """An audit row but for its id, time and the id of its object."""
    metadata = {key: value for key, value in row.log_metadata.items() if key != "object_id"}
    return row.user_id, row.action, row.module, row.level, metadata


def _api_user(user: User) -> SimpleNamespace:
    return SimpleNamespace(headers={"Authorization": f"Bearer {issue_token(user, 600).plain}"})


def test_seeded_objects_get_the_audit_rows_the_api_writes(db, database_url, capsys,
                                                          storage_dir):
    """A seeded admin, image (either kind) and analytics record has exactly the
    audit row (and admin security event) that the same request to the API writes;
    the seed only dates them in the past."""
    assert run(capsys, "--database", database_url, "--only",
               "users,admins,images,analytics")[0] == 0
    data = seed_data()
    api = webtest.TestApp(create_app(Config.from_env({"DATABASE_URL": database_url})))

    # An analytics record about an image: the same body, POSTed by the same user.
    seed = next(a for a in data["analytics"] if a.get("image"))
    row = next(a for a in Analytics.select() if a.data["seed"] == seed["key"])
    audit = _audit_row("analytics.created", row.id)
    assert (audit.user.email, audit.timestamp) == (seed["user"], row.created_at)
    assert row.created_at <= relative_time(seed["at"], utcnow())
    res = api.post_json("/analytics", {"research_topic": row.research_topic, "data": row.data,
                                       "image_id": row.image_id},
                        headers=_api_user(row.user).headers)
    assert _shape(_audit_row("analytics.created", res.json["id"])) == _shape(audit)

    # A metadata-only image and a file-backed one: removed, then sent again by their owner.
    meta = next(i for i in data["images"] if "file" not in i)
    image = seeded_image(meta)
    audit = _audit_row("image.created", image.id)
    assert (audit.user_id, audit.timestamp) == (image.owner_id, image.created_at)
    body = {name: getattr(image, name) for name in ImageCreateIn.__struct_fields__}
    image.delete_instance()
    res = api.post_json("/images", body, headers=_api_user(image.owner).headers)
    assert _shape(_audit_row("image.created", res.json["id"])) == _shape(audit)

    seed = file_backed()[0]
    image = seeded_image(seed)
    audit = _audit_row("image.uploaded", image.id)
    assert (audit.user_id, audit.timestamp) == (image.owner_id, image.created_at)
    image.delete_instance()
    res = upload(api, _api_user(image.owner), (SEED_DIR / seed["file"]).read_bytes(),
                 image.filename)
    assert res.status_int == 201, res.text
    assert _shape(_audit_row("image.uploaded", res.json["id"])) == _shape(audit)

    # An admin granted by the superadmin: revoked behind the API's back, granted again.
    seed = next(a for a in data["admins"] if a.get("granted_by"))
    admin = Admin.select().join(User, on=(Admin.user == User.id)).where(
        User.email == seed["user"]).get()
    audit = _audit_row("admin.granted", admin.id)
    event = SecurityEvent.get(SecurityEvent.action == "admin_granted",
                              SecurityEvent.user == admin.user_id)
    assert audit.user.email == seed["granted_by"]
    assert audit.timestamp == event.timestamp == admin.created_at
    admin.delete_instance()
    # A seeded password is unchecked, and a grant then refused: as if they had
    # set a new one that meets the admin rule.
    User.update(role="user", password_rule="admin").where(User.id == admin.user_id).execute()
    granter = User.get(User.email == seed["granted_by"])
    res = api.post_json("/admins", {"user_id": admin.user_id, "admin_level": seed["admin_level"]},
                        headers=_api_user(granter).headers)
    assert res.status_int == 201, res.text
    assert _audit_row("admin.granted", res.json["id"]).id != audit.id
    assert _shape(_audit_row("admin.granted", res.json["id"])) == _shape(audit)
    again = (SecurityEvent.select().where(SecurityEvent.action == "admin_granted",
                                          SecurityEvent.user == admin.user_id)
             .order_by(SecurityEvent.id.desc()).first())
    assert again.id != event.id
    assert ((again.account, again.security_metadata)
            == (event.account, event.security_metadata))


def test_seeded_users_are_created_by_themselves(db, database_url, capsys):
    assert run(capsys, "--database", database_url, "--only", "users")[0] == 0
    for seed in seed_data()["users"]:
        user = User.get(User.email == seed["email"])
        audit = _audit_row("user.created", user.id)
        assert (audit.user_id, audit.timestamp) == (user.id, user.created_at)
        assert audit.log_metadata["changes"] == {
            "email": seed["email"], "username": seed["username"],
            "is_active": seed.get("is_active", True)}


def test_seeds_import_no_package_cycle():
    """No module of janus.seeds imports the package itself (its __init__ imports
    the cli, which imports them): they import the modules they need."""
    for path in Path(janus.seeds.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "janus.seeds", path.name
            if isinstance(node, ast.Import):
                assert all(alias.name != "janus.seeds" for alias in node.names), path.name
