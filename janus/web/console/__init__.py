"""The moderation console: server-rendered HTML pages under /console for
admins, built on the same domain services as the JSON API (so every action
writes the same audit and security rows). The domain never imports it.

``register(app, config, limits, store)`` is called by ``create_app``; each
page group is one module with a ``register(console)``.
"""
from __future__ import annotations

from janus.web.console import (
    assets,
    headers,
    image_files,
    pages_accounts,
    pages_audit,
    pages_auth,
    pages_dashboard,
    pages_images,
    pages_keys,
    pages_mail,
    pages_security,
    pages_users,
)
from janus.web.console.registry import Console

# One line each, so page groups added on separate branches merge cleanly.
PAGE_MODULES = (
    assets,
    pages_auth,
    pages_dashboard,
    pages_images,
    image_files,
    pages_users,
    pages_accounts,
    pages_audit,
    pages_security,
    pages_keys,
    pages_mail,
)


def register(app, config, limits, store) -> Console:
    console = Console(app, config, limits, store)
    for module in PAGE_MODULES:
        module.register(console)
    app.add_hook("after_request", headers.apply)
    return console
