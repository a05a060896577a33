"""The users pages: GET /console/users (filters, keyset pages) and
GET /console/users/<id> (the account, their images, recent audit rows and
security events), and the superadmin's actions on an account, each through
the same service function as the API (so the same audit and security rows):
deactivate, activate, change the admin level, revoke tokens."""
from __future__ import annotations

from janus.errors import Conflict
from janus.lists import search
from janus.lists.images import ImageQuery
from janus.lists.records import LogQuery, SecurityEventQuery
from janus.lists.users import USERS, UserSearch
from janus.schemas.users import UserPatchIn
from janus.services import accounts, records
from janus.services import images as image_service
from janus.web.console import pages_keys, session
from janus.web.console.filters import declared_form
from janus.web.console.inputs import form_text, query, texts
from janus.web.console.registry import see_other
from janus.web.console.render import render

FILTERS = frozenset({"q", "role", "admin_level", "is_active", "limit", "cursor"})
LEVEL_CHOICES = ("none", "moderator", "superadmin")
ACTIVE = (("true", "active"), ("false", "deactivated"))
RECENT = 10  # audit rows and security events on a user's page
# users.password_rule, for a superadmin: raising a level needs "admin".
PASSWORD_STATES = {
    "admin": "meets the admin rule",
    "user": "meets the user rule only: set a new one before an admin level is granted",
    "unchecked": "not checked (set before the password policy, or a demo account): set a new "
                 "one before an admin level is granted",
}
IMAGES = 12
THUMB_ROUTE = "/console/images/<image_id:int>/thumb"


def user_path(user_id: int) -> str:
    return f"/console/users/{user_id}"


def register(console) -> None:
    def thumbnails() -> bool:
        """Whether the images pages serve thumbnails (they may come later)."""
        return any(route.path == THUMB_ROUTE for route in console.routes)

    @console.page("/console/users")
    def console_users(actor):
        filters = query(UserSearch, FILTERS)
        page = accounts.search_users(actor, filters)
        return render("users.html", title="Users", page=page, filters=filters,
                      level_choices=LEVEL_CHOICES, q_max=search.MAX_LENGTH,
                      **declared_form(USERS, texts(FILTERS), choices={"is_active": ACTIVE}))

    @console.page("/console/users/<user_id:int>")
    def console_user(actor, user_id):
        user = accounts.visible_user(actor, user_id)
        images = image_service.list_images(actor, ImageQuery(owner_id=user.id, limit=IMAGES))
        audit = records.list_logs(actor, LogQuery(user_id=user.id, limit=RECENT))
        events = records.list_security_events(
            actor, SecurityEventQuery(user_id=user.id, limit=RECENT))
        return render("user.html", title=f"User {user.username}", user=user, images=images,
                      audit=audit, events=events, keys=pages_keys.user_keys(actor, user.id),
                      level_choices=LEVEL_CHOICES,
                      password_states=PASSWORD_STATES, thumbnails=thumbnails())

    def acted(user_id: int, change) -> None:
        """Run ``change()``; its message, or the refusal's (the last-superadmin
        rule), is shown on the user's page after the redirect."""
        try:
            message = change()
        except Conflict as exc:
            session.flash(f"Not done: {exc.message}.", "error")
        else:
            session.flash(message)
        see_other(user_path(user_id))

    @console.action("/console/users/<user_id:int>/deactivate")
    def console_user_deactivate(actor, user_id):
        def change():
            user = accounts.set_active(actor, user_id, False)
            return f"{user.username} is deactivated; their tokens and sessions are revoked."
        acted(user_id, change)

    @console.action("/console/users/<user_id:int>/activate")
    def console_user_activate(actor, user_id):
        def change():
            return f"{accounts.set_active(actor, user_id, True).username} is active."
        acted(user_id, change)

    @console.action("/console/users/<user_id:int>/admin-level")
    def console_user_admin_level(actor, user_id):
        level = form_text("admin_level")
        if level not in LEVEL_CHOICES:
            session.flash("Choose an admin level: none, moderator or superadmin.", "error")
            see_other(user_path(user_id))

        def change():
            patch = (UserPatchIn(role="user") if level == "none"
                     else UserPatchIn(role="admin", admin_level=level))
            user = accounts.update_user(actor, user_id, patch)
            return (f"{user.username} is now a {level}." if level != "none"
                    else f"{user.username} is no longer an admin.")
        acted(user_id, change)

    @console.action("/console/users/<user_id:int>/revoke-tokens")
    def console_user_revoke_tokens(actor, user_id):
        def change():
            revoked = accounts.revoke_user_tokens(actor, user_id)
            return f"{revoked} token(s) revoked; every console session of theirs has ended."
        acted(user_id, change)
