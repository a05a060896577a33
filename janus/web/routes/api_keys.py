"""/api-keys: machines' credentials. A person creates, lists and revokes
their own; admins list everyone's, a superadmin revokes anyone's. No key
manages keys: these routes refuse them."""
from __future__ import annotations

import msgspec

from janus.lists.keys import API_KEY_VIEW, ApiKeyQuery, api_key_reads
from janus.schemas.api_keys import ApiKeyCreated, ApiKeyCreateIn, ApiKeyPage
from janus.services import api_keys

CREATE = ("Answers the key itself (`key`, starting `jns_`) once: only its SHA-256 is kept, "
          "so a lost key cannot be shown again (revoke it, make another). Send it as "
          "`Authorization: Bearer <key>`: it acts as you, narrowed to its scopes (each "
          "route's `x-scope`), and never beyond your current rights; admin:read needs a "
          "moderator or up, admin:write a superadmin. Ignores Idempotency-Key: the answer "
          "holds the key, which is never stored. Login tokens only: an API key gets 403 "
          "insufficient_scope.")


def register(api) -> None:
    @api.route("POST", "/api-keys", summary="Create an API key (shown once)", tag="api-keys",
               body=ApiKeyCreateIn, response=ApiKeyCreated, status=201, refuses_keys=True,
               idempotent=False, description=CREATE,
               example={"name": "nightly-import", "scopes": ["images:read", "images:write"],
                        "expires_at": "2030-01-01T00:00:00Z"})
    def create_api_key(actor, body):
        issued = api_keys.create(actor, body)
        shown = msgspec.structs.asdict(API_KEY_VIEW.from_model(issued.row))
        return ApiKeyCreated(**shown, key=issued.plain)

    api.get_list("/api-keys", api_key_reads, name="list_api_keys",
                 summary="List API keys (yours; admins: everyone's)", tag="api-keys",
                 query=ApiKeyQuery, response=ApiKeyPage, refuses_keys=True,
                 description="Name, prefix, scopes, when made, last used (time and address) "
                             "and expiry of each key that is not revoked, newest first by "
                             "default; never the key or its hash. Login tokens only.")

    @api.route("DELETE", "/api-keys/<key_id:int>", summary="Revoke an API key",
               tag="api-keys", status=204, errors=(403, 404), refuses_keys=True,
               description="Your own key, or anyone's as a superadmin (a moderator gets "
                           "403; another user's key is a 404). The key answers 401 from "
                           "now on. Login tokens only.")
    def revoke_api_key(key_id, actor):
        api_keys.revoke(actor, key_id)
