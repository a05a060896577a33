"""The bytes of an export: batches of response Structs as CSV or NDJSON.

A row is the list item's JSON (msgspec's own rendering: times in RFC 3339
with Z), one object per line in NDJSON; in CSV one cell per Struct field,
nested JSON (metadata) as its JSON text, null empty, booleans true/false.
A CSV text cell a spreadsheet would read as a formula is neutralised
(``cell``).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import msgspec

# OWASP's "CSV injection": a cell starting with one of these is a formula
# (tab and CR too: some spreadsheets strip them, then read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MEDIA = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
_encoder = msgspec.json.Encoder()


def cell(value) -> str:
    """One CSV cell, as the value reads in the JSON list."""
    kind = type(value)
    if kind is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)  # a number, even negative, is no formula
    return _encoder.encode(value).decode()  # a float, or nested JSON ({ or [) as its text


def csv_lines(struct: type, batches: Iterable[list]) -> Iterator[bytes]:
    """A header row of the Struct's field names, then one row per item."""
    names = [f.encode_name for f in msgspec.structs.fields(struct)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(names)
    for items in batches:
        # to_builtins keeps the Struct's field order: the header's.
        writer.writerows(map(cell, row.values()) for row in msgspec.to_builtins(items))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header of an empty export
        yield buffer.getvalue().encode()


def ndjson_lines(batches: Iterable[list]) -> Iterator[bytes]:
    """One JSON object per line, per item."""
    for items in batches:
        if items:
            yield _encoder.encode_lines(items)


def body(output: str, struct: type, batches: Iterable[list]) -> Iterator[bytes]:
    return csv_lines(struct, batches) if output == "csv" else ndjson_lines(batches)
