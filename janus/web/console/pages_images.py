"""The images pages: GET /console/images (the gallery: filters, keyset pages),
GET /console/images/<id> (the original, metadata, EXIF, latest analysis,
near-duplicates), and the superadmin's actions on it: POST .../analysis and
POST .../delete, through the same services as the API (same audit rows).

Pictures come from janus.web.console.image_files; the pages themselves
never open a file.
"""
from __future__ import annotations

from datetime import date, timedelta

from janus.errors import Conflict, NotFound, ServiceUnavailable, TooManyRequests, ValidationError
from janus.imaging import ALLOWED_FORMATS
from janus.imaging.analysis import MAX_K
from janus.lists.images import IMAGES, ImageQuery
from janus.repos.users import users
from janus.schemas.images import AnalysisQuery
from janus.schemas.validation import convert
from janus.services import images
from janus.web.console import charts, image_view, session
from janus.web.console.filters import declared_form
from janus.web.console.inputs import form_text, texts
from janus.web.console.pages_dashboard import Figure
from janus.web.console.registry import see_other
from janus.web.console.render import render, url

PAGE_SIZES = (24, 48, 96)
GALLERY_THUMB = 256
NEAR_DISTANCE, NEAR_LIMIT = 10, 12
DEFAULT_K = 5
# Formats a browser shows in an <img>; the others (TIFF) get a thumbnail.
INLINE_FORMATS = ("BMP", "GIF", "JPEG", "PNG", "WEBP")
# The declared filters with a label (janus.lists.images) are the form's
# inputs (janus.web.console.filters); owner (a name or an id) and the dates
# (days) have inputs of their own.
DECLARED = tuple(f.name for f in IMAGES.form())
FILTERS = ("owner", *DECLARED, "since", "until", "limit")
FILTER_LABELS = {"owner_id": "Owner", **{f.name: f.label for f in IMAGES.form()},
                 "since": "Uploaded from", "until": "Uploaded until", "limit": "Per page",
                 "cursor": "Page"}


def _day(text: str, path: str, after: int = 0) -> str:
    """A date field (YYYY-MM-DD) as the RFC 3339 time the query takes:
    ``after=1`` is the end of that day, so "until" includes it."""
    try:
        day = date.fromisoformat(text) + timedelta(days=after)
    except (ValueError, OverflowError):
        raise ValidationError.at(path, "must be a date, YYYY-MM-DD") from None
    return f"{day.isoformat()}T00:00:00Z"


def gallery_query(raw: dict) -> tuple[ImageQuery, str | None]:
    """The filters as the API's ImageQuery, and a message when the owner is
    unknown (then nothing matches). Raises ValidationError."""
    params, missing = {"limit": raw["limit"] or str(PAGE_SIZES[0])}, None
    for name in (*DECLARED, "cursor"):
        if raw.get(name):
            params[name] = raw[name]
    if raw["since"]:
        params["since"] = _day(raw["since"], "$.since")
    if raw["until"]:
        params["until"] = _day(raw["until"], "$.until", after=1)
    owner = raw["owner"].strip()
    if owner.isdigit():
        params["owner_id"] = owner
    elif owner:
        user = users.by_login(owner)
        if user is None:
            missing = f"There is no user {owner!r}."
        else:
            params["owner_id"] = user.id
    query = convert(params, ImageQuery)
    if query.limit not in PAGE_SIZES:
        raise ValidationError.at("$.limit", f"must be one of {', '.join(map(str, PAGE_SIZES))}")
    return query, missing


def _problems(exc: ValidationError) -> str:
    fields = [FILTER_LABELS.get(d.get("path", "").removeprefix("$."), "A filter") + ": "
              + d.get("message", "invalid") for d in exc.details or [] if isinstance(d, dict)]
    return "Check the filters. " + ("; ".join(fields) or exc.message)


def thumb_box(image, size: int = GALLERY_THUMB) -> tuple[int, int]:
    """The thumbnail's width and height (longest side ``size``, never enlarged)."""
    scale = min(1.0, size / max(image.width, image.height, 1))
    return max(1, round(image.width * scale)), max(1, round(image.height * scale))


