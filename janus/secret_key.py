"""JANUS_SECRET_KEY: the service's own secret, which the database never holds.

It keys what must not be checkable from the database alone: the
``Idempotency-Key`` fingerprints (janus.services.idempotency), which would
otherwise be plain SHA-256 digests of request bodies holding passwords; and
the tokens of mailed links (janus.mail.links), so the outbox holds none.

Every worker and every host must use the same key, or a retry that reaches
another one no longer matches its first request. Set ``JANUS_SECRET_KEY`` on
every host; on a single host it may stay unset, and the key is then generated
once and kept in ``<JANUS_DATA_DIR>/secret_key`` (mode 0600).

Creation is atomic, so that workers starting together agree: each writes a
candidate key, complete, to a private temporary name, then ``link``s it to
the final name. link(2), like open(2) with O_CREAT|O_EXCL, fails when the name
exists, so exactly one candidate wins, and the name never shows a file that
is empty or half written. Everyone (the winner too) then reads the final
file back.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

VARIABLE = "JANUS_SECRET_KEY"
FILE_NAME = "secret_key"
# 32 characters: what `secrets.token_urlsafe(24)` prints; a generated key is
# token_urlsafe(48), 64 characters (384 bits).
MIN_LENGTH = 32
GENERATED_BYTES = 48
FILE_MODE = 0o600


class SecretKeyError(ValueError):
    """The key is unusable, or cannot be generated: one line for the operator."""


def parse(raw: str, where: str = VARIABLE) -> bytes:
    """The key as HMAC key bytes; surrounding whitespace (a trailing newline)
    is not part of it."""
    text = raw.strip()
    if len(text) < MIN_LENGTH:
        raise SecretKeyError(
            f"{where} must be at least {MIN_LENGTH} characters (it has {len(text)}): "
            f"generate one with: python3 -c 'import secrets; "
            f"print(secrets.token_urlsafe({GENERATED_BYTES}))'")
    return text.encode("utf-8")


def _read(path: Path) -> bytes:
    """The key in ``path``; refused if other users may read or change it."""
    with open(path, "rb") as fh:
        mode = stat.S_IMODE(os.fstat(fh.fileno()).st_mode)
        if mode & 0o077:
            raise SecretKeyError(f"{path} (the generated {VARIABLE}) is open to other "
                                 f"users (mode {mode:04o}): chmod 600 {path}")
        data = fh.read()
    try:
        return parse(data.decode("utf-8"), str(path))
    except UnicodeDecodeError:
        raise SecretKeyError(f"{path} (the generated {VARIABLE}) is not text: "
                             f"remove it to generate another, or set {VARIABLE}") from None


def _create(path: Path) -> None:
    """Publish a new key at ``path`` unless another process already has."""
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # whatever the umask
        os.write(fd, (secrets.token_urlsafe(GENERATED_BYTES) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        with contextlib.suppress(FileExistsError):  # another process won: its key counts
            os.link(candidate, path)
    finally:
        os.unlink(candidate)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def resolve(configured: bytes | None, data_dir: Path) -> tuple[bytes, Path | None]:
    """(the key, the file it came from or None): ``configured`` when
    JANUS_SECRET_KEY is set, else the data directory's file, created on first
    use."""
    if configured is not None:
        return configured, None
    path = Path(data_dir) / FILE_NAME
    try:
        try:
            return _read(path), path
        except FileNotFoundError:
            pass
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        _create(path)
        return _read(path), path
    except OSError as exc:
        raise SecretKeyError(f"{VARIABLE} is not set and {path} cannot be read or "
                             f"created ({exc.strerror or exc}): set {VARIABLE}") from None
