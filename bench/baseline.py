"""The baseline: a bare WSGI app with no framework and no database.

Served by gunicorn with exactly Janus's settings, it measures what the server,
the loopback network and the load generator cost on their own; every Janus
figure is printed as a ratio to it.
"""

BODY = b'{"status":"ok","database":"none"}'
HEADERS = [("Content-Type", "application/json; charset=utf-8"),
           ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
