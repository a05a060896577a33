"""Admin rows, read with their user (username and email are in every answer).

Grant, change and revoke, and the last-superadmin rule, live in
``janus.services.admins``.
"""
from __future__ import annotations

import peewee as pw

from janus.models import Admin, User
from janus.repos.base import Repository


class AdminRepository(Repository):
    model = Admin

    def select(self, *fields) -> pw.ModelSelect:
        """Admin rows joined to their user; ``fields``: the columns to read
        (default: every column of both)."""
        return Admin.select(*(fields or (Admin, User))).join(User, on=(Admin.user == User.id))


admins = AdminRepository()
