"""Metadata-only image records for janus.seeds.synthetic: formats, modes,
sizes, file names, EXIF and perceptual hashes (with planted near-duplicates)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from janus.seeds.synthetic.common import Picker, Timeline, between, dumps, signed64, weighted

# format: weight, [(mode, weight)], compression, bytes per pixel (median)
_FORMATS = {
    "JPEG": (55, [("RGB", 92), ("L", 6), ("CMYK", 2)], "jpeg", 0.28),
    "PNG": (28, [("RGBA", 45), ("RGB", 33), ("P", 12), ("L", 6), ("I;16", 4)], "deflate", 1.1),
    "WEBP": (11, [("RGB", 70), ("RGBA", 30)], None, 0.12),
    "GIF": (4, [("P", 100)], "lzw", 0.45),
    "TIFF": (2, [("RGB", 60), ("I;16", 20), ("L", 10), ("CMYK", 10)], None, 2.2),
}
_FORMAT_CHOICE = weighted([(name, spec[0]) for name, spec in _FORMATS.items()])
_MODE_CHOICE = {name: weighted(spec[1]) for name, spec in _FORMATS.items()}
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
WORDS = ("holiday", "invoice", "diagram", "banner", "avatar", "receipt", "whiteboard",
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
        return f"{rng.choice(WORDS)}-{n % 1000}.jpg"
    if fmt == "PNG":
        if rng.random() < 0.5:
            return f"Screenshot {created:%Y-%m-%d at %H.%M.%S}.png"
        return f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{n % 100}.png"
    if fmt == "WEBP":
        return f"{rng.choice(WORDS)}_{rng.randrange(1, 5000)}.webp"
    if fmt == "GIF":
        return f"{rng.choice(WORDS)}-{rng.choice(('loop', 'anim', 'reaction', 'icon'))}.gif"
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
            updated = created if rng.random() < 0.8 else between(rng, created, now)
            rows.append((owner, _filename(rng, fmt, n, created), fmt, width, height, mode,
                         _BIT_DEPTH[mode], compression, size, f"{rng.getrandbits(256):064x}",
                         None, dumps(_image_metadata(rng, fmt, mode, created)),
                         signed64(phash), created, updated))
        made += k
        yield rows
