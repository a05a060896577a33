"""Backup and restore: ``python -m janus.backup create|restore``.

One archive (``janus-backup-<UTC timestamp>.tar`` or ``.tar.gz``) holds a
consistent database snapshot, the stored files its rows reference and a JSON
manifest with every member's size and SHA-256.

    common    BackupError (one line on stderr), URL helpers
    manifest  the manifest: format version, members, checksums, validation
    archive   writing, verifying, reading and pruning archives
    sqlite    online snapshot (backup API), integrity check, atomic install
    postgres  pg_dump from an exported snapshot, pg_restore | psql in one transaction
    contents  what a snapshot holds: storage keys, row counts, migrations
    files     copying the file store into an archive and back
    create    the backup procedure (and why its order is safe)
    restore   the restore procedure
    cli       the click commands
"""
