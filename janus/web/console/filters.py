"""The filter forms of the console's list pages, from each list's declaration
(janus.lists): the inputs of ``Listing.form()`` (the filters with a label),
rendered by templates/_declared_filters.html. A page adds only presentation:
the text of a choice, suggestions, placeholders."""
from __future__ import annotations

import typing

from janus.lists import Listing


def _literal(kind) -> tuple:
    """The values of a Literal type (a filter's choices), else ()."""
    return typing.get_args(kind) if typing.get_origin(kind) is typing.Literal else ()


def declared_form(listing: Listing, values: dict[str, str], *, choices: dict | None = None,
                  suggestions: dict | None = None, hints: dict | None = None) -> dict:
    """The template context of ``listing``'s filter inputs, filled with the
    sent ``values`` (text by name). A Literal filter is a select of its values
    unless ``choices`` names (value, text) pairs for it."""
    declared = listing.form()
    offered = {f.name: [(value, value) for value in _literal(f.type)]
               for f in declared if _literal(f.type)}
    return {"declared": declared, "values": values, "choices": {**offered, **(choices or {})},
            "suggestions": suggestions or {}, "hints": hints or {}}
