"""Resolve references and write rows, inside the caller's transaction: every domain
is planned (skips, references) before the first write, and written through the
domain services. Files cannot be rolled back: after a rollback the caller calls
``release_new_files()``. What each domain writes: docs/seeds.md, "The file format".
"""
from __future__ import annotations

import json

import msgspec
import peewee as pw

from janus.access import Actor
from janus.config import Config
from janus.errors import JanusError, NotFound, ValidationError
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User
from janus.repos.logs import logs
from janus.repos.security import security_events
from janus.seeds.files import Record, SeedFile
from janus.seeds.schema import SEED_KEY
from janus.services import accounts as account_service
from janus.services import admins as admin_service
from janus.services import images as image_service
from janus.services import records as record_service
from janus.storage import key_for, open_store
from janus.usernames import canonical


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _message(exc: JanusError) -> str:
    """A service's error as a seed message: 'field "x": ...' for a validation error."""
    if isinstance(exc, ValidationError) and exc.details:
        detail = exc.details[0]
        return f'field "{detail["path"].removeprefix("$.")}": {detail["message"]}'
    return exc.message


class Loader:
    def __init__(self, files: dict[str, SeedFile], config: Config | None = None):
        self.files = files  # in load order
        self.config = config or Config.from_env()  # where image files are stored
        self.store = open_store(self.config)
        self.new_keys: list[str] = []  # storage keys whose files this run created
        self.user_ids: dict[str, int] = {}  # email -> id, existing or inserted
        self.image_ids: dict[tuple, int] = {}  # (owner email, filename) -> id
        self.pending_users: set[str] = set()  # emails this run will insert
        self.pending_images: set[tuple] = set()
        self.todo: dict[str, list[Record]] = {}

    def run(self) -> dict[str, int]:
        """Plan every domain, then insert; return rows added per domain."""
        self._lookup()
        for domain, seed_file in self.files.items():
            self.todo[domain] = getattr(self, f"_plan_{domain}")(seed_file)
        return {domain: self._write(domain) for domain in self.files}

    # -- what the database already holds -------------------------------------
    def _lookup(self) -> None:
        emails, images = set(), set()
        for seed_file in self.files.values():
            for record in seed_file.records:
                if seed_file.domain == "users":
                    emails.add(record.key)
                if seed_file.domain == "images":
                    images.add(record.key)
                for ref in record.refs.values():
                    if isinstance(ref, tuple):
                        images.add(ref)
                        emails.add(ref[0])
                    elif ref is not None:
                        emails.add(ref)
        if emails:
            query = User.select(User.email, User.id).where(User.email.in_(sorted(emails)))
            self.user_ids = dict(query.tuples())
        if images:
            query = (Image.select(User.email, Image.filename, Image.id)
                     .join(User, on=(Image.owner == User.id))
                     .where(User.email.in_(sorted({owner for owner, _ in images}))
                            & Image.filename.in_(sorted({name for _, name in images})))
                     .order_by(Image.id))
            for email, filename, image_id in query.tuples():
                # Uploads may repeat a filename: the oldest such image is the seeded one.
                self.image_ids.setdefault((email, filename), image_id)

    def _existing_keys(self, model, json_field, keys) -> set:
        if not keys:
            return set()
        path = json_field[SEED_KEY].as_text()
        return {key for (key,) in model.select(path).where(path.in_(sorted(keys))).tuples()}

    # -- references ----------------------------------------------------------
    def _user(self, seed_file: SeedFile, record: Record, field: str) -> None:
        email = record.refs.get(field)
        if email is None or email in self.user_ids or email in self.pending_users:
            return
        users = self.files.get("users")
        where = (f"nor in {users.name}" if users is not None
                 else "(users.json is not being loaded: see --only)")
        raise seed_file.error(record, f"dangling reference: {field} {json.dumps(email)} "
                                      f"is not a user in the database {where}")

    def _image(self, seed_file: SeedFile, record: Record) -> None:
        ref = record.refs.get("image")
        if ref is None or ref in self.image_ids or ref in self.pending_images:
            return
        images = self.files.get("images")
        where = (f"nor in {images.name}" if images is not None
                 else "(images.json is not being loaded: see --only)")
        raise seed_file.error(
            record, f"dangling reference: image with owner {json.dumps(ref[0])} and filename "
                    f"{json.dumps(ref[1])} is not in the database {where}")

    # -- planning: every check happens here, before the first write ----------
    def _plan_users(self, f: SeedFile) -> list[Record]:
        new = [r for r in f.records if r.key not in self.user_ids]
        # Compared as the service compares usernames (janus.usernames): a
        # lookalike of a name in the database, or earlier in this file, is taken.
        forms = {r.key: canonical(r.body.username) for r in new}
        in_db, in_file = {}, {}
        if forms:
            # By exact name too: a row left without a form (a clash) still
            # holds its name in the unique username column.
            names = {r.body.username for r in new}
            in_db = {canonical(name): name for (name,) in User.select(User.username).where(
                User.username_canonical.in_(set(forms.values())) | User.username.in_(names))
                .tuples()}
        for record in new:
            name, form = record.body.username, forms[record.key]
            holder, where = ((in_db[form], "another user in the database") if form in in_db
                             else (in_file.get(form), f"an earlier record of {f.name}"))
            if holder is not None:
                same = "" if holder == name else f" (it looks like {json.dumps(holder)})"
                raise f.error(record, f"username {json.dumps(name)} is already taken by "
                                      f"{where}{same}")
            in_file[form] = name
        self.pending_users.update(r.key for r in new)
        return new

    def _plan_admins(self, f: SeedFile) -> list[Record]:
        for record in f.records:
            self._user(f, record, "user")
            self._user(f, record, "granted_by")
        known = [self.user_ids[r.key] for r in f.records if r.key in self.user_ids]
        have_row = set()
        if known:
            have_row = {uid for (uid,) in Admin.select(Admin.user)
                        .where(Admin.user.in_(known)).tuples()}
        return [r for r in f.records if self.user_ids.get(r.key) not in have_row]

    def _plan_images(self, f: SeedFile) -> list[Record]:
        for record in f.records:
            self._user(f, record, "owner")
        new = [r for r in f.records if r.key not in self.image_ids]
        digests = sorted({r.values["sha256"] for r in new if r.values["sha256"]})
        stored = {}
        if digests:
            query = (Image.select(User.email, Image.sha256, Image.filename)
                     .join(User, on=(Image.owner == User.id))
                     .where(Image.sha256.in_(digests)
                            & User.email.in_(sorted({r.key[0] for r in new}))))
            stored = {(email, digest): name for email, digest, name in query.tuples()}
        for record in new:
            other = stored.get((record.key[0], record.values["sha256"]))
            if other is not None:
                raise f.error(record, "an image with this sha256 is already stored for "
                                      f"{record.key[0]} as {json.dumps(other)}")
        self.pending_images.update(r.key for r in new)
        return new

    def _plan_keyed(self, f: SeedFile, model, json_field) -> list[Record]:
        for record in f.records:
            self._user(f, record, "user")
            self._image(f, record)
        existing = self._existing_keys(model, json_field, {r.key for r in f.records})
        return [r for r in f.records if r.key not in existing]

    def _plan_analytics(self, f):
        return self._plan_keyed(f, Analytics, Analytics.data)

    def _plan_logs(self, f):
        return self._plan_keyed(f, Log, Log.log_metadata)

    def _plan_security(self, f):
        return self._plan_keyed(f, SecurityEvent, SecurityEvent.security_metadata)

    # -- writing -------------------------------------------------------------
    def _write(self, domain: str) -> int:
        seed_file = self.files[domain]
        for record in self.todo[domain]:
            try:
                getattr(self, f"_insert_{domain}")(record)
            except JanusError as exc:
                raise seed_file.error(record, _message(exc)) from None
            except pw.DatabaseError as exc:  # IntegrityError included
                raise seed_file.error(record, f"the database refused the row: "
                                              f"{_first_line(exc)}") from None
        return len(self.todo[domain])

    def _uid(self, email: str | None) -> int | None:
        return None if email is None else self.user_ids[email]

    def _actor(self, email: str) -> Actor:
        """The user of ``email`` acting, with their admin level (as a token would give)."""
        user = User.get_by_id(self.user_ids[email])
        return Actor(user, admin_service.level_of(user))

    def _insert_users(self, record: Record) -> None:
        user = account_service.import_user(record.body, at=record.at, **record.values)
        self.user_ids[record.key] = user.id

    def _insert_admins(self, record: Record) -> None:
        granted_by = record.refs["granted_by"]
        actor = self._actor(record.key if granted_by is None else granted_by)
        user = User.get_by_id(self.user_ids[record.key])
        # The one place a level is granted without the admin password rule:
        # the demo accounts' passwords are published anyway (the README says so).
        admin_service.grant(actor, user, record.values["admin_level"], at=record.at,
                            check_password=False)

    def _insert_images(self, record: Record) -> None:
        actor = self._actor(record.refs["owner"])
        if record.upload is None:
            image = image_service.create_record(actor, record.body, at=record.at)
        else:
            key = key_for(record.values["sha256"])
            existed = self.store.exists(key)
            image = image_service.upload(actor, record.upload.data, record.upload.filename,
                                         self.store, self.config.max_image_pixels, at=record.at)
            if not existed:
                self.new_keys.append(key)
        self.image_ids[record.key] = image.id

    def release_new_files(self) -> None:
        """After a rollback: delete the files this run stored that no row uses."""
        if not self.new_keys:
            return
        for key in self.new_keys:
            # Unsure whether a row uses it (the database or the store is down)?
            # Then it stays, for the start-up sweep.
            image_service.release_or_leave(self.store, key)
        self.new_keys.clear()

    def _insert_analytics(self, record: Record) -> None:
        user, image = record.refs["user"], record.refs["image"]
        body = record.body
        if image is not None:
            body = msgspec.structs.replace(body, image_id=self.image_ids[image])
        try:
            record_service.create_analytics(self._actor(user), body, at=record.at)
        except NotFound:  # the service's answer when the user may not see the image
            if image is None:
                raise
            raise JanusError(f"user {user} may not see the image with owner "
                             f"{json.dumps(image[0])} and filename {json.dumps(image[1])}: "
                             "only its owner and admins may") from None

    def _insert_logs(self, record: Record) -> None:
        v = record.values
        logs.record(v["action"], v["module"], user=self._uid(record.refs["user"]),
                    level=v["level"], metadata=v["metadata"], timestamp=record.at)

    def _insert_security(self, record: Record) -> None:
        v = record.values
        security_events.record(v["action"], user=self._uid(record.refs["user"]),
                               account=v["account"], ip=v["ip"], user_agent=v["user_agent"],
                               metadata=v["metadata"], timestamp=record.at)
