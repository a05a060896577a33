"""Generate the small demo images in seeds/files/ (referenced by seeds/images.json).

    .venv/bin/python seeds/files/generate.py

Deterministic: no clock, and the only randomness is ``random.Random`` with a
fixed seed, so a run with the same Pillow (and libjpeg/libwebp) writes the
same bytes. The files are committed; this script is kept so they can be
remade or changed. Each one is a few KB and shows one case the service
handles differently:

    contrast-badge.png         RGBA PNG with real transparency
    harbour-at-dusk.jpg        photo-like JPEG with EXIF: Make, Model,
                               Orientation 6 (rotate 90 degrees clockwise to
                               view) and DateTimeOriginal
    type-scale-grey.png        greyscale ("L") PNG
    status-icons.gif           palette ("P") GIF with a transparent index
    dark-mode-card.webp        lossy WebP
    meadow-at-noon.jpg         a near-duplicate pair: the same picture, the
    meadow-at-noon-small.jpg   second smaller and more compressed, so
                               GET /images/<id>/similar finds one from the other

After changing this script, run it and update seeds/images.json if names
change (sha256 and sizes are never written there: the loader reads them from
the bytes).
"""
from __future__ import annotations

import itertools
import random
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw

HERE = Path(__file__).resolve().parent
SEED = 20240603  # any constant; one per picture is derived from it


def _rng(name: str) -> random.Random:
    return random.Random(f"{SEED}:{name}")


def _vertical_gradient(size, stops) -> Image.Image:
    """RGB image whose rows blend through ``stops`` [(position 0..1, (r, g, b))]."""
    width, height = size
    column = Image.new("RGB", (1, height))
    pixels = column.load()
    for y in range(height):
        t = y / max(1, height - 1)
        for (p0, c0), (p1, c1) in itertools.pairwise(stops):
            if p0 <= t <= p1:
                f = (t - p0) / (p1 - p0) if p1 > p0 else 0.0
                pixels[0, y] = tuple(round(a + (b - a) * f) for a, b in zip(c0, c1, strict=True))
                break
    return column.resize(size, Image.Resampling.NEAREST)


