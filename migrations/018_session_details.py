"""Add what a user sees of each session (GET /auth/sessions): the address it
was last used from and the user agent it signed in with, on login tokens and
console sessions, and console sessions' last_used_at; and the ``sessions``
view, both kinds in one id space (a token's id * 2, a console session's
id * 2 - 1), which janus.models.Session reads.

Existing rows keep NULL: their address and agent were never recorded.
Rollback drops the view, then the columns.
"""

import peewee as pw
from peewee_migrate import Migrator

# The id is computed as a 64-bit integer: twice a 32-bit id overflows int4.
VIEW = """
CREATE VIEW sessions AS
SELECT 2 * CAST(id AS BIGINT) AS id, 'token' AS kind, id AS row_id, user_id, created_at,
       expires_at, revoked_at, last_used_at, last_used_ip, user_agent
  FROM auth_tokens
UNION ALL
SELECT 2 * CAST(id AS BIGINT) - 1, 'console', id, user_id, created_at,
       expires_at, revoked_at, last_used_at, last_used_ip, user_agent
  FROM console_sessions
"""


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("auth_tokens",
                        last_used_ip=pw.CharField(max_length=45, null=True),
                        user_agent=pw.CharField(max_length=512, null=True))
    migrator.add_fields("console_sessions",
                        last_used_at=pw.DateTimeField(null=True),
                        last_used_ip=pw.CharField(max_length=45, null=True),
                        user_agent=pw.CharField(max_length=512, null=True))
    migrator.sql(VIEW)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.sql("DROP VIEW sessions")
    migrator.remove_fields("console_sessions", "last_used_at", "last_used_ip", "user_agent")
    migrator.remove_fields("auth_tokens", "last_used_ip", "user_agent")
