"""The audit row of an export of the audit trail or the security events:
who exported which list, with which filters, in which format. Written when
the export starts (once its first batch is read), so an export cut short is
recorded too; how many rows went out is logged when it ends."""
from __future__ import annotations

import msgspec

from janus.access import Actor
from janus.db import database
from janus.repos.logs import logs


def record_export(actor: Actor, list_name: str, module: str, query) -> None:
    """One ``<module>.exported`` row: the list, the format and the filters
    given (``query``: the export's query Struct; unset filters and the
    default sort left out)."""
    defaults = {f.encode_name: f.default for f in msgspec.structs.fields(query)}
    given = {name: value for name, value in msgspec.to_builtins(query).items()
             if value is not None and name != "format" and value != defaults.get(name)}
    metadata = {"list": list_name, "format": query.output, "filters": given}
    with database.atomic():
        logs.record(f"{module}.exported", module, user=actor.user, metadata=metadata)