def analysis_figures(analysis: image_view.Analysis) -> list[Figure]:
    found = []
    if analysis.colours:
        found.append(Figure(
            "palette", "Dominant colours",
            charts.palette(analysis.colours, chart_id="palette", title="Dominant colours"),
            charts.data_table("Dominant colours", ("Colour", "Share"),
                              [(charts.hex_colour(c["hex"]) or "invalid",
                                charts.percent(c["share"])) for c in analysis.colours])))
    if analysis.histogram:
        found.append(Figure(
            "histogram", "Luminance histogram",
            charts.histogram(analysis.histogram, chart_id="histogram",
                             title="Luminance histogram"),
            charts.data_table("Share of pixels by luminance (0 black, 255 white)",
                              ("Luminance", "Share"),
                              [(r, charts.percent(s)) for r, s in
                               charts.histogram_ranges(analysis.histogram)])))
    return found


def register(console) -> None:
    store, max_pixels, limits = console.store, console.config.max_image_pixels, console.limits

    @console.page("/console/images")
    def console_images(actor):
        raw = texts((*FILTERS, "cursor"))
        kept = {name: raw[name] for name in FILTERS if raw[name]}
        context = {"title": "Images", "filters": raw, "page_sizes": PAGE_SIZES,
                   **declared_form(IMAGES, {**raw, "format": raw["format"].strip().upper()},
                                   choices={"format": [(f, f) for f in ALLOWED_FORMATS]},
                                   hints={"color_type": "RGB, RGBA, L, P…"}),
                   "first_url": url("/console/images", **kept), "thumb_size": GALLERY_THUMB,
                   "thumb_box": thumb_box}
        try:
            query, missing = gallery_query(raw)
            page = None if missing else images.list_images(actor, query)
        except ValidationError as exc:
            return render("images.html", status=422, error=_problems(exc), items=[],
                          next_url=None, **context)
        if page is None:  # an owner who does not exist owns nothing
            return render("images.html", error=missing, items=[], next_url=None, **context)
        next_url = None
        if page.next_cursor:
            next_url = url("/console/images", **kept, cursor=page.next_cursor)
        return render("images.html", error=None, items=page.items, next_url=next_url,
                      **context)

    @console.page("/console/images/<image_id:int>")
    def console_image(actor, image_id):
        image = images.visible_image(actor, image_id, with_owner=True)
        row = images.latest_analysis(actor, image)
        analysis = None
        if row is not None:
            analysis = image_view.read_analysis(row, row.user.username if row.user else None)
        near, near_note = [], None
        if image.phash is None:
            near_note = "This record has no uploaded file, so no perceptual hash to compare."
        else:
            near = images.similar_images(actor, image.id, NEAR_DISTANCE, NEAR_LIMIT)
        return render("image.html", title=f"Image {image.id}", image=image,
                      exif=image_view.exif_rows(image.image_metadata),
                      facts=image_view.file_rows(image.image_metadata), analysis=analysis,
                      figures=analysis_figures(analysis) if analysis else [],
                      near=near, near_note=near_note, near_distance=NEAR_DISTANCE,
                      thumb_box=thumb_box, thumb_size=GALLERY_THUMB, max_k=MAX_K,
                      default_k=DEFAULT_K, inline_formats=INLINE_FORMATS)

    @console.action("/console/images/<image_id:int>/analysis")
    def console_image_analyse(actor, image_id):
        back = f"/console/images/{image_id}"
        try:
            limits.hit("analysis", actor.id)  # the API's rate, per user
            k = convert({"k": form_text("k") or str(DEFAULT_K)}, AnalysisQuery).k
            images.analyse_image(actor, image_id, k, store, max_pixels)
        except TooManyRequests as exc:
            session.flash(f"Too many analyses: try again in {exc.retry_after} s.", "error")
        except ServiceUnavailable:
            session.flash("The server is decoding too many images right now; try again "
                          "shortly.", "error")
        except ValidationError:
            session.flash(f"The number of colours must be a whole number from 1 to {MAX_K}.",
                          "error")
        except Conflict as exc:
            session.flash(exc.message, "error")
        except NotFound as exc:
            if "stored file" not in exc.message:
                raise  # no such image: the 404 page
            session.flash("The image's stored file is missing; nothing was analysed.", "error")
        else:
            session.flash(f"Analysed image {image_id} ({k} colours).")
        see_other(back)

    @console.action("/console/images/<image_id:int>/delete")
    def console_image_delete(actor, image_id):
        if form_text("confirm") != "yes":
            session.flash("Tick the confirmation box to delete the image.", "error")
            see_other(f"/console/images/{image_id}")
        image = images.visible_image(actor, image_id)
        images.delete_image(actor, image_id, store)
        session.flash(f"Deleted image {image_id} ({image.filename}).")
        see_other("/console/images")

