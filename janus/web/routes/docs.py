"""GET / (a JSON index), GET /docs (an interactive API reference) and its
static files. The reference is Swagger UI 5 (it reads OpenAPI 3.1) from the
swagger-ui-py package's own files: nothing is loaded from a CDN."""
from __future__ import annotations

from pathlib import Path

import msgspec
import swagger_ui
from bottle import HTTPResponse, static_file

from janus.errors import NotFound

SWAGGER_STATIC = Path(swagger_ui.__file__).parent / "static"
OWN_STATIC = Path(__file__).resolve().parent.parent / "static"
# The only files served under /docs/static/: what the page below loads.
STATIC_FILES = {
    "swagger-ui.css": SWAGGER_STATIC, "index.css": SWAGGER_STATIC,
    "swagger-ui-bundle.js": SWAGGER_STATIC, "swagger-ui-standalone-preset.js": SWAGGER_STATIC,
    "favicon-32x32.png": SWAGGER_STATIC, "docs.js": OWN_STATIC,
}
PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Janus API reference</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
<link rel="stylesheet" href="/docs/static/index.css">
<link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
<main id="swagger-ui"><noscript>The API reference needs JavaScript; the document
itself is at <a href="/openapi.json">/openapi.json</a>.</noscript></main>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script src="/docs/static/docs.js"></script>
</body>
</html>
"""
# The page runs only its own scripts; Swagger UI fetches /openapi.json.
DOCS_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Index(msgspec.Struct):
    name: str
    docs: str
    openapi: str
    health: str
    console: str  # the admins' console (HTML)


def register(api) -> None:
    @api.route("GET", "/", summary="Where to start: the docs, the document, the health check",
               tag="meta", auth=False, database=False, response=Index)
    def index():
        return Index(name="Janus", docs="/docs", openapi="/openapi.json", health="/health",
                     console="/console")

    @api.route("GET", "/docs", summary="Interactive API reference (Swagger UI)", tag="meta",
               auth=False, database=False, response=bytes, response_media="text/html")
    def docs():
        return HTTPResponse(body=PAGE, status=200, headers=DOCS_HEADERS)

    @api.route("GET", "/docs/static/<name>", summary="A static file of the API reference",
               tag="meta", auth=False, database=False, response=bytes,
               response_media="*/*", errors=(404,))
    def docs_static(name):
        folder = STATIC_FILES.get(name)
        if folder is None:
            raise NotFound(f"no such file: {name}")
        sent = static_file(name, root=str(folder))
        sent.set_header("Cache-Control", "public, max-age=86400")
        sent.set_header("X-Content-Type-Options", "nosniff")
        return sent
