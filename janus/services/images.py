"""Images: uploads, metadata-only records, changes, deletion, pixel analysis
and near-duplicates, each write in one transaction with its audit row.

The HTTP route and the seed loader both upload through ``upload``, so demo
images get exactly the metadata a real upload would. Files are shared by
content: one stored file may back several owners' rows, and it is removed
only when the last row that uses it is gone (``release``, after the commit).
Uploads and releases of one key are serialised by its lock: the order is in
janus.services.files. A client's file name is checked here, once on each way
in (upload, record, PATCH; the seed loader comes through the first two).
"""
from __future__ import annotations

import logging
from datetime import datetime

import msgspec
import peewee as pw

from janus import metrics
from janus.access import Actor, changeable_row, visible, visible_row
from janus.audit import record_change
from janus.db import database
from janus.errors import Conflict, NotFound
from janus.imaging import analyse, inspect_image, phash_to_int, safe_filename
from janus.imaging.analysis import ANALYSIS_VERSION
from janus.lists.images import IMAGES, ImageQuery
from janus.models import Analytics, Image, User
from janus.repos.analytics import analytics, keep_result, stored_result
from janus.repos.base import Page
from janus.repos.images import images
from janus.schemas.common import provided
from janus.schemas.images import TECHNICAL_FIELDS, ImageCreateIn, ImagePatchIn
from janus.services import dated
from janus.services.files import key_lock, release_or_leave
from janus.similarity import similar
from janus.storage import Store

ANALYSIS_TOPIC = "image_analysis"
log = logging.getLogger("janus.files")


def _with_owners():
    """Images with their owner's id and username loaded in the same query."""
    return Image.select(Image, User.id, User.username).join(User, on=(Image.owner == User.id))


def visible_image(actor: Actor, image_id: int, *, with_owner: bool = False) -> Image:
    if with_owner:
        return images.get_by_id(image_id, visible(_with_owners(), Image.owner, actor))
    return visible_row(images, Image.owner, actor, image_id)


def _changeable_image(actor: Actor, image_id: int) -> Image:
    return changeable_row(images, Image.owner, actor, image_id)


def stored_image(actor: Actor, image_id: int) -> Image:
    """A visible image that has an uploaded file."""
    image = visible_image(actor, image_id)
    if image.storage_key is None:
        raise NotFound(f"image {image_id} is a metadata-only record without a file")
    return image


def list_images(actor: Actor, q: ImageQuery) -> Page:
    """A keyset page of the visible images matching ``q``, each row's
    ``owner`` (id and username) in the same query: the console's gallery.
    GET /images runs the same declaration compiled (janus.lists.reads)."""
    query = IMAGES.narrow(IMAGES.visible(_with_owners(), actor), IMAGES.given(q),
                          q.since, q.until)
    return IMAGES.page(query, q)


def upload(actor: Actor, data: bytes, filename: str, store: Store, max_pixels: int, *,
           at: datetime | None = None) -> Image:
    """Store an uploaded file for ``actor``; raises typed errors for bad bytes,
    a bad filename (422), too many pixels (413), an unsupported format (415),
    bytes this owner already uploaded (409, with the existing id) and a full
    store (507) and an unreachable store (503).
    ``at``: when, if not now (the seed loader's times).

    Order: stage the bytes (before any lock: a temp file beside their final
    name, or the object PUT at its key in a bucket), then in one transaction
    holding the key's lock insert the row and its audit row, make sure the
    object is at its key (``place``: a rename, or a HEAD and a PUT if it went),
    and commit. A ``release`` of the same key (another owner's delete) runs
    wholly before (``place`` puts the object back) or wholly after (it sees
    this row), so the committed row always has its object. A failure removes
    the object unless a row uses it (janus.services.files)."""
    filename = safe_filename(filename)  # before any decoding: a path on a bomb is a 422
    info = inspect_image(data, max_pixels)
    existing = images.duplicate_of(actor.id, info.sha256)
    if existing is not None:
        raise _duplicate(existing)
    # The slow part (write + fsync, or the PUT) before the lock.
    with store.stage(data) as staged:
        key = staged.key
        try:
            with key_lock(key):
                image = images.create(owner=actor.id, storage_key=key, filename=filename,
                                      **info.fields(),
                                      **dated(at, "created_at", "updated_at"))
                record_change(actor.user, "image.uploaded", "image", image.id,
                              {"filename": image.filename, "format": image.format,
                               "sha256": image.sha256, "file_size": image.file_size}, at=at)
                staged.place()
        except Exception as exc:
            staged.discard()
            release_or_leave(store, key)  # unless a row uses it; the upload's error stands
            if isinstance(exc, Conflict):
                # Lost a race with this owner's identical upload: the (owner, sha256)
                # unique index caught what the check above could not see yet.
                existing = images.duplicate_of(actor.id, info.sha256)
                if existing is not None:
                    raise _duplicate(existing) from None
            raise
    metrics.upload_stored(len(data))
    return image


