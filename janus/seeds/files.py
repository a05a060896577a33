"""Reading and checking seed files. Nothing here touches the database.

Each file is a JSON array of records. A record is decoded with the msgspec
Struct of its domain (``janus.seeds.schema``, built on the request Structs
and types of ``janus.schemas``: shapes and limits are checked there, once),
then turned into what the loader writes: the request Struct of the service
that writes it, or the arguments of the repository's ``record()``. What is
checked here is what only seeds have: argon2 hashes, relative times, natural
keys (unique within the file), the reserved ``"seed"`` key, IP addresses of
security events and the image files. References to other rows stay symbolic
(emails, ``(owner email, filename)``) until ``janus.seeds.loader`` resolves
them against the database and the other files. Image records, and the image
files some of them name, are read by ``janus.seeds.images``.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from argon2 import extract_parameters
from argon2.exceptions import InvalidHashError

from janus.config import Config
from janus.passwords import looks_like_hash
from janus.paths import PROJECT_ROOT
from janus.schemas.records import AnalyticsCreateIn
from janus.schemas.users import UserImportIn
from janus.seeds.images import Upload
from janus.seeds.images import build as build_image
from janus.seeds.images import pick as pick_image
from janus.seeds.schema import (
    DOMAINS,
    SEED_KEY,
    AdminSeed,
    AnalyticsSeed,
    LogSeed,
    SecuritySeed,
    SeedError,
    UserSeed,
)
from janus.seeds.values import Problem as _Problem
from janus.seeds.values import body as _body
from janus.seeds.values import email as _email
from janus.seeds.values import relative_time

__all__ = ["DOMAINS", "SEED_KEY", "Record", "SeedError", "SeedFile", "Upload", "read_file",
           "relative_time"]


# -- records ---------------------------------------------------------------
@dataclasses.dataclass
class Record:
    number: int  # 1-based position in the file
    label: str  # how messages name it, e.g. 'key "login-7"'
    key: Any  # natural key: email, (owner email, filename) or the "key" string
    at: datetime  # when it happened: "at" against the moment of loading
    refs: dict  # {"user": email | None, "image": (email, filename) | None, ...}
    body: msgspec.Struct | None = None  # the request Struct its service takes
    # The writer's other arguments, and what planning checks (sha256 of images).
    values: dict = dataclasses.field(default_factory=dict)
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


# Each builder returns the Record's fields but its number and label.
def _user(seed: UserSeed, now: datetime) -> dict:
    if not (looks_like_hash(seed.password_hash) and _argon2_ok(seed.password_hash)):
        raise _Problem('field "password_hash": not an argon2 hash '
                       "(make one with janus.passwords.hash_password)")
    email = _email(seed.email)
    last_login = (None if seed.last_login is None
                  else relative_time(seed.last_login, now, "last_login"))
    return dict(key=email, at=relative_time(seed.at, now), refs={},
                body=_body(UserImportIn, seed, email=email),
                values={"last_login_at": last_login})


def _argon2_ok(value: str) -> bool:
    try:
        extract_parameters(value)
    except InvalidHashError:
        return False
    return True


def _admin(seed: AdminSeed, now: datetime) -> dict:
    user = _email(seed.user)
    return dict(key=user, at=relative_time(seed.at, now),
                refs={"user": user, "granted_by": _email(seed.granted_by)},
                values={"admin_level": seed.admin_level})


def _analytics(seed: AnalyticsSeed, now: datetime) -> dict:
    if not isinstance(seed.data, dict):
        raise _Problem('field "data": expected object, got array (a seed record keeps its '
                       f'"{SEED_KEY}" key in it)')
    image = None
    if seed.image is not None:
        image = (_email(seed.image.owner), seed.image.filename.strip())
    # image_id is resolved by the loader, once the image has an id.
    return dict(key=seed.key, at=relative_time(seed.at, now),
                refs={"image": image, "user": _email(seed.user)},
                body=_body(AnalyticsCreateIn, seed, data=_tagged(seed.data, seed.key, "data")))


def _log(seed: LogSeed, now: datetime) -> dict:
    values = dict(action=seed.action, module=seed.module, level=seed.level,
                  metadata=_tagged(seed.metadata, seed.key, "metadata"))
    return dict(key=seed.key, at=relative_time(seed.at, now),
                refs={"user": _email(seed.user)}, values=values)


def _security(seed: SecuritySeed, now: datetime) -> dict:
    user = _email(seed.user)
    if seed.ip is not None:
        try:
            ipaddress.ip_address(seed.ip)
        except ValueError:
            raise _Problem(f'field "ip": {json.dumps(seed.ip)} is not an IP address') from None
    # The login name that was tried; for a known user it defaults to their email.
    values = dict(action=seed.action, account=seed.account if seed.account is not None else user,
                  ip=seed.ip, user_agent=seed.user_agent,
                  metadata=_tagged(seed.metadata, seed.key, "metadata"))
    return dict(key=seed.key, at=relative_time(seed.at, now), refs={"user": user},
                values=values)


@dataclasses.dataclass(frozen=True)
class Spec:
    struct: type | Callable[[Any], type]  # a Struct, or item -> Struct (images)
    build: Callable
    label_fields: tuple[str, ...]
    # Further values that must be unique within the file: name -> Record getter.
    unique: dict = dataclasses.field(default_factory=dict)
    # build() also takes the seed directory and the Config (to read image files).
    reads_files: bool = False
    key_fields: tuple[str, ...] | None = None  # naming the key in messages; default: label_fields


SPECS = {
    "users": Spec(UserSeed, _user, ("email",), {"username": lambda r: r.body.username}),
    "admins": Spec(AdminSeed, _admin, ("user",)),
    "images": Spec(pick_image, build_image, ("owner", "filename", "file"),
                   {"sha256 for this owner":
                    lambda r: r.values["sha256"] and (r.key[0], r.values["sha256"])},
                   reads_files=True, key_fields=("owner", "filename")),
    "analytics": Spec(AnalyticsSeed, _analytics, ("key",)),
    "logs": Spec(LogSeed, _log, ("key",)),
    "security": Spec(SecuritySeed, _security, ("key",)),
}


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
            record = Record(number, label or f"record {number}", **spec.build(seed, now, **extra))
        except msgspec.ValidationError as exc:
            raise SeedError(_validation_problem(exc), name, number, label) from None
        except _Problem as exc:
            raise SeedError(str(exc), name, number, label) from None
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
