"""Synthetic rows for ``python -m janus.seeds --generate`` (see janus.seeds.generate).

Each factory yields batches of tuples in the order of its ``COLUMNS`` entry,
with values ready for the DB-API driver: ints, strings, naive-UTC datetimes
and JSON already encoded as compact text. Nothing here touches the database:
the ids rows refer to (users, images) are handed in.

Timestamps come from a ``Timeline``: ascending within one run (ids and times
grow together, as in an append-only table), over the last ``days`` days, with
a daily rhythm, quieter weekends, activity growing towards today and ~3% of
rows sharing the previous row's exact timestamp (so keyset pagination on
``(timestamp, id)`` meets ties).
"""
from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

import msgspec

# One shared argon2id hash (argon2-cffi defaults: m=65536, t=3, p=4) of the
# password "janus-generated": generated users can log in, and nothing is
# hashed per row. tests/test_generate.py checks that it verifies.
GENERATED_PASSWORD = "janus-generated"
GENERATED_PASSWORD_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$L2NlkuFyfchcHdYd/8K1uA"
                           "$/f+dJRtBPpllDQWL/idcRs9TuM/NjQnSL+tKDwsljDw")

COLUMNS = {
    "users": ("email", "username", "password_hash", "role", "is_active", "created_at",
              "updated_at", "last_login_at"),
    "admins": ("user_id", "admin_level", "granted_by_id", "created_at"),
    "images": ("owner_id", "filename", "format", "width", "height", "color_type", "bit_depth",
               "compression_method", "file_size", "sha256", "storage_key", "image_metadata",
               "phash", "created_at", "updated_at"),
    "analytics": ("research_topic", "data", "image_id", "user_id", "created_at", "updated_at"),
    "logs": ("user_id", "action", "module", "level", "timestamp", "log_metadata"),
    "security": ("user_id", "action", "account", "ip", "user_agent", "timestamp",
                 "security_metadata"),
}

_encode = msgspec.json.Encoder().encode


def dumps(value) -> str:
    return _encode(value).decode()


