"""/admins: admin rights. Admins read; only a superadmin grants, changes or
revokes, and the last superadmin stays (409)."""
from __future__ import annotations

from janus import accounts
from janus.errors import Conflict
from janus.models import Admin
from janus.repos.admins import admins
from janus.repos.users import users
from janus.web.access import require_level
from janus.web.jsonio import read_json, read_query
from janus.web.plugin import client, current_user
from janus.web.schemas.users import (AdminCreateIn, AdminOut, AdminPage, AdminPatchIn,
                                     AdminQuery, admin_out)


def _admin_row(admin_id: int) -> Admin:
    me = current_user()
    require_level(me, "moderator")
    return admins.get_by_id(admin_id)


def register(api) -> None:
    config = api.config

    @api.route("GET", "/admins", summary="List admins (admins only)", tag="admins",
               query=AdminQuery, response=AdminPage, errors=(403,))
    def list_admins():
        require_level(current_user(), "moderator")
        q = read_query(AdminQuery)
        query = admins.since(admins.select(), q.since, q.until)
        if q.admin_level:
            query = query.where(Admin.admin_level == q.admin_level)
        page = admins.page(query, limit=q.limit, cursor=q.cursor)
        return AdminPage([admin_out(row) for row in page.items], page.next_cursor)

    @api.route("GET", "/admins/<admin_id:int>", summary="One admin (admins only)",
               tag="admins", response=AdminOut, errors=(403, 404))
    def get_admin(admin_id):
        return admin_out(_admin_row(admin_id))

    @api.route("POST", "/admins", summary="Grant admin rights (superadmin)", tag="admins",
               body=AdminCreateIn, response=AdminOut, status=201, errors=(403, 404, 409))
    def grant_admin():
        me = current_user()
        require_level(me, "superadmin")
        body = read_json(AdminCreateIn, config.max_body_bytes)
        target = users.get_by_id(body.user_id)
        if admins.for_user(target) is not None:
            raise Conflict(f"user {target.id} is already an admin; PATCH /admins/<id> "
                           "to change the level")
        row = accounts.grant(me, target, body.admin_level, client())
        return admin_out(admins.get_by_id(row.id))

    @api.route("PATCH", "/admins/<admin_id:int>", summary="Change an admin level "
               "(superadmin)", tag="admins", body=AdminPatchIn, response=AdminOut,
               errors=(403, 404, 409))
    def update_admin(admin_id):
        me = current_user()
        row = _admin_row(admin_id)
        require_level(me, "superadmin")
        body = read_json(AdminPatchIn, config.max_body_bytes)
        accounts.grant(me, row.user, body.admin_level, client())
        return admin_out(admins.get_by_id(admin_id))

    @api.route("DELETE", "/admins/<admin_id:int>", summary="Revoke admin rights "
               "(superadmin)", tag="admins", status=204, errors=(403, 404, 409))
    def revoke_admin(admin_id):
        me = current_user()
        row = _admin_row(admin_id)
        require_level(me, "superadmin")
        accounts.revoke(me, row.user, client())
