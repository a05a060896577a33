"""Usernames compared in one canonical form, so lookalikes cannot sit beside
the real name: ``Admin``, Cyrillic ``аdmin`` and full-width ``ａｄｍｉｎ`` are
all ``admin``.

The form is NFKC (compatibility characters: full-width, ligatures, ...),
then case folding, then the Unicode skeleton of UTS #39 (confusables.txt:
Cyrillic ``а`` and Latin ``a``, ``rn`` and ``m``, ``1`` and ``l``), computed
by ICU's SpoofChecker (PyICU). It is a key, never shown: the username as
typed is. ``users.username_canonical`` holds it, unique.

Case is folded before the skeleton, so names differing only in case always
match; the price is that a capital ``I`` becomes ``i`` first and so no longer
matches ``l`` as UTS #39's case-sensitive skeleton would.

The skeleton follows the ICU data pinned with pyicu-wheels: after an upgrade that changes
it, ``janus-admin username-clashes`` counts the stored forms that differ
and ``janus-admin rekey-usernames`` recomputes them.
"""
from __future__ import annotations

import unicodedata

import icu

# Const methods of an ICU SpoofChecker are thread-safe: one per process.
_checker = icu.SpoofChecker()
DATA_VERSION = f"ICU {icu.ICU_VERSION}, Unicode {icu.UNICODE_VERSION}"


def canonical(username: str) -> str:
    """The form two usernames are compared in (equal forms: the same name)."""
    folded = unicodedata.normalize("NFKC", username.strip()).casefold()
    # The first argument (skeleton type) is ignored since ICU 58.
    return _checker.getSkeleton(0, folded)


def assign(rows) -> tuple[dict[int, str | None], list[tuple[int, list[int]]]]:
    """Canonical forms for ``rows`` of (id, username, stored form or None).

    A row whose stored form is still right keeps it; then the oldest row
    (lowest id) gets a form first. A later row whose form another row holds
    gets None, which it keeps until renamed: NULLs never compare equal, so
    it matches no login and never blocks the unique index. Returns ({id:
    form or None}, [(holder id, [ids left without a form])])."""
    computed = {row_id: canonical(username) for row_id, username, _ in rows}
    order = sorted(rows, key=lambda row: (computed[row[0]] != row[2], row[0]))
    forms: dict[int, str | None] = {}
    holders: dict[str, int] = {}
    clashes: dict[int, list[int]] = {}
    for row_id, _, _ in order:
        holder = holders.setdefault(computed[row_id], row_id)
        forms[row_id] = computed[row_id] if holder == row_id else None
        if holder != row_id:
            clashes.setdefault(holder, []).append(row_id)
    return forms, sorted((holder, sorted(ids)) for holder, ids in clashes.items())
