"""Image records: metadata-only, or backed by a real file under the seed directory.

A record with ``"file": "files/<name>"`` is stored the way an upload is
(``janus.services.images.upload``, called by the loader). Here, before
anything is written, the file is found (inside the seed directory only),
read, and checked with ``janus.imaging.inspect_image``: every technical
column comes from that, so the record itself may not give any of them.
A metadata-only record becomes the ``ImageCreateIn`` that
``janus.services.images.create_record`` takes.
"""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from janus.config import Config
from janus.errors import JanusError, ValidationError
from janus.imaging import inspect_image
from janus.schemas.images import ImageCreateIn
from janus.seeds.schema import IMAGE_TECHNICAL_FIELDS, ImageFileSeed, ImageSeed
from janus.seeds.values import Problem, body, email, relative_time

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclasses.dataclass(frozen=True)
class Upload:
    """What the loader hands to ``upload`` for a file-backed record."""
    file: str  # as the record gives it, for messages
    filename: str
    data: bytes = dataclasses.field(repr=False)


def pick(item: Any) -> type:
    """The Struct for ``item``: file-backed when it has a ``file`` field."""
    if not (isinstance(item, dict) and "file" in item):
        return ImageSeed
    given = [name for name in IMAGE_TECHNICAL_FIELDS if name in item]
    if given:
        names = ", ".join(f'"{name}"' for name in given)
        raise Problem(f"field{'s' if len(given) > 1 else ''} {names} may not be given with "
                      '"file": they are read from the image file itself')
    return ImageFileSeed


def build(seed: ImageSeed | ImageFileSeed, now: datetime, directory: Path, config: Config):
    if isinstance(seed, ImageFileSeed):
        return _from_file(seed, now, directory, config)
    return _metadata_only(seed, now)


def _metadata_only(seed: ImageSeed, now: datetime) -> dict:
    owner = email(seed.owner)
    sha256 = seed.sha256 and seed.sha256.lower()  # as the repository stores it
    return dict(key=(owner, seed.filename.strip()), at=relative_time(seed.at, now),
                refs={"owner": owner}, body=body(ImageCreateIn, seed),
                values={"sha256": sha256})


def _from_file(seed: ImageFileSeed, now: datetime, directory: Path, config: Config) -> dict:
    owner = email(seed.owner)
    at = relative_time(seed.at, now)
    data = read_seed_file(directory, seed.file, config.max_upload_bytes)
    filename = seed.filename if seed.filename is not None else PurePosixPath(seed.file).name
    shown = json.dumps(seed.file, ensure_ascii=False)
    try:
        info = inspect_image(data, config.max_image_pixels)
    except ValidationError as exc:
        raise Problem(f"file {shown}: {exc.details[0]['message']}") from None
    except JanusError as exc:  # not an image / unsupported format / too many pixels
        raise Problem(f"file {shown}: {exc.message}") from None
    # The name is checked where it is stored (janus.repos.images), as for a record.
    return dict(key=(owner, filename.strip()), at=at, refs={"owner": owner},
                values={"sha256": info.sha256}, upload=Upload(seed.file, filename, data))


def read_seed_file(directory: Path, value: str, max_bytes: int) -> bytes:
    """The bytes of ``value``, a relative path that must stay inside ``directory``."""
    shown = json.dumps(value, ensure_ascii=False)
    pure = PurePosixPath(value)
    if (pure.is_absolute() or "\\" in value or _DRIVE.match(value) or ".." in pure.parts
            or pure.name in ("", ".")):
        raise Problem(f'field "file": {shown} must be a relative path inside the seed '
                      'directory, such as "files/logo.png" (no "..", not absolute)')
    root = Path(directory).resolve()
    path = (root / pure).resolve()
    if not path.is_relative_to(root):  # a symbolic link pointing out of it
        raise Problem(f'field "file": {shown} leads outside the seed directory')
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise Problem(f"file {shown}: not a regular file")
        if size > max_bytes:
            raise Problem(f"file {shown}: {size} bytes is more than the upload limit "
                          f"of {max_bytes} (JANUS_MAX_UPLOAD_BYTES)")
        return path.read_bytes()
    except FileNotFoundError:
        raise Problem(f"file {shown}: not found") from None
    except OSError as exc:
        raise Problem(f"file {shown}: cannot read it: {exc.strerror or exc}") from None
