"""/users: accounts. Users see themselves; admins see everyone; only a
superadmin creates, deactivates, re-roles or deletes other users."""
from __future__ import annotations

from janus.lists.reads import user_reads
from janus.lists.users import USER_VIEW, UserQuery
from janus.schemas.users import (
    ActivityOut,
    UserCreateIn,
    UserOut,
    UserPage,
    UserPatchIn,
)
from janus.services import accounts


def register(api) -> None:
    store = api.store

    api.get_list("/users", user_reads, name="list_users",
                 summary="List users (yourself, or everyone for admins)", tag="users",
                 query=UserQuery, response=UserPage, scope="users:read")

    @api.route("POST", "/users", summary="Create a user (superadmin)", tag="users",
               body=UserCreateIn, response=UserOut, status=201, errors=(403, 409),
               scope="users:write",
               example={"email": "grace@example.com", "username": "grace",
                        "password": "a-compiler-in-1952", "role": "user"})
    def create_user(actor, body):
        return USER_VIEW.from_model(accounts.create_user(actor, body))

    api.get_one("/users/<user_id:int>", user_reads.get, name="get_user", summary="One user",
                tag="users", response=UserOut, scope="users:read")

    @api.route("GET", "/users/<user_id:int>/activity", summary="Audit and security action "
               "counts of one user", tag="users", response=ActivityOut, errors=(404,),
               scope="users:read")
    def user_activity(user_id, actor):
        user, logs, security = accounts.activity(actor, user_id)
        return ActivityOut(user_id=user.id, logs=logs, security=security)

    @api.route("PATCH", "/users/<user_id:int>", summary="Change a user", tag="users",
               body=UserPatchIn, response=UserOut, errors=(403, 404, 409), scope="users:write",
               example={"username": "ada_lovelace"},
               description="Users change their own email and username. is_active, role "
               "and admin_level, and any change to another user, need a superadmin. With "
               "JANUS_REQUIRE_EMAIL_VERIFICATION=true, your own new email is not set: "
               "the answer still shows the old one, the new address gets a link "
               "(POST /auth/verify-email sets it) and the old one a notice; a "
               "superadmin's change to another user's email is set at once (the answer "
               "shows it) and both addresses are told.")
    def update_user(user_id, actor, body):
        return USER_VIEW.from_model(accounts.update_user(actor, user_id, body, api.config))

    @api.route("DELETE", "/users/<user_id:int>", summary="Delete a user (yourself, or anyone "
               "as superadmin); their images and tokens go too, logs stay", tag="users",
               status=204, errors=(403, 404, 409), scope="users:write")
    def delete_user(user_id, actor):
        accounts.delete_user(actor, user_id, store)
