"""Client-supplied file names: a label to show, never a path to use.

Files are stored under their content hash, so the name never reaches the
file system; it is still refused when it looks like a path, because a client
sending "../x.png" is either confused or probing, and because names are shown
and downloaded again (Content-Disposition) later.
"""
from __future__ import annotations

import re
import unicodedata

from janus.errors import ValidationError

MAX_FILENAME = 255  # the images.filename column
_DRIVE = re.compile(r"^[A-Za-z]:")  # "C:x.png" is drive-relative on Windows


def safe_filename(name, path: str = "$.filename") -> str:
    """``name`` stripped and NFC-normalised, or ValidationError at ``path``."""
    if not isinstance(name, str):
        raise ValidationError.at(path, "must be a string")
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise ValidationError.at(path, "must not be empty")
    if len(name) > MAX_FILENAME:
        raise ValidationError.at(path, f"must be at most {MAX_FILENAME} characters")
    if "/" in name or "\\" in name or _DRIVE.match(name):
        raise ValidationError.at(path, "must be a file name, not a path")
    if name in (".", ".."):
        raise ValidationError.at(path, "must be a file name, not a path")
    # NUL and other control characters (incl. newlines) break headers and logs.
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise ValidationError.at(path, "must not contain control characters")
    return name
