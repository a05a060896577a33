"""GET /api-keys: its one declaration and its compiled reads. Each user
lists their own keys; admins (moderator and up) every user's, as with
every other object; revoked keys are not listed."""
from __future__ import annotations

from janus.lists import Filter, Listing
from janus.lists.reads import Resource
from janus.lists.views import View
from janus.models import ApiKey
from janus.repos.api_keys import api_keys
from janus.repos.images import check_range
from janus.schemas.api_keys import ApiKeyOut, ApiKeyPage
from janus.schemas.common import Id, ListQuery

API_KEYS = Listing(
    api_keys,
    Filter("owner_id", ApiKey.owner, Id, "Id of the user who owns the key (admins)."),
    owner=ApiKey.owner, check=check_range,
)
ApiKeyQuery = API_KEYS.query_struct("ApiKeyQuery", ListQuery)

API_KEY_VIEW = View(ApiKeyOut, ApiKey)
api_key_reads = Resource(API_KEY_VIEW, ApiKeyPage, API_KEYS)
