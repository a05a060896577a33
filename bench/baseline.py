"""The baseline: a bare WSGI app with no framework and no database.

Served by gunicorn with exactly Janus's settings, it measures what the server,
the loopback network and the load generator cost on their own; every Janus
figure is printed as a ratio to it.
"""

# The bare app has no database: gunicorn.conf.py's start-up check must not
# refuse to start it for want of one (janus.startup).
ENV = {"JANUS_START_WITHOUT_DATABASE": "1"}
BODY = b'{"status":"ok","database":"none"}'
HEADERS = [("Content-Type", "application/json; charset=utf-8"),
           ("Content-Length", str(len(BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
