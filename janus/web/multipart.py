"""Reading an image upload from a multipart/form-data request body."""
from __future__ import annotations

import io

from bottle import MultipartError, _parse_http_header, request

from janus.errors import BadRequest, ValidationError
from janus.web.jsonio import read_body

UPLOAD_FIELD = "file"


def read_upload(config) -> tuple[bytes, str]:
    """(bytes, client filename) of the multipart field ``file``; the body is
    read with the upload limit (413) before any parsing."""
    data = read_body(config.max_upload_bytes)
    env = request.environ
    env["wsgi.input"], env["CONTENT_LENGTH"] = io.BytesIO(data), str(len(data))
    # Media types are case-insensitive; Bottle only parses a lower-case "multipart/".
    kind, sep, params = env.get("CONTENT_TYPE", "").partition(";")
    env["CONTENT_TYPE"] = kind.strip().lower() + sep + params
    try:
        upload = request.files.get(UPLOAD_FIELD)
    except (MultipartError, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"malformed multipart body: {getattr(exc, 'body', exc)}") from None
    if upload is None:
        raise ValidationError.at(f"$.{UPLOAD_FIELD}",
                                 "send the image as a multipart file field named 'file'")
    upload.file.seek(0)  # Bottle caches the parsed form: a retried handler reads it again
    return upload.file.read(), _sent_filename(upload)


def _sent_filename(upload) -> str:
    """The part's filename exactly as the client sent it. Bottle's parser cuts
    "C:\\dir\\x.png" and "\\\\host\\x.png" down to "x.png" (an IE6 workaround),
    which would hide those paths from safe_filename; the part's own
    Content-Disposition header still has them."""
    try:
        options = _parse_http_header(upload.get_header("Content-Disposition", ""))[0][1]
    except (IndexError, ValueError):
        return upload.raw_filename
    return options.get("filename", upload.raw_filename)
