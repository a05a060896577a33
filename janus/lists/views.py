"""Rows become responses in one way: each resource's ``View`` maps its
response Struct to columns once, and fills it from a row tuple (``out``: the
compiled reads, janus.lists.reads) or from a model instance (``from_model``:
the answer to a write)."""
from __future__ import annotations

from datetime import UTC, datetime
from operator import attrgetter

import peewee as pw

from janus.schemas.common import utc


def or_empty(value):
    return value or {}


def is_set(value) -> bool:
    return value is not None


class View:
    """A response Struct read from one row: a column per Struct field, in the
    Struct's order (the model's field of the same name unless ``special``
    says ``name=(column, fix)``, or ``name=(column, fix, path)`` where a model
    instance reaches a joined column by the attribute ``path``); times become
    aware UTC."""

    def __init__(self, struct, model, **special):
        self.struct, self.model = struct, model
        columns, fixes, readers = [], [], []
        for name in struct.__struct_fields__:
            column, fix, *path = special.get(name) or (getattr(model, name), None)
            if fix is None and isinstance(column, pw.DateTimeField):
                fix = utc
            # A special column of the model itself is read by its own name
            # (storage_key for has_file); any other by the Struct's.
            own = name in special and column.model is model
            readers.append(attrgetter(path[0] if path else column.name if own else name))
            columns.append(column)
            fixes.append(fix)
        self.columns = tuple(columns)
        self.fixes = tuple((i, fix) for i, fix in enumerate(fixes) if fix is not None)
        # ``utc`` inlined in ``out_all`` (a list page has two times per row):
        # the other fixes stay calls.
        self._times = tuple(i for i, fix in self.fixes if fix is utc)
        self._others = tuple((i, fix) for i, fix in self.fixes if fix is not utc)
        self.readers = tuple(zip(struct.__struct_fields__, readers, fixes, strict=True))

    def place(self, column: pw.Field) -> int:
        """Where ``column`` is in a row (by identity: ``==`` on peewee fields
        builds an expression); ValueError if the Struct does not show it."""
        return next(i for i, shown in enumerate(self.columns) if shown is column)

    def out(self, row: list):
        """The Struct of a row tuple read with ``columns`` (changed in place)."""
        for i, fix in self.fixes:
            row[i] = fix(row[i])
        return self.struct(*row)

    def out_all(self, rows: list) -> list:
        """``out`` of every row (changed in place): one page's Structs."""
        struct, times, others = self.struct, self._times, self._others
        combine = datetime.combine
        structs = []
        for row in rows:
            for i in times:
                value = row[i]
                if value is not None:  # utc(value), inlined
                    row[i] = combine(value, value.time(), UTC)
            for i, fix in others:
                row[i] = fix(row[i])
            structs.append(struct(*row))
        return structs

    def from_model(self, obj, **given):
        """The Struct of a model instance; ``given``: values it does not carry
        (a new account's admin level)."""
        values = []
        for name, read, fix in self.readers:
            if name in given:
                values.append(given[name])
            else:
                value = read(obj)
                values.append(value if fix is None else fix(value))
        return self.struct(*values)