def signed64(value: int) -> int:
    """An unsigned 64-bit value as the signed BIGINT janus.imaging.phash_to_int stores."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _weighted(pairs):
    """(values, cumulative weights) for random.choices."""
    values = [value for value, _ in pairs]
    return values, list(itertools.accumulate(weight for _, weight in pairs))


# -- time ---------------------------------------------------------------------
# Relative activity per hour of the day (UTC), lowest at night.
_HOURLY = (0.25, 0.18, 0.14, 0.12, 0.12, 0.16, 0.3, 0.55, 0.8, 0.95, 1.0, 1.0,
           0.95, 1.0, 1.0, 0.98, 0.92, 0.85, 0.75, 0.7, 0.65, 0.6, 0.5, 0.35)


class Timeline:
    """``count`` ascending timestamps over the ``days`` days before ``now``,
    handed out batch by batch with ``take(k)``."""

    def __init__(self, rng: random.Random, now: datetime, days: float, count: int):
        self.rng, self.count, self.done = rng, max(count, 1), 0
        hours = max(1, int(days * 24))
        self.start = now - timedelta(hours=hours)
        weights = []
        for i in range(hours):
            moment = self.start + timedelta(hours=i)
            weekend = 0.6 if moment.weekday() >= 5 else 1.0
            weights.append(_HOURLY[moment.hour] * weekend * (0.6 + 0.4 * i / hours))
        self.weights = weights
        self.cumulative = list(itertools.accumulate(weights))
        self.previous: datetime | None = None

    def take(self, k: int) -> list[datetime]:
        rng, total = self.rng, self.cumulative[-1]
        lo, hi = self.done / self.count, min(1.0, (self.done + k) / self.count)
        self.done += k
        random, span = rng.random, hi - lo
        cumulative, weights, start = self.cumulative, self.weights, self.start
        last = len(cumulative) - 1
        out = []
        previous = self.previous
        i = 0
        for u in sorted([lo + span * random() for _ in range(k)]):
            if previous is not None and random() < 0.03:
                out.append(previous)  # a burst: same instant as the row before
                continue
            x = u * total
            while i < last and cumulative[i] < x:  # u ascends: walk, no search
                i += 1
            before = cumulative[i - 1] if i else 0.0
            hour = i + (x - before) / weights[i]
            previous = start + timedelta(microseconds=int(hour * 3_600_000_000))
            out.append(previous)
        self.previous = previous
        return out


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max(0, int((end - start).total_seconds() * 1_000_000))
    return start + timedelta(microseconds=rng.randrange(span + 1))


# -- people -------------------------------------------------------------------
FIRST_NAMES = (
    "ana", "aisha", "ben", "carlos", "chen", "dmitri", "elena", "emma", "fatima", "felix",
    "grace", "hana", "hugo", "ines", "ivan", "jonas", "julia", "kenji", "lars", "leila",
    "liam", "lucia", "mateo", "mei", "nadia", "noah", "olga", "omar", "paula", "pedro",
    "priya", "quentin", "rosa", "sami", "sofia", "tariq", "una", "victor", "wei", "yara",
    "yusuf", "zoe",
)
LAST_NAMES = (
    "abbott", "bauer", "costa", "dubois", "eriksen", "fischer", "garcia", "haddad", "ito",
    "jensen", "kowalski", "lindqvist", "moreau", "nakamura", "okafor", "novak", "petrov",
    "quinn", "raman", "rossi", "silva", "tanaka", "ueda", "varga", "weber", "xu", "yilmaz",
    "zhang", "murphy", "nguyen", "schmidt", "kim", "oconnor", "alvarez", "hughes",
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com",
                 "lab.example.org")


def users(rng: random.Random, now: datetime, count: int, first_number: int, batch: int):
    """Users numbered from ``first_number`` (unique emails and usernames as
    long as the numbers are new: the caller starts above every users.id)."""
    timeline = Timeline(rng, now, 180, count)
    made = 0
    while made < count:
        k = min(batch, count - made)
        rows = []
        for n, created in enumerate(timeline.take(k), start=first_number + made):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{n}@{rng.choice(EMAIL_DOMAINS)}"
            username = f"{first}{last[:1]}{n}" if n % 3 else f"{first}_{last}{n}"
            last_login = None
            if rng.random() < 0.9:  # one in ten never came back
                last_login = max(created, now - timedelta(seconds=rng.expovariate(1 / 432000)))
            rows.append((email, username, GENERATED_PASSWORD_HASH, "user",
                         rng.random() < 0.97, created, last_login or created, last_login))
        made += k
        yield rows


def admins(rng: random.Random, now: datetime, user_ids: list[int], granted_by: int | None,
           batch: int):
    """Admin rows for ``user_ids`` (users without one): mostly moderators."""
    made = 0
    for start in range(0, len(user_ids), batch):
        rows = []
        for uid in user_ids[start:start + batch]:
            level = "superadmin" if (granted_by is None and made == 0) or rng.random() < 0.1 \
                else "moderator"
            rows.append((uid, level, granted_by,
                         _between(rng, now - timedelta(days=90), now)))
            made += 1
        yield rows


class Picker:
    """Ids to refer to, drawn with a skew: a few "power users" own most rows."""

    def __init__(self, rng: random.Random, ids, skew: float = 2.0):
        self.ids = list(ids)
        rng.shuffle(self.ids)  # which ids are the busy ones is random
        self.rng, self.skew, self.n = rng, skew, len(self.ids)

    def __bool__(self) -> bool:
        return self.n > 0

    def index(self) -> int:
        return int(self.n * self.rng.random() ** self.skew)

    def pick(self):
        return self.ids[int(self.n * self.rng.random() ** self.skew)]


# -- images -------------------------------------------------------------------
# format: weight, [(mode, weight)], compression, bytes per pixel (median)
_FORMATS = {
    "JPEG": (55, [("RGB", 92), ("L", 6), ("CMYK", 2)], "jpeg", 0.28),
    "PNG": (28, [("RGBA", 45), ("RGB", 33), ("P", 12), ("L", 6), ("I;16", 4)], "deflate", 1.1),
    "WEBP": (11, [("RGB", 70), ("RGBA", 30)], None, 0.12),
    "GIF": (4, [("P", 100)], "lzw", 0.45),
    "TIFF": (2, [("RGB", 60), ("I;16", 20), ("L", 10), ("CMYK", 10)], None, 2.2),
}
_FORMAT_CHOICE = _weighted([(name, spec[0]) for name, spec in _FORMATS.items()])
_MODE_CHOICE = {name: _weighted(spec[1]) for name, spec in _FORMATS.items()}
_BIT_DEPTH = {"RGB": 8, "RGBA": 8, "L": 8, "P": 8, "CMYK": 8, "I;16": 16}
_PHOTO_SIZES = ((4032, 3024), (3024, 4032), (4000, 3000), (6000, 4000), (4000, 6000),
                (1920, 1080), (2048, 1536), (1600, 1200), (1080, 1350), (1080, 1080))
_SCREEN_SIZES = ((1920, 1080), (2560, 1440), (1440, 900), (2880, 1800), (1170, 2532),
                 (1284, 2778), (1366, 768), (800, 600), (512, 512), (256, 256))
_CAMERAS = (
    ("Apple", "iPhone 15 Pro", "iPhone 15 Pro back triple camera 6.86mm f/1.78", 1.78, 6.86),
    ("Apple", "iPhone 13", "iPhone 13 back dual wide camera 5.1mm f/1.6", 1.6, 5.1),
    ("Google", "Pixel 8", None, 1.68, 6.9),
    ("samsung", "SM-S918B", None, 1.7, 6.3),
    ("Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM", 4.0, 50.0),
    ("SONY", "ILCE-7M4", "FE 24-70mm F2.8 GM II", 2.8, 35.0),
    ("NIKON CORPORATION", "NIKON Z 6_2", "NIKKOR Z 24-120mm f/4 S", 4.0, 70.0),
    ("FUJIFILM", "X-T5", "XF16-80mmF4 R OIS WR", 5.6, 23.0),
)
_SOFTWARE = ("Adobe Photoshop 25.9 (Macintosh)", "GIMP 2.10.38", "Figma", "Affinity Photo 2.5",
             "Snipping Tool", "macOS 15.1 Screenshot", "darktable 4.8.1", None)
_WORDS = ("holiday", "invoice", "diagram", "banner", "avatar", "receipt", "whiteboard",
          "poster", "mockup", "sunset", "kitchen", "garden", "team", "product", "scan",
          "map", "chart", "logo", "menu", "ticket")


def _filename(rng: random.Random, fmt: str, n: int, created: datetime) -> str:
    if fmt == "JPEG":
        roll = rng.random()
        if roll < 0.45:
            return f"IMG_{rng.randrange(10000):04d}.JPG" if roll < 0.2 else \
                f"IMG_{created:%Y%m%d}_{rng.randrange(240000):06d}.jpg"
        if roll < 0.65:
            return f"PXL_{created:%Y%m%d_%H%M%S}{rng.randrange(1000):03d}.jpg"
        if roll < 0.8:
            return f"DSC{rng.randrange(100000):05d}.JPG"
        return f"{rng.choice(_WORDS)}-{n % 1000}.jpg"
    if fmt == "PNG":
        if rng.random() < 0.5:
            return f"Screenshot {created:%Y-%m-%d at %H.%M.%S}.png"
        return f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{n % 100}.png"
    if fmt == "WEBP":
        return f"{rng.choice(_WORDS)}_{rng.randrange(1, 5000)}.webp"
    if fmt == "GIF":
        return f"{rng.choice(_WORDS)}-{rng.choice(('loop', 'anim', 'reaction', 'icon'))}.gif"
    return f"scan_{rng.randrange(10000):04d}.tif"


def _image_metadata(rng: random.Random, fmt: str, mode: str, created: datetime) -> dict:
    photo = fmt == "JPEG" and mode != "L" and rng.random() < 0.8
    dpi = 72 if photo or rng.random() < 0.6 else rng.choice((96, 144, 150, 300))
    exif: dict = {}
    if photo:
        make, model, lens, aperture, focal = rng.choice(_CAMERAS)
        taken = created - timedelta(seconds=rng.expovariate(1 / 86400))
        exif = {"Make": make, "Model": model, "Orientation": rng.choice((1, 1, 1, 6, 8, 3)),
                "DateTimeOriginal": taken.replace(microsecond=0).isoformat(),
                "ExposureTime": round(1 / rng.choice((30, 60, 125, 250, 500, 1000, 2000)), 6),
                "FNumber": aperture, "FocalLength": focal,
                "ISO": rng.choice((50, 64, 100, 200, 400, 800, 1600, 3200))}
        if lens:
            exif["LensModel"] = lens
    elif (software := rng.choice(_SOFTWARE)) is not None:
        exif = {"Software": software}
    frames = rng.choice((2, 8, 12, 24, 36, 60)) if fmt == "GIF" and rng.random() < 0.6 else 1
    meta = {"dpi": [dpi, dpi], "exif": exif, "animated": frames > 1, "frames": frames,
            "has_alpha": mode == "RGBA" or (mode == "P" and rng.random() < 0.3),
            "icc_profile": photo or rng.random() < 0.2}
    if fmt == "JPEG":
        meta["progressive"] = rng.random() < 0.15
    if fmt == "PNG":
        meta["stored_bit_depth"] = 16 if mode == "I;16" or rng.random() < 0.03 else 8
    return meta


def images(rng: random.Random, now: datetime, owners: Picker, count: int, batch: int,
           near_duplicates: float = 0.02):
    """Metadata-only image records (storage_key NULL) with random 64-bit
    perceptual hashes; ``near_duplicates`` of them lie 0..6 bits from an
    earlier image of this run (half of those with the same owner)."""
    timeline = Timeline(rng, now, 90, count)
    recent: list[tuple[int, int]] = []  # (owner, unsigned phash) of this run
    made = 0
    while made < count:
        k = min(batch, count - made)
        rows = []
        formats = rng.choices(_FORMAT_CHOICE[0], cum_weights=_FORMAT_CHOICE[1], k=k)
        for n, (fmt, created) in enumerate(zip(formats, timeline.take(k), strict=True), start=made):
            owner = owners.pick()
            modes, cum = _MODE_CHOICE[fmt]
            mode = rng.choices(modes, cum_weights=cum)[0]
            photo_like = fmt in ("JPEG", "TIFF") or (fmt == "WEBP" and rng.random() < 0.5)
            width, height = rng.choice(_PHOTO_SIZES if photo_like else _SCREEN_SIZES)
            if rng.random() < 0.3:  # resized or cropped
                scale = rng.uniform(0.25, 0.9)
                width, height = max(16, int(width * scale)), max(16, int(height * scale))
            per_pixel = _FORMATS[fmt][3] * (2 if _BIT_DEPTH[mode] == 16 else 1)
            size = max(512, int(width * height * per_pixel * rng.lognormvariate(0, 0.45)))
            compression = _FORMATS[fmt][2]
            if fmt == "WEBP":
                compression = "vp8l" if mode == "RGBA" and rng.random() < 0.5 else "vp8"
            elif fmt == "TIFF":
                compression = rng.choice(("raw", "tiff_lzw", "tiff_adobe_deflate"))
            if recent and rng.random() < near_duplicates:
                base_owner, phash = rng.choice(recent)
                for bit in rng.sample(range(64), rng.randint(0, 6)):
                    phash ^= 1 << bit
                if rng.random() < 0.5:
                    owner = base_owner
            else:
                phash = rng.getrandbits(64)
            if len(recent) < 4096:
                recent.append((owner, phash))
            else:
                recent[rng.randrange(4096)] = (owner, phash)
            updated = created if rng.random() < 0.8 else _between(rng, created, now)
            rows.append((owner, _filename(rng, fmt, n, created), fmt, width, height, mode,
                         _BIT_DEPTH[mode], compression, size, f"{rng.getrandbits(256):064x}",
                         None, dumps(_image_metadata(rng, fmt, mode, created)),
                         signed64(phash), created, updated))
        made += k
        yield rows


# -- analytics ----------------------------------------------------------------
def _hex_colour(rng: random.Random) -> str:
    return f"#{rng.getrandbits(24):06X}"


def _analytics_data(rng: random.Random, topic: str) -> dict:
    if topic == "contrast_ratio":
        pairs = []
        for _ in range(rng.randint(1, 4)):
            ratio = round(rng.uniform(1.2, 21.0), 1)
            pairs.append({"foreground": _hex_colour(rng), "background": _hex_colour(rng),
                          "ratio": ratio, "passes": {"AA_normal": ratio >= 4.5,
                                                     "AA_large": ratio >= 3.0,
                                                     "AAA_normal": ratio >= 7.0}})
        worst = min(p["ratio"] for p in pairs)
        level = "AAA" if worst >= 7 else "AA" if worst >= 4.5 else \
            "AA-large" if worst >= 3 else "fail"
        return {"standard": "WCAG 2.2", "pairs": pairs,
                "summary": {"worst_ratio": worst, "level": level}}
    if topic == "palette_extraction":
        k = rng.randint(3, 8)
        shares = [rng.random() for _ in range(k)]
        total = sum(shares)
        return {"method": "kmeans", "k": k,
                "colours": [{"hex": _hex_colour(rng), "share": round(s / total, 3)}
                            for s in shares]}
    if topic == "alt_text_coverage":
        total = rng.randint(1, 400)
        with_alt = rng.randint(0, total)
        return {"images": total, "with_alt_text": with_alt,
                "coverage": round(with_alt / total, 3)}
    if topic == "processing_latency":
        return {"stage": rng.choice(("decode", "phash", "thumbnail", "exif", "store")),
                "ms": round(rng.lognormvariate(3, 0.8), 2),
                "worker": f"gunicorn-{rng.randint(1, 8)}"}
    if topic == "upload_volume":
        count = rng.randint(0, 5000)
        return {"uploads": count, "bytes": count * rng.randint(50_000, 3_000_000),
                "window": "1d"}
    if topic == "moderation_review":
        return {"decision": rng.choice(("approved", "approved", "approved", "flagged",
                                        "removed")),
                "flags": rng.sample(["nsfw", "violence", "spam", "copyright", "pii"],
                                    rng.randint(0, 2)),
                "reviewer_confidence": round(rng.random(), 2)}
    if topic == "dynamic_range":
        low = rng.randint(0, 40)
        return {"min_luma": low, "max_luma": rng.randint(200, 255),
                "stops": round(rng.uniform(5, 14), 1), "clipped_highlights": rng.random() < 0.2}
    if topic == "colour_vision_simulation":
        return {"simulation": rng.choice(("protanopia", "deuteranopia", "tritanopia",
                                          "achromatopsia")),
                "min_delta_e": round(rng.uniform(0.5, 40), 1),
                "confusable_pairs": rng.randint(0, 6)}
    if topic == "focus_indicator_visibility":
        return {"indicator_px": rng.randint(0, 4), "contrast": round(rng.uniform(1, 12), 1),
                "visible": rng.random() < 0.8}
    return {"cells_detected": rng.randint(0, 800),  # braille_recognition
            "confidence": round(rng.uniform(0.4, 0.99), 2),
            "grade": rng.choice((1, 2))}


_TOPICS = _weighted([("contrast_ratio", 22), ("palette_extraction", 18),
                     ("processing_latency", 16), ("alt_text_coverage", 10),
                     ("upload_volume", 8), ("moderation_review", 8), ("dynamic_range", 7),
                     ("colour_vision_simulation", 6), ("focus_indicator_visibility", 3),
                     ("braille_recognition", 2)])


def analytics(rng: random.Random, now: datetime, users_: Picker, image_ids: list[int],
              image_owners: list[int], count: int, batch: int):
    """Analytics rows; ~70% about an image (then mostly by its owner)."""
    timeline = Timeline(rng, now, 90, count)
    made = 0
    while made < count:
        k = min(batch, count - made)
        rows = []
        topics = rng.choices(_TOPICS[0], cum_weights=_TOPICS[1], k=k)
        for topic, created in zip(topics, timeline.take(k), strict=True):
            image = user = None
            if image_ids and rng.random() < 0.7:
                i = rng.randrange(len(image_ids))
                image = image_ids[i]
                user = image_owners[i] if rng.random() < 0.85 else users_.pick()
            elif rng.random() < 0.9:
                user = users_.pick()
            updated = created if rng.random() < 0.85 else _between(rng, created, now)
            rows.append((topic, dumps(_analytics_data(rng, topic)), image, user, created,
                         updated))
        made += k
        yield rows


# -- logs ---------------------------------------------------------------------
_ACTIONS = _weighted([
    ("image.uploaded", 22), ("image.analysed", 14), ("analytics.created", 12),
    ("image.updated", 8), ("user.updated", 4), ("analytics.updated", 4),
    ("image.deleted", 3), ("user.registered", 3), ("image.created", 2),
    ("analytics.deleted", 1), ("user.password_changed", 1), ("security_event.reported", 0.5),
    ("user.created", 0.5), ("user.deleted", 0.3), ("admin.granted", 0.1),
    ("admin.revoked", 0.05),
])
_LEVELS = _weighted([("info", 88), ("debug", 6), ("warning", 4.5), ("error", 1.3),
                     ("critical", 0.2)])


_MODULES = {action: action.split(".", 1)[0] for action in _ACTIONS[0]}
_CHANGED = frozenset(("image.updated", "image.analysed", "analytics.updated", "user.updated",
                      "user.password_changed", "admin.granted"))


def _changes(rng: random.Random, action: str) -> dict | None:
    if action == "image.updated":
        return {"filename": f"{rng.choice(_WORDS)}-{rng.randrange(100)}.jpg"}
    if action == "image.analysed":
        return {"research_topic": rng.choice(_TOPICS[0])}
    if action == "analytics.updated":
        return {"data": {"reviewed": True}}
    if action == "user.updated":
        return rng.choice(({"is_active": False}, {"is_active": True},
                           {"username": f"{rng.choice(FIRST_NAMES)}{rng.randrange(1000)}"}))
    if action == "user.password_changed":
        return {"password": "changed", "revoked_tokens": rng.randint(0, 3)}
    if action == "admin.granted":
        return {"admin_level": rng.choice(("moderator", "superadmin"))}
    return None


def logs(rng: random.Random, now: datetime, users_: Picker, max_object_id: int, count: int,
         batch: int):
    """Audit rows like janus.audit.record_change writes: ``<module>.<verb>``
    actions, ``{"object_type", "object_id", "changes"?}`` metadata plus a
    request id; ~4% without a user (system jobs, deleted accounts)."""
    timeline = Timeline(rng, now, 90, count)
    made = 0
    top = max(1, max_object_id)
    while made < count:
        k = min(batch, count - made)
        rows = []
        actions = rng.choices(_ACTIONS[0], cum_weights=_ACTIONS[1], k=k)
        levels = rng.choices(_LEVELS[0], cum_weights=_LEVELS[1], k=k)
        random, bits, pick = rng.random, rng.getrandbits, users_.pick
        for action, level, when in zip(actions, levels, timeline.take(k), strict=True):
            module = _MODULES[action]
            meta = {"object_type": module, "object_id": 1 + int(random() * top),
                    "request_id": f"{bits(64):016x}"}
            if action in _CHANGED:
                meta["changes"] = _changes(rng, action)
            user = pick() if random() < 0.96 else None
            rows.append((user, action, module, level, when, dumps(meta)))
        made += k
        yield rows


# -- security events ----------------------------------------------------------
_SECURITY = _weighted([("login_success", 55), ("login_failed", 24), ("logout", 14),
                       ("login_locked", 2.5), ("password_changed", 2),
                       ("password_change_failed", 1), ("lockout", 0.5)])
_BROWSERS = _weighted([
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Safari/605.1.15", 15),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 14),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", 8),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", 8),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", 12),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 8),
    ("janus-cli/1.4 python-requests/2.32.3", 5),
])
_ATTACK_AGENTS = ("python-requests/2.32.3", "curl/8.5.0", "Go-http-client/1.1",
                  "Mozilla/5.0 (compatible; Hydra)", None)
_GUESSED_ACCOUNTS = ("admin", "root", "administrator", "test", "user", "guest", "support",
                     "admin@example.com", "info@example.com", "test@example.com", "oracle",
                     "postgres", "demo")


def _ipv4(value: int) -> str:
    # Spread over 11.0.0.0 - 222.255.255.255; private and loopback look no different here.
    value = value % (212 << 24) + (11 << 24)
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def _ip_for(rng: random.Random, uid: int) -> str:
    """Mostly a user's own one or two addresses; sometimes a roaming one."""
    roll = rng.random()
    if roll < 0.8:
        home = (uid * 2654435761 + (roll < 0.55)) & 0xFFFFFFFF
        if uid % 7 == 0:
            return f"2001:db8:{home >> 16:x}:{home & 0xFFFF:x}::{uid % 4096:x}"
        return _ipv4(home)
    return _ipv4(rng.getrandbits(32))