def _duplicate(existing: Image) -> Conflict:
    return Conflict(f"you already uploaded this file as image {existing.id}",
                    details={"existing_id": existing.id})


def create_record(actor: Actor, body: ImageCreateIn, *, at: datetime | None = None) -> Image:
    """A metadata-only record: the client describes an image it keeps itself."""
    with database.atomic():
        fields = msgspec.structs.asdict(body)
        fields["filename"] = safe_filename(body.filename)
        image = images.create(owner=actor.id, **fields, **dated(at, "created_at", "updated_at"))
        record_change(actor.user, "image.created", "image", image.id,
                      {"filename": image.filename, "format": image.format}, at=at)
    return image


def update_image(actor: Actor, image_id: int, body: ImagePatchIn) -> Image:
    fields = provided(body)
    with database.atomic():
        image = _changeable_image(actor, image_id)  # 404 / 403 before a 422
        if "filename" in fields:
            fields["filename"] = safe_filename(fields["filename"])
        # An upload's technical fields come from its bytes, never from a client.
        technical = sorted(set(fields) & set(TECHNICAL_FIELDS))
        if technical and image.storage_key is not None:
            raise Conflict("these fields come from the uploaded file and cannot be changed",
                           details={"fields": technical})
        changes = images.update_with_changes(image, fields)
        if changes:
            record_change(actor.user, "image.updated", "image", image.id, changes)
    return image


def delete_image(actor: Actor, image_id: int, store: Store) -> None:
    with database.atomic():
        image = _changeable_image(actor, image_id)
        record_change(actor.user, "image.deleted", "image", image.id,
                      {"filename": image.filename})
        images.delete(image)
    # After the commit: the file goes when no other row uses it.
    release_or_leave(store, image.storage_key)


def analyse_image(actor: Actor, image_id: int, k: int, store: Store,
                  max_pixels: int) -> Analytics:
    """Analyse the pixels and keep the result as an analytics row owned by the actor.

    The values derive from the bytes and ``k`` alone, and the caller holds
    those bytes: when the service already computed them for the same SHA-256
    (whoever's image it was) they are copied, without reading or decoding
    the file. Only the service's own results are copied, never a client's
    analytics row (anyone may post one with this topic)."""
    image = visible_image(actor, image_id)
    if image.storage_key is None:
        raise Conflict(f"image {image_id} has no uploaded file to analyse")
    result = stored_result(image.sha256, k, ANALYSIS_VERSION)
    computed = result is None
    if computed:
        result = analyse(store.read(image.storage_key), k, max_pixels)  # NotFound if it went
    with database.atomic():
        if computed:
            keep_result(image.sha256, k, ANALYSIS_VERSION, result)
        row = analytics.create(research_topic=ANALYSIS_TOPIC, data=result, image=image.id,
                               user=actor.id)
        if image.phash is None:
            images.update(image, phash=phash_to_int(result["phash"]))
        record_change(actor.user, "image.analysed", "analytics", row.id,
                      {"image_id": image.id, "k": k})
    return row


def latest_analysis(actor: Actor, image: Image) -> Analytics | None:
    """The newest analysis of a visible ``image`` that ``actor`` may read, or
    None; its ``user`` (who ran it, if still there) comes in the same query."""
    query = (Analytics.select(Analytics, User.id, User.username)
             .join(User, pw.JOIN.LEFT_OUTER, on=(Analytics.user == User.id)))
    query = visible(query, Analytics.user, actor)
    query = analytics.by_image(image.id, analytics.by_topic(ANALYSIS_TOPIC, query))
    return query.order_by(Analytics.created_at.desc(), Analytics.id.desc()).first()


def similar_images(actor: Actor, image_id: int, max_distance: int, limit: int):
    """[(image, distance)] of the actor's visible near-duplicates, nearest first."""
    image = visible_image(actor, image_id)
    return similar(image, visible(images.select(), Image.owner, actor), max_distance, limit)


def keys_of_owner(owner_id: int) -> list[str]:
    """Storage keys of an owner's images, to release after deleting the owner."""
    query = (Image.select(Image.storage_key).distinct()
             .where((Image.owner == owner_id) & Image.storage_key.is_null(False)))
    return [key for (key,) in query.tuples()]
