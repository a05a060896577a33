"""Descriptions of the document's fields, by field name: a name means the same
thing in every Struct that has it (``user_id`` is always a user's id), so each
is described once here. A field's own ``msgspec.Meta(description=...)`` wins."""
from __future__ import annotations

from janus.password_policy import ADMIN, USER

# janus.password_policy, for a field that sets a password.
_POLICY = (f"At least {USER.min_length} characters ({ADMIN.min_length} for an admin account), "
           f"hard to guess (zxcvbn strength {USER.min_score} of 4, {ADMIN.min_score} for an "
           "admin), not close to the account's email or username; a weaker one is a 422 "
           "naming this field, with advice.")

FIELDS = {
    "account": "The account name the event is about (an email or username, as typed).",
    "action": "What happened, e.g. login_failed or image.create.",
    "actions_per_day": "Audit rows per day in the window.",
    "admin_level": "Admin rights: moderator (read everything, moderate) or superadmin "
                   "(also manage admins); null for a plain user.",
    "bit_depth": "Bits per channel.",
    "code": "Machine-readable error code, e.g. not_found or validation_error.",
    "color_type": "Pillow's mode name, e.g. RGB, RGBA or L.",
    "compression_method": "Compression the file uses, if known.",
    "console": "Path of the admins' console (HTML pages for a browser).",
    "count": "How many.",
    "counts": "Totals of the objects visible to you.",
    "created_at": "When the object was created (UTC).",
    "current_password": "The password in use now.",
    "cursor": "next_cursor of the previous page; omit it for the first page.",
    "data": "The research data: any JSON object or array.",
    "database": "Whether the database answered.",
    "database_writes": "Whether the database accepts writes.",
    "day": "A UTC day.",
    "days": "Length of the window in days.",
    "details": "More about the error; for validation errors, the failing field paths.",
    "docs": "Path of the interactive API reference.",
    "distance": "Hamming distance of the perceptual hashes (0 = identical).",
    "email": "Email address (unique, compared case-insensitively).",
    "email_verified_at": "When the account's email was confirmed by its mailed link (UTC).",
    "email_verified": "Whether the account's email is confirmed (its mailed link was used, or "
                      "the account predates JANUS_REQUIRE_EMAIL_VERIFICATION or was made by an "
                      "admin); while false and verification is required, login answers 403.",
    "error": "The error.",
    "expires_at": "When the token stops being accepted (UTC).",
    "failed_logins_per_day": "Failed logins per day in the window.",
    "file_size": "Size of the file in bytes.",
    "filename": "The file name as given by the client.",
    "format": "Pillow's format name, e.g. PNG or JPEG.",
    "granted_by_id": "The superadmin who granted the rights (null if unknown).",
    "has_file": "Whether the service stores the bytes (false for a metadata-only record).",
    "height": "Height in pixels.",
    "id": "The object's id.",
    "image": "The similar image.",
    "health": "Path of the health check.",
    "images_by_color_type": "Images per colour type.",
    "images_by_format": "Images per format.",
    "image_id": "Id of the image this is about, or null.",
    "image_metadata": "Free-form JSON about the image (EXIF and the like).",
    "in_window": "How many in the window.",
    "ip": "Client address (IPv4 or IPv6).",
    "is_active": "False for a deactivated account, which cannot log in.",
    "items": "The objects of this page.",
    "last_login_at": "Time of the last successful login (UTC), or null.",
    "level": "Severity.",
    "limit": "How many items at most.",
    "log_metadata": "Free-form JSON about the event.",
    "logs": "Recent audit actions of the user.",
    "max_distance": "The largest distance counted as similar.",
    "message": "What went wrong, for a human.",
    "module": "The part of the application the event comes from.",
    "name": "The service's name.",
    "new_password": "The new password. " + _POLICY,
    "next_cursor": "Pass as cursor to get the next page; null on the last page.",
    "openapi": "Path of this OpenAPI document.",
    "owner_id": "Id of the user who owns the image.",
    "last_used_at": "When the key last authenticated a request (UTC, to the minute), or null.",
    "last_used_ip": "The client address of the key's last request, or null.",
    "key": "The API key itself (jns_...): shown in this answer only. Send it as "
           "Authorization: Bearer <key>.",
    "prefix": "The key's first characters (jns_ and 8 more), to recognise it.",
    "scopes": "What the key may do (janus.scopes): each operation's x-scope.",
    "password": "The password. Where one is set (registration, a new user): " + _POLICY,
    "request_id": "The request's id, as in the X-Request-ID header; quote it when "
                  "reporting a problem.",
    "reported_by": "Id of the admin who reported the event (POST /security-events), or null "
                   "for an event the service recorded itself.",
    "research_topic": "What the record is about.",
    "revoked_tokens": "How many other tokens of the user were revoked.",
    "role": "user or admin.",
    "scope": "Whose data the summary counts: yours, or everyone's for admins.",
    "security": "Recent security events of the user.",
    "security_metadata": "Free-form JSON about the event.",
    "sha256": "SHA-256 of the bytes, hex.",
    "since": "Only items at or after this time (RFC 3339).",
    "size": "Longest side of the thumbnail in pixels.",
    "status": "ok, or degraded when a check failed.",
    "source": "Who wrote the row: service (the service recorded it itself) or client "
              "(posted to POST /logs or POST /security-events: stored and shown, never "
              "acted on: no lockout, unlock or count reads it).",
    "storage": "Whether the file store is writable.",
    "timestamp": "When it happened (UTC).",
    "token": "The bearer token: send it as Authorization: Bearer <token>.",
    "token_type": "Always bearer.",
    "top_actions": "The most frequent audit actions in the window.",
    "total": "How many in all.",
    "until": "Only items before this time (RFC 3339).",
    "updated_at": "When the object last changed (UTC).",
    "uploads_per_user": "Images uploaded per user in the window.",
    "user": "The authenticated user.",
    "user_agent": "The client's User-Agent header.",
    "user_id": "Id of the user this is about, or null.",
    "username": "User name (unique; letters, digits, _ . -).",
    "width": "Width in pixels.",
}