def security(rng: random.Random, now: datetime, accounts: list[tuple[int, str]], count: int,
             batch: int):
    """Authentication events as janus.auth writes them: ``account`` is the
    (lower-cased) login name, the user's email when it exists."""
    timeline = Timeline(rng, now, 90, count)
    picker = Picker(rng, range(len(accounts)), skew=1.6)
    attackers = [_ipv4(rng.getrandbits(32)) for _ in range(200)]
    made = 0
    while made < count:
        k = min(batch, count - made)
        rows = []
        actions = rng.choices(_SECURITY[0], cum_weights=_SECURITY[1], k=k)
        agents = rng.choices(_BROWSERS[0], cum_weights=_BROWSERS[1], k=k)
        for action, agent, when in zip(actions, agents, timeline.take(k), strict=True):
            uid, email = accounts[picker.pick()]
            meta: dict = {}
            if action == "login_failed":
                roll = rng.random()
                if roll < 0.35:  # someone guessing
                    guess = rng.choice(_GUESSED_ACCOUNTS)
                    rows.append((None, action, guess, rng.choice(attackers),
                                 rng.choice(_ATTACK_AGENTS), when,
                                 dumps({"reason": "unknown_account"})))
                    continue
                meta["reason"] = "wrong_password" if roll < 0.95 else "inactive"
            elif action == "login_locked":
                meta["retry_after"] = rng.randint(1, 900)
            elif action == "lockout":
                meta["window_seconds"] = 900
            elif action == "password_changed":
                meta["revoked_tokens"] = rng.randint(0, 3)
            elif action == "login_success" and rng.random() < 0.01:
                meta["rehashed"] = True
            rows.append((uid, action, email, _ip_for(rng, uid), agent, when, dumps(meta)))
        made += k
        yield rows
