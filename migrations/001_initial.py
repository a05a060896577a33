"""Initial schema.

Generated with ``pw_migrate create --auto`` and then edited: the core
``pw.JSONField`` (jsonb on PostgreSQL) replaces ``pw_pext.JSONField``, and the
CHECK constraints the generator drops are written out. Every Meta sets
``legacy_table_names = False`` like ``janus.models.BaseModel``: without it
peewee names indexes after the class (``user_email``) instead of the table
(``users_email``), which is neither what the models create nor the name
peewee-migrate's ``drop_index``/``remove_fields`` look for. The generator
does not write that option: add it to every model a later migration creates.
"""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the whole schema: users, admins, tokens, images, logs, analytics, security."""

    @migrator.create_model
    class User(pw.Model):
        id = pw.AutoField()
        email = pw.CharField(max_length=254, unique=True)
        username = pw.CharField(max_length=64, unique=True)
        password_hash = pw.CharField(max_length=255)
        role = pw.CharField(default='user', max_length=16,
                            constraints=[pw.SQL("CHECK (role IN ('user', 'admin'))")])
        is_active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField(index=True)
        updated_at = pw.DateTimeField()
        last_login_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "users"
            legacy_table_names = False

    @migrator.create_model
    class Admin(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['users'], on_delete='CASCADE', unique=True)
        admin_level = pw.CharField(
            default='moderator', max_length=16,
            constraints=[pw.SQL("CHECK (admin_level IN ('moderator', 'superadmin'))")])
        granted_by = pw.ForeignKeyField(column_name='granted_by_id', field='id', model=migrator.orm['users'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "admins"
            legacy_table_names = False

    @migrator.create_model
    class Image(pw.Model):
        id = pw.AutoField()
        owner = pw.ForeignKeyField(column_name='owner_id', field='id', model=migrator.orm['users'], on_delete='CASCADE', index=False)
        filename = pw.CharField(max_length=255)
        format = pw.CharField(max_length=16)
        width = pw.IntegerField()
        height = pw.IntegerField()
        color_type = pw.CharField(max_length=16)
        bit_depth = pw.IntegerField()
        compression_method = pw.CharField(max_length=32, null=True)
        file_size = pw.BigIntegerField()
        sha256 = pw.CharField(max_length=64, null=True)
        storage_key = pw.CharField(max_length=128, null=True)
        image_metadata = pw.JSONField()
        created_at = pw.DateTimeField(index=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "images"
            legacy_table_names = False
            indexes = [(('owner', 'created_at'), False), (('owner', 'sha256'), True)]

    @migrator.create_model
    class Analytics(pw.Model):
        id = pw.AutoField()
        research_topic = pw.CharField(index=True, max_length=128)
        data = pw.JSONField()
        image = pw.ForeignKeyField(column_name='image_id', field='id', model=migrator.orm['images'], null=True, on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['users'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField(index=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "analytics"
            legacy_table_names = False

    @migrator.create_model
    class AuthToken(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['users'], on_delete='CASCADE')
        token_hash = pw.CharField(max_length=64, unique=True)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField(index=True)
        revoked_at = pw.DateTimeField(null=True)
        last_used_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "auth_tokens"
            legacy_table_names = False

    @migrator.create_model
    class Log(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['users'], null=True, on_delete='SET NULL', index=False)
        action = pw.CharField(index=True, max_length=64)
        module = pw.CharField(max_length=32)
        level = pw.CharField(default='info', max_length=16)
        timestamp = pw.DateTimeField(index=True)
        log_metadata = pw.JSONField()

        class Meta:
            table_name = "logs"
            legacy_table_names = False
            indexes = [(('user', 'timestamp'), False)]

    @migrator.create_model
    class SecurityEvent(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['users'], null=True, on_delete='SET NULL', index=False)
        action = pw.CharField(index=True, max_length=32)
        account = pw.CharField(max_length=254, null=True)
        ip = pw.CharField(max_length=45, null=True)
        user_agent = pw.CharField(max_length=512, null=True)
        timestamp = pw.DateTimeField(index=True)
        security_metadata = pw.JSONField()

        class Meta:
            table_name = "security"
            legacy_table_names = False
            indexes = [(('user', 'timestamp'), False), (('account', 'action', 'timestamp'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop every table, children first."""
    migrator.remove_model('security')
    migrator.remove_model('logs')
    migrator.remove_model('auth_tokens')
    migrator.remove_model('analytics')
    migrator.remove_model('images')
    migrator.remove_model('admins')
    migrator.remove_model('users')
