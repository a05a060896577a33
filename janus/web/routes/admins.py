"""/admins: admin rights. Admins read; only a superadmin grants, changes or
revokes, and the last superadmin stays (409)."""
from __future__ import annotations

from janus.lists.reads import admin_reads
from janus.lists.users import ADMIN_VIEW, AdminQuery
from janus.schemas.users import AdminCreateIn, AdminOut, AdminPage, AdminPatchIn
from janus.services import admins


def register(api) -> None:
    api.get_list("/admins", admin_reads, name="list_admins",
                 summary="List admins (admins only)", tag="admins", query=AdminQuery,
                 response=AdminPage, errors=(403,), scope="admin:read")

    api.get_one("/admins/<admin_id:int>", admin_reads.get, name="get_admin",
                summary="One admin (admins only)", tag="admins", response=AdminOut,
                errors=(403, 404), scope="admin:read")

    @api.route("POST", "/admins", summary="Grant admin rights (superadmin)", tag="admins",
               body=AdminCreateIn, response=AdminOut, status=201, errors=(403, 404, 409),
               scope="admin:write",
               example={"user_id": 2, "admin_level": "moderator"})
    def grant_admin(actor, body):
        return ADMIN_VIEW.from_model(admins.create_admin(actor, body))

    @api.route("PATCH", "/admins/<admin_id:int>", summary="Change an admin level "
               "(superadmin)", tag="admins", body=AdminPatchIn, response=AdminOut,
               scope="admin:write", errors=(403, 404, 409), example={"admin_level": "superadmin"})
    def update_admin(admin_id, actor, body):
        return ADMIN_VIEW.from_model(admins.change_admin(actor, admin_id, body.admin_level))

    @api.route("DELETE", "/admins/<admin_id:int>", summary="Revoke admin rights "
               "(superadmin)", tag="admins", status=204, errors=(403, 404, 409),
               scope="admin:write")
    def revoke_admin(admin_id, actor):
        admins.delete_admin(actor, admin_id)
