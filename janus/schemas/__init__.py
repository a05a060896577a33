"""msgspec Structs for request and response bodies, one module per domain.

Request Structs forbid unknown fields, so a typo is a 422 rather than a
silently ignored value. PATCH bodies use ``UNSET`` to tell "absent" from null.
"""