# Where a name means something else in one Struct: "Struct.field".
OWN = {
    "SummaryOut.since": "Start of the window the per-day figures cover (UTC).",
    "SummaryOut.days": "Length of the window in days.",
    "SimilarList.image_id": "The image the others are compared with.",
    "TokenOut.user": "The user the token belongs to.",
    "AdminCreateIn.user_id": "Id of the user to give the admin level to.",
    "VerifyEmailIn.token": "The token of the mailed verification link (its ?token=).",
    "PasswordResetConfirmIn.token": "The token of the mailed reset link (its ?token=).",
    "EmailVerified.email": "The address now verified.",
    "Accepted.message": "The same text whatever the address: it tells nothing about it.",
    # API keys (janus.services.api_keys)
    "ApiKeyCreateIn.name": "What the key is for, to tell keys apart (1-100 characters).",
    "ApiKeyOut.name": "What the key is for.",
    "ApiKeyCreated.name": "What the key is for.",
    "ApiKeyCreateIn.scopes": "What the key may do: per domain and verb (images:read, "
                             "images:write, ...), plus admin:read (moderators and up: read "
                             "as an admin) and admin:write (superadmins: change as one). "
                             "Each operation names the one it needs (x-scope).",
    "ApiKeyCreateIn.expires_at": "When the key stops working (UTC, in the future); "
                                 "omitted or null: never.",
    "ApiKeyOut.expires_at": "When the key stops working (UTC); null: never.",
    "ApiKeyCreated.expires_at": "When the key stops working (UTC); null: never.",
    "ApiKeyOut.owner_id": "Id of the user the key acts as.",
    "ApiKeyCreated.owner_id": "Id of the user the key acts as (you).",
    "SessionOut.id": "The session's id for DELETE /auth/sessions/{id}: one id space for "
                     "both kinds (not the token's own id).",
    "SessionOut.kind": "token: a bearer token from POST /auth/login; console: a browser "
                       "signed in to /console.",
    "SessionOut.expires_at": "When the session stops being accepted (UTC).",
    "SessionOut.last_used_at": "When it was last used (UTC), refreshed at most once a "
                               "minute; null until first used after sign-in.",
    "SessionOut.last_used_ip": "The address it was last used from (at sign-in, then with "
                               "last_used_at).",
    "SessionOut.user_agent": "The User-Agent it signed in with.",
    "SessionOut.current": "True for the token of this very request.",
    "SessionsEnded.ended": "How many sessions ended.",
}


def describe_fields(components: dict) -> None:
    """Give every property without a description of its own the one above."""
    for struct, schema in components.items():
        for name, prop in schema.get("properties", {}).items():
            text = OWN.get(f"{struct}.{name}", FIELDS.get(name))
            if "description" not in prop and text:
                prop["description"] = text
