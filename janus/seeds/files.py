"""Reading and checking seed files. Nothing here touches the database.

Each file is a JSON array of records. A record is decoded with the msgspec
Struct of its domain (``janus.seeds.schema``), then turned into the column
values of its model, which ``janus.repos.base.check_value`` checks the way the
repositories do (lengths, nulls, types). References to other rows stay
symbolic (emails, ``(owner email, filename)``) until ``janus.seeds.loader``
resolves them against the database and the other files. Image records, and
the image files some of them name, are read by ``janus.seeds.images``.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import msgspec
import peewee as pw
from argon2 import extract_parameters
from argon2.exceptions import InvalidHashError

from janus.config import PROJECT_ROOT, Config
from janus.errors import ValidationError
from janus.models import Admin, Analytics, Image, Log, SecurityEvent, User
from janus.passwords import looks_like_hash
from janus.seeds import images as seed_images
from janus.seeds.images import Upload
from janus.seeds.schema import (DOMAINS, SEED_KEY, AdminSeed, AnalyticsSeed, LogSeed,
                                SecuritySeed, SeedError, UserSeed)
from janus.seeds.values import Problem as _Problem
from janus.seeds.values import email as _email
from janus.seeds.values import check_value, relative_time

__all__ = ["DOMAINS", "SEED_KEY", "Record", "SeedError", "SeedFile", "Upload", "read_file",
           "relative_time"]


# -- records ---------------------------------------------------------------
@dataclasses.dataclass
class Record:
    number: int  # 1-based position in the file
    label: str  # how messages name it, e.g. 'key "login-7"'
    key: Any  # natural key: email, (owner email, filename) or the "key" string
    row: dict  # column values, references excluded
    refs: dict  # {"user": email | None, "image": (email, filename) | None, ...}
    upload: Upload | None = None  # file-backed images: the bytes to store


@dataclasses.dataclass
class SeedFile:
    domain: str
    name: str  # as shown in messages
    records: list[Record]

    def error(self, record: Record, message: str) -> SeedError:
        return SeedError(message, self.name, record.number, record.label)


def _tagged(value: dict, key: str, field: str) -> dict:
    if SEED_KEY in value:
        raise _Problem(f'field "{field}": the key "{SEED_KEY}" is reserved for the seed key')
    return {**value, SEED_KEY: key}


def _user(seed: UserSeed, now: datetime):
    if not (looks_like_hash(seed.password_hash) and _argon2_ok(seed.password_hash)):
        raise _Problem('field "password_hash": not an argon2 hash '
                       "(make one with janus.passwords.hash_password)")
    if not seed.username.strip():
        raise _Problem('field "username": may not be blank')
    created = relative_time(seed.at, now)
    row = dict(email=_email(seed.email, "email"), username=seed.username.strip(),
               password_hash=seed.password_hash, is_active=seed.is_active,
               created_at=created, updated_at=created,
               last_login_at=(None if seed.last_login is None
                              else relative_time(seed.last_login, now, "last_login")))
    return row["email"], row, {}


def _argon2_ok(value: str) -> bool:
    try:
        extract_parameters(value)
    except InvalidHashError:
        return False
    return True


def _admin(seed: AdminSeed, now: datetime):
    user = _email(seed.user, "user")
    row = dict(admin_level=seed.admin_level, created_at=relative_time(seed.at, now))
    return user, row, {"user": user, "granted_by": _email(seed.granted_by, "granted_by")}


def _analytics(seed: AnalyticsSeed, now: datetime):
    created = relative_time(seed.at, now)
    image = None
    if seed.image is not None:
        image = (_email(seed.image.owner, "image.owner"), seed.image.filename)
    row = dict(research_topic=seed.research_topic, data=_tagged(seed.data, seed.key, "data"),
               created_at=created, updated_at=created)
    return seed.key, row, {"image": image, "user": _email(seed.user, "user")}


def _log(seed: LogSeed, now: datetime):
    row = dict(action=seed.action, module=seed.module, level=seed.level,
               timestamp=relative_time(seed.at, now),
               log_metadata=_tagged(seed.metadata, seed.key, "metadata"))
    return seed.key, row, {"user": _email(seed.user, "user")}


def _security(seed: SecuritySeed, now: datetime):
    user = _email(seed.user, "user")
    if seed.ip is not None:
        try:
            ipaddress.ip_address(seed.ip)
        except ValueError:
            raise _Problem(f'field "ip": {json.dumps(seed.ip)} is not an IP address') from None
    # The login name that was tried; for a known user it defaults to their email.
    account = seed.account.strip().lower() if seed.account is not None else user
    row = dict(action=seed.action, account=account, ip=seed.ip, user_agent=seed.user_agent,
               timestamp=relative_time(seed.at, now),
               security_metadata=_tagged(seed.metadata, seed.key, "metadata"))
    return seed.key, row, {"user": user}


@dataclasses.dataclass(frozen=True)
class Spec:
    struct: type | Callable[[Any], type]  # a Struct, or item -> Struct (images)
    model: type[pw.Model]
    build: Callable
    label_fields: tuple[str, ...]
    # Further values that must be unique within the file: name -> row/ref getter.
    unique: dict = dataclasses.field(default_factory=dict)
    # build() also takes the seed directory and the Config (to read image files).
    reads_files: bool = False
    key_fields: tuple[str, ...] | None = None  # naming the key in messages; default: label_fields


SPECS = {
    "users": Spec(UserSeed, User, _user, ("email",),
                  {"username": lambda r: r.row["username"]}),
    "admins": Spec(AdminSeed, Admin, _admin, ("user",)),
    "images": Spec(seed_images.pick, Image, seed_images.build, ("owner", "filename", "file"),
                   {"sha256 for this owner": lambda r: r.row["sha256"] and (r.key[0], r.row["sha256"])},
                   reads_files=True, key_fields=("owner", "filename")),
    "analytics": Spec(AnalyticsSeed, Analytics, _analytics, ("key",)),
    "logs": Spec(LogSeed, Log, _log, ("key",)),
    "security": Spec(SecuritySeed, SecurityEvent, _security, ("key",)),
}

# Model column -> the name the seed files use for it, for messages.
_FILE_NAMES = {"created_at": "at", "timestamp": "at", "last_login_at": "last_login",
               "image_metadata": "metadata", "log_metadata": "metadata",
               "security_metadata": "metadata"}


def display_name(path: Path) -> str:
    path = path.resolve()
    for base in (PROJECT_ROOT, Path.cwd()):
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def _json_type(value: Any) -> str:
    for kind, name in ((bool, "boolean"), ((int, float), "number"), (str, "string"),
                       (dict, "object"), (list, "array")):
        if isinstance(value, kind):
            return name
    return "null"


def _label(item: Any, fields: tuple[str, ...]) -> str | None:
    if not isinstance(item, dict):
        return None
    parts = [f"{name} {json.dumps(item[name], ensure_ascii=False)}"
             for name in fields if isinstance(item.get(name), str)]
    return ", ".join(parts) or None


def _decode_problem(exc: msgspec.DecodeError, raw: bytes) -> str:
    text = str(exc)
    if text == "Input data was truncated":
        return "invalid JSON: unexpected end of file"
    match = re.search(r"\(byte (\d+)\)$", text)
    if match:
        offset = int(match.group(1))
        line = raw.count(b"\n", 0, offset) + 1
        column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
        text = f"{text[:match.start()].rstrip()} at line {line}, column {column}"
    return "invalid JSON: " + text.replace("JSON is malformed: ", "")


def _validation_problem(exc: msgspec.ValidationError) -> str:
    text, _, path = str(exc).partition(" - at `")
    path = path.rstrip("`").removeprefix("$").lstrip(".")
    text = re.sub(r"^Object (missing required field|contains unknown field) `([^`]*)`",
                  lambda m: ("missing required field" if "missing" in m.group(1)
                             else "unknown field") + f' "{m.group(2)}"', text)
    text = text.replace("`", "")
    text = text[:1].lower() + text[1:]
    if text.startswith("expected object") and not path:
        text = "a record must be a JSON object, " + text.split(", ", 1)[-1]
    return f'field "{path}": {text}' if path else text


def read_file(directory: Path, domain: str, now: datetime,
              config: Config | None = None) -> SeedFile:
    """Decode and check one domain's file; raise SeedError on the first problem.

    ``config`` (default: from the environment) gives the limits image files
    are checked against, as uploads are."""
    path = Path(directory) / f"{domain}.json"
    name, spec = display_name(path), SPECS[domain]
    extra = {}
    if spec.reads_files:
        extra = {"directory": Path(directory), "config": config or Config.from_env()}
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SeedError("file not found", name) from None
    except OSError as exc:
        raise SeedError(f"cannot read the file: {exc.strerror}", name) from None
    try:
        items = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise SeedError(_decode_problem(exc, raw), name) from None
    if not isinstance(items, list):
        raise SeedError(f"expected a JSON array of records, got {_json_type(items)}", name)

    seed_file = SeedFile(domain, name, [])
    first_seen: dict[tuple, int] = {}
    for number, item in enumerate(items, start=1):
        label = _label(item, spec.label_fields)
        try:
            struct = spec.struct if isinstance(spec.struct, type) else spec.struct(item)
            seed = msgspec.convert(item, struct)
            key, row, refs, *upload = spec.build(seed, now, **extra)
            for column, value in row.items():
                check_value(spec.model._meta.fields[column], value, column)
        except msgspec.ValidationError as exc:
            raise SeedError(_validation_problem(exc), name, number, label) from None
        except _Problem as exc:
            raise SeedError(str(exc), name, number, label) from None
        except ValidationError as exc:
            detail = exc.details[0]
            field = _FILE_NAMES.get(detail["path"], detail["path"])
            raise SeedError(f'field "{field}": {detail["message"]}', name, number, label) from None
        record = Record(number, label or f"record {number}", key, row, refs, *upload)
        checks = {"key": lambda r: r.key, **spec.unique}
        for what, getter in checks.items():
            value = getter(record)
            if not value:
                continue
            earlier = first_seen.setdefault((what, value), number)
            if earlier != number:
                shown = (" and ".join(spec.key_fields or spec.label_fields) if what == "key"
                         else what)
                raise SeedError(f"duplicate {shown} (already used by record {earlier})",
                                name, number, label)
        seed_file.records.append(record)
    return seed_file
