"""``s3://bucket/prefix``: where JANUS_STORAGE_URL (and the backup
commands' ``--to`` and ``restore``) point in a bucket."""
from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

# S3's bucket naming rules (also what rclone and MinIO accept): 3-63
# characters, lower-case letters, digits, dots and hyphens, a letter or digit
# at each end.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# A prefix segment: printable ASCII without the characters that need
# escaping in a URL or name nothing on a file system ("." and "..").
_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+")
SCHEME = "s3"


def is_s3_url(value) -> bool:
    return isinstance(value, str) and value.lower().startswith(f"{SCHEME}://")


@dataclasses.dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or "a/b/" (always ends with "/")

    @property
    def url(self) -> str:
        return f"{SCHEME}://{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, name: str) -> str:
        return self.prefix + name

    def child(self, name: str) -> S3Location:
        return S3Location(self.bucket, f"{self.prefix}{name.strip('/')}/")

    @classmethod
    def parse(cls, url: str) -> S3Location:
        """Raises ValueError with a message the caller prefixes with the
        variable or option it came from."""
        shown = repr(url)
        if not is_s3_url(url):
            raise ValueError(f"must be s3://bucket or s3://bucket/prefix, got {shown}")
        parts = urlsplit(url)
        if parts.query or parts.fragment or "@" in parts.netloc or ":" in parts.netloc:
            raise ValueError(f"must be s3://bucket/prefix without credentials, port, query "
                             f"or fragment (credentials come from AWS_ACCESS_KEY_ID and "
                             f"AWS_SECRET_ACCESS_KEY), got {shown}")
        bucket = parts.netloc
        if not _BUCKET.fullmatch(bucket) or ".." in bucket:
            raise ValueError(f"has no valid bucket name (3-63 lower-case letters, digits, "
                             f"dots or hyphens), got {shown}")
        segments = [s for s in parts.path.split("/") if s]
        if "//" in parts.path or any(
                not _SEGMENT.fullmatch(s) or s in (".", "..") for s in segments):
            raise ValueError(f"has a prefix that is not a plain path (letters, digits, "
                             f"._~-, no empty, . or .. segments), got {shown}")
        return cls(bucket, "".join(f"{s}/" for s in segments))


@dataclasses.dataclass(frozen=True)
class S3Settings:
    """The AWS_* variables (janus.config). None: boto3's own defaults and
    credential chain (an instance role, ~/.aws ...)."""
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = dataclasses.field(default=None, repr=False)
    region: str | None = None


def check_endpoint(url: str) -> str:
    """An http(s)://host[:port] URL, else ValueError."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError(f"must be http(s)://host[:port], got {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username is not None:
        raise ValueError(f"must be http(s)://host[:port], got {url!r}")
    return url
