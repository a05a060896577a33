"""Demo data: ``seeds/*.json`` and the loader ``python -m janus.seeds``.

Usage::

    python -m janus.seeds [--database URL] [--only DOMAIN ...] [--if-empty] [--dir PATH]
                          [--storage-dir PATH]

It loads users, admins, images, analytics, logs and security events, in that
order, in ONE transaction into an already migrated database (``--database``,
else ``DATABASE_URL``, else the instance SQLite file). Every file is decoded
and checked first, with msgspec Structs (``janus.seeds.schema``) built on the
API's own (``janus.schemas``): unknown fields are refused and every shape and
limit is the API's. Only what seed files alone have is checked on top: argon2
hashes, relative times, natural keys, the reserved ``"seed"`` key, IP
addresses and image files. References are resolved before the first write.
Any problem prints one line on stderr naming the file and the record, e.g.
``seeds/logs.json: record 3 (key "login-7"): missing required field "action"``
(records are numbered from 1), exits with status 1 and leaves the database as
it was; image files are not part of the transaction, so the ones this run
added to the file store are deleted again after the rollback. Success prints
one line with the records added per domain.

Records are written the way real data is: through the domain services
(``janus.services``), each with the audit row (and security event) the same
change through the API writes, dated at the record's ``at``. So the ``logs``
table gains one row per user, admin, image and analytics record beyond
``logs.json``'s, and ``security`` one per admin beyond ``security.json``'s;
``logs.json`` holds only what no seeded object writes itself (client events,
changes, deletions, errors). Logs and security events are themselves audit
rows and go through their repositories' ``record()``, as the services' do.

File format: each file is a JSON array of records; numeric ids never appear.

- ``users.json``: the fields of ``UserImportIn``: ``email``, ``username``,
  ``password_hash`` (an argon2 hash:
  ``python -c "from janus.passwords import hash_password as h; print(h('pw'))"``),
  optional ``is_active``; and optional ``at``, ``last_login``. No ``role``:
  it follows ``admins.json``. Written by ``janus.services.accounts.import_user``,
  with a ``user.created`` audit row whose actor is the new user.
- ``admins.json``: ``user`` (email), ``admin_level`` (moderator|superadmin),
  optional ``granted_by`` (email), ``at``. Written by
  ``janus.services.admins.grant`` (so ``User.role`` stays in step), acting
  as ``granted_by``, else as the user themself (the bootstrap superadmin):
  an ``admin.granted`` audit row and an ``admin_granted`` security event.
- ``images.json``, two kinds of record, both written with their owner acting:

  - file-backed: ``owner`` (email), ``file`` (a path relative to the seed
    directory, e.g. ``"files/meadow-at-noon.jpg"``; absolute paths, ``..``
    and links leading out of it are refused), optional ``filename`` (default:
    the file's base name), ``at``. Stored exactly as an upload is, through
    ``janus.services.images.upload``: the file goes into the content-addressed
    store (``--storage-dir``, else ``JANUS_STORAGE_DIR``, else instance/storage),
    the row gets the metadata and perceptual hash read from the bytes, with an
    ``image.uploaded`` audit row. The technical fields of a metadata-only
    record may not be given with ``file``: the bytes are the truth. Every file
    is read and checked (``janus.imaging.inspect_image``, with the upload
    limits) before anything is written; a missing, broken or unsupported file
    is a one-line error like any other. The files in ``seeds/files/`` are made
    by ``seeds/files/generate.py`` (deterministic; run it to remake them).
  - metadata-only: ``owner`` (email), ``at``, and the fields of
    ``ImageCreateIn``: ``filename``, ``format``, ``width``, ``height``,
    ``color_type`` (Pillow mode), ``bit_depth``, ``file_size``, optional
    ``compression_method``, ``sha256``, and ``metadata`` (``image_metadata``
    in the API). Written by ``janus.services.images.create_record``
    (``image.created``). No file: ``storage_key`` is null.
- ``analytics.json``: ``key``, ``user`` (email), the fields of
  ``AnalyticsCreateIn`` but ``image_id`` (``research_topic``, ``data``, which
  must be a JSON object here), optional ``image``
  (``{"owner": email, "filename": ...}``) and ``at``. Written by
  ``janus.services.records.create_analytics`` with ``user`` acting
  (``analytics.created``), so the image must be one they may see (theirs, or
  any if they are an admin). ``user`` is required: the API only ever creates a
  record owned by its caller, so a seed cannot make an ownerless one either
  (rows lose their user only when the user is deleted).
- ``logs.json``: ``key``, ``action``, ``module``, optional ``level``,
  ``user``, ``metadata``, ``at``.
- ``security.json``: ``key``, ``action``, optional ``user``, ``account``
  (defaults to the user's email), ``ip``, ``user_agent``, ``metadata``, ``at``.

Times are relative to the moment of loading, so the demo data always looks
recent: ``"at": "-2d3h"`` (also ``d``/``h``/``m``/``s`` in any subset, in that
order) or ``"now"`` (the default).

Idempotency never depends on those times. Each record has a natural key, and a
record whose key is already in the database is skipped, never overwritten:

- users by email (lower-cased); admins by the user's email;
- images by (owner email, filename); a skipped file-backed record stores no
  file either;
- analytics, logs and security events -- append-only tables with no natural
  key of their own -- by the record's ``key`` string, unique within its file.
  It is stored in the row's JSON as ``{"seed": "<key>"}``: in ``log_metadata``,
  ``security_metadata``, and at the top level of analytics ``data``. The file
  may therefore not use a ``"seed"`` key in those objects itself.

Both a second run and ``--if-empty`` (nothing at all when the users table has
rows; the ``serve`` command uses it) are safe with several loaders at once:
the transaction takes SQLite's write lock at BEGIN, or a PostgreSQL advisory
lock, before it reads anything.

Demo accounts in ``seeds/users.json`` (the hashes are of these passwords):

=============================  ================  =========================
email                          password          role
=============================  ================  =========================
admin@janus.example            janus-superadmin  admin (superadmin)
mod@janus.example              janus-moderator   admin (moderator)
demo@janus.example             janus-demo        user
priya.raman@janus.example      janus-priya       user
tomas.novak@janus.example      janus-tomas       user
lena.fischer@janus.example     janus-lena        user, deactivated
=============================  ================  =========================
"""
from janus.seeds.cli import SEED_DIR, load, main
from janus.seeds.schema import DOMAINS, SeedError

__all__ = ["DOMAINS", "SEED_DIR", "SeedError", "load", "main"]
