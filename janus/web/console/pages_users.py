"""The users pages: /console/users and /console/users/<id> (phase 2)."""
from __future__ import annotations


def register(console) -> None:
    pass
