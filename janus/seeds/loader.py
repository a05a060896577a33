"""Resolve references and write rows, inside the caller's transaction.

``Loader.run()`` first plans every domain -- which records already exist
(skipped, never overwritten), whether every reference resolves to a row in
the database or to a record loaded in this run -- and only then writes. A
problem found while planning or writing raises ``SeedError``; the caller's
transaction rolls everything back.

File-backed image records are stored through ``janus.uploads.ingest``, as an
upload is (its own transaction nests as a savepoint). Files cannot be rolled
back: after a rollback the caller calls ``release_new_files()``, which removes
the files this run added to the store and no row uses.
"""
from __future__ import annotations

import contextlib
import json

import peewee as pw

from janus.config import Config
from janus.errors import JanusError
from janus.imaging.storage import key_for
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User
from janus.access import Actor
from janus.services import admins as admin_service
from janus.services import images as image_service
from janus.seeds.files import Record, SeedFile
from janus.seeds.schema import SEED_KEY
from janus.imaging import FileStore


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Loader:
    def __init__(self, files: dict[str, SeedFile], config: Config | None = None):
        self.files = files  # in load order
        self.config = config or Config.from_env()  # where image files are stored
        self.store = FileStore(self.config.storage_dir)
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
        names = sorted({r.row["username"] for r in new})
        taken = set()
        if names:
            taken = {name for (name,) in User.select(User.username)
                     .where(User.username.in_(names)).tuples()}
        for record in new:
            if record.row["username"] in taken:
                raise f.error(record, f"username {json.dumps(record.row['username'])} is "
                                      "already taken by another user in the database")
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
        digests = sorted({r.row["sha256"] for r in new if r.row["sha256"]})
        stored = {}
        if digests:
            query = (Image.select(User.email, Image.sha256, Image.filename)
                     .join(User, on=(Image.owner == User.id))
                     .where(Image.sha256.in_(digests)
                            & User.email.in_(sorted({r.key[0] for r in new}))))
            stored = {(email, digest): name for email, digest, name in query.tuples()}
        for record in new:
            other = stored.get((record.key[0], record.row["sha256"]))
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
                raise seed_file.error(record, exc.message) from None
            except pw.DatabaseError as exc:  # IntegrityError included
                raise seed_file.error(record, f"the database refused the row: "
                                              f"{_first_line(exc)}") from None
        return len(self.todo[domain])

    def _uid(self, email: str | None) -> int | None:
        return None if email is None else self.user_ids[email]

    def _insert_users(self, record: Record) -> None:
        self.user_ids[record.key] = User.insert(**record.row).execute()

    def _insert_admins(self, record: Record) -> None:
        # Through the repository, so User.role follows the Admin row.
        granted_by = record.refs["granted_by"]
        user = User.get_by_id(self.user_ids[record.key])
        granter = user if granted_by is None else User.get_by_id(self.user_ids[granted_by])
        row = admin_service.grant(Actor(granter), user, record.row["admin_level"])
        Admin.update(created_at=record.row["created_at"]).where(Admin.id == row.id).execute()

    def _insert_images(self, record: Record) -> None:
        owner = self.user_ids[record.refs["owner"]]
        if record.upload is None:
            self.image_ids[record.key] = Image.insert(owner=owner, **record.row).execute()
            return
        key = key_for(record.row["sha256"])
        existed = self.store.exists(key)
        image = image_service.upload(Actor(User.get_by_id(owner)), record.upload.data,
                                     record.upload.filename, self.store,
                                     self.config.max_image_pixels)
        if not existed:
            self.new_keys.append(key)
        Image.update(created_at=record.row["created_at"], updated_at=record.row["updated_at"]
                     ).where(Image.id == image.id).execute()
        self.image_ids[record.key] = image.id

    def release_new_files(self) -> None:
        """After a rollback: delete the files this run stored that no row uses."""
        if not self.new_keys:
            return
        for key in self.new_keys:
            # Unsure whether a row uses it (the database is gone)? Keep the file.
            with contextlib.suppress(pw.DatabaseError):
                image_service.release(self.store, key)
        self.new_keys.clear()

    def _insert_analytics(self, record: Record) -> None:
        image = record.refs["image"]
        Analytics.insert(image=None if image is None else self.image_ids[image],
                         user=self._uid(record.refs["user"]), **record.row).execute()

    def _insert_logs(self, record: Record) -> None:
        Log.insert(user=self._uid(record.refs["user"]), **record.row).execute()

    def _insert_security(self, record: Record) -> None:
        SecurityEvent.insert(user=self._uid(record.refs["user"]), **record.row).execute()