def _grain(im: Image.Image, rng: random.Random, amount: int) -> Image.Image:
    """Add seeded luminance noise, so JPEGs compress like photos, not flat art."""
    values = bytes(rng.randrange(256) for _ in range(im.width * im.height))
    noise = Image.frombytes("L", im.size, values)
    noise = noise.point(lambda v: 128 + (v - 128) * amount // 128)
    grey = Image.merge("RGB", (noise, noise, noise))
    return Image.blend(im, grey, 0.08)


def contrast_badge() -> Image.Image:
    """An "AA" badge: black on yellow (contrast 19.6:1), transparent corners."""
    im = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    draw.rounded_rectangle((4, 4, 91, 91), radius=20, fill=(255, 221, 0, 255),
                           outline=(0, 0, 0, 255), width=4)
    # Two block letters A, drawn as polygons (no font files needed).
    for x0 in (18, 50):
        draw.polygon([(x0, 74), (x0 + 12, 22), (x0 + 16, 22), (x0 + 28, 74), (x0 + 21, 74),
                      (x0 + 18, 60), (x0 + 10, 60), (x0 + 7, 74)], fill=(0, 0, 0, 255))
        draw.polygon([(x0 + 11, 53), (x0 + 14, 36), (x0 + 17, 53)], fill=(255, 221, 0, 255))
    # A soft drop shadow: half-transparent pixels, not just on/off alpha.
    shadow = Image.new("RGBA", im.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).rounded_rectangle((8, 8, 95, 95), radius=20, fill=(0, 0, 0, 70))
    return Image.alpha_composite(shadow, im)


def harbour_at_dusk() -> Image.Image:
    """Sky, sun, hills and water; stored landscape, viewed portrait (Orientation 6)."""
    rng = _rng("harbour")
    size = (240, 160)
    im = _vertical_gradient(size, [(0.0, (32, 42, 94)), (0.45, (236, 128, 72)),
                                   (0.55, (40, 60, 96)), (1.0, (12, 20, 40))])
    draw = ImageDraw.Draw(im)
    draw.ellipse((150, 44, 182, 76), fill=(255, 214, 150))
    ridge, y = [], 70
    for x in range(0, size[0] + 8, 8):
        y = max(58, min(84, y + rng.randint(-5, 5)))
        ridge.append((x, y))
    draw.polygon([(0, 88), *ridge, (size[0], 88)], fill=(26, 30, 48))
    for row in range(92, size[1], 6):  # the sun's reflection on the water
        width = rng.randint(6, 22)
        draw.line((166 - width, row, 166 + width, row), fill=(214, 150, 110), width=2)
    return _grain(im, rng, 96)


def harbour_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Fujifilm"
    exif[ExifTags.Base.Model] = "X-T30"
    exif[ExifTags.Base.Orientation] = 6
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:05:18 20:41:07"
    return exif


def type_scale_grey() -> Image.Image:
    """Greyscale bars of text-like strokes at growing sizes, dark grey on white."""
    im = Image.new("L", (200, 120), 255)
    draw = ImageDraw.Draw(im)
    y = 8
    for step, height in enumerate((6, 9, 12, 16, 22)):
        x = 8
        rng = _rng(f"type-{step}")
        while x < 190:
            word = rng.randint(2, 6) * (height // 2 + 2)
            draw.rectangle((x, y, min(x + word, 192), y + height), fill=(34, 68, 118)[step % 3])
            x += word + height // 2 + 3
        y += height + 6
    return im


def status_icons() -> Image.Image:
    """Success, warning and error icons that differ in shape, not only colour."""
    im = Image.new("P", (144, 48), 0)
    im.putpalette([255, 255, 255, 0, 122, 61, 255, 191, 0, 191, 0, 32, 0, 0, 0] + [0] * 741)
    draw = ImageDraw.Draw(im)
    draw.ellipse((4, 4, 43, 43), fill=1)  # green circle with a check mark
    draw.line((13, 24, 21, 33, 35, 15), fill=0, width=5)
    draw.polygon([(72, 4), (93, 43), (51, 43)], fill=2, outline=4)  # amber triangle with "!"
    draw.rectangle((70, 16, 74, 32), fill=4)
    draw.rectangle((70, 36, 74, 40), fill=4)
    draw.rectangle((103, 6, 140, 43), fill=3)  # red square with a cross
    draw.line((111, 14, 132, 35), fill=0, width=5)
    draw.line((132, 14, 111, 35), fill=0, width=5)
    im.info["transparency"] = 0
    return im


def dark_mode_card() -> Image.Image:
    """A UI card in a dark theme: light text blocks on near-black, one accent button."""
    im = _vertical_gradient((240, 150), [(0.0, (24, 26, 32)), (1.0, (14, 15, 19))])
    draw = ImageDraw.Draw(im)
    draw.rounded_rectangle((12, 12, 227, 137), radius=12, fill=(34, 37, 46),
                           outline=(70, 76, 92), width=2)
    draw.rectangle((28, 28, 150, 40), fill=(236, 238, 244))  # heading
    for row, width in enumerate((180, 165, 172, 120)):  # body text
        draw.rectangle((28, 52 + row * 12, 28 + width, 58 + row * 12), fill=(178, 184, 198))
    draw.rounded_rectangle((28, 106, 108, 126), radius=6, fill=(138, 180, 248))
    draw.rectangle((44, 113, 92, 119), fill=(16, 24, 40))
    return im


def meadow_at_noon() -> Image.Image:
    rng = _rng("meadow")
    size = (320, 240)
    im = _vertical_gradient(size, [(0.0, (90, 150, 225)), (0.5, (190, 220, 245)),
                                   (0.52, (110, 170, 70)), (1.0, (40, 100, 30))])
    draw = ImageDraw.Draw(im)
    draw.ellipse((36, 24, 76, 64), fill=(255, 244, 180))
    for _ in range(5):  # clouds
        x, y = rng.randint(90, 290), rng.randint(20, 80)
        for dx in (-18, 0, 18):
            draw.ellipse((x + dx - 16, y - 10, x + dx + 16, y + 12), fill=(250, 250, 252))
    draw.rectangle((226, 96, 236, 150), fill=(92, 60, 34))  # a tree
    draw.ellipse((200, 56, 262, 118), fill=(46, 110, 40))
    for _ in range(60):  # flowers
        x, y = rng.randint(0, size[0]), rng.randint(140, size[1])
        colour = rng.choice([(250, 220, 60), (240, 240, 240), (200, 60, 120)])
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=colour)
    return _grain(im, rng, 64)


def main() -> None:
    meadow = meadow_at_noon()
    outputs = {
        "contrast-badge.png": (contrast_badge(), dict(optimize=True)),
        "harbour-at-dusk.jpg": (harbour_at_dusk(), dict(quality=82, exif=harbour_exif())),
        "type-scale-grey.png": (type_scale_grey(), dict(optimize=True, dpi=(144, 144))),
        "status-icons.gif": (status_icons(), dict(optimize=False)),
        "dark-mode-card.webp": (dark_mode_card(), dict(quality=80, method=6)),
        "meadow-at-noon.jpg": (meadow, dict(quality=85)),
        "meadow-at-noon-small.jpg": (meadow.resize((200, 150), Image.Resampling.LANCZOS),
                                     dict(quality=50)),
    }
    for name, (im, options) in outputs.items():
        path = HERE / name
        im.save(path, **options)
        size = path.stat().st_size
        assert size < 20_000, f"{name} is {size} bytes; keep seed images small"
        print(f"{name:28} {im.mode:5} {im.width}x{im.height}  {size} bytes")


if __name__ == "__main__":
    main()
