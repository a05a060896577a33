"""Imaging, in-process: what an upload, an analysis and a thumbnail cost on a
12-megapixel photo, as a ratio to Pillow simply decoding the same bytes.

The photo is made in memory from a fixed seed (so every run measures the same
bytes): smooth colour fields, mid-scale texture, hard-edged shapes, a slight
blur and per-pixel noise, which compress about as badly as a real photo does
(a few MB of JPEG at quality 90, well over 10 MB of PNG). It is encoded once
as JPEG (quality 90, with a small EXIF block as a camera writes) and once as
PNG; every operation gets the encoded bytes, as the upload route does.
"""
from __future__ import annotations

import io
import random
import sys
import time

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from bench import timing
from bench.tables import num, table
from janus.imaging import inspect_image, make_thumbnail
from janus.imaging.analysis import analyse, fingerprint

SIZE = (4000, 3000)
SEED = 20240601
JPEG_QUALITY = 90
THUMBNAIL = 256
K = 5
BASELINE = "decode"
# name -> what the row says; the baseline first
OPS = {
    BASELINE: "Image.open(...).load() (baseline)",
    "inspect_image": "inspect_image (upload: validate, metadata, phash)",
    "fingerprint": "fingerprint (phash alone, reduced decode)",
    "analyse": f"analyse(k={K}) (POST .../analysis)",
    "make_thumbnail": f"make_thumbnail({THUMBNAIL}) (WebP)",
}


def _smooth(rng: random.Random, small: tuple[int, int], size: tuple[int, int]) -> Image.Image:
    """Random RGB pixels at ``small`` size, blown up smoothly to ``size``."""
    data = rng.randbytes(small[0] * small[1] * 3)
    return Image.frombytes("RGB", small, data).resize(size, Image.Resampling.BICUBIC)


def photo(size: tuple[int, int] = SIZE, seed: int = SEED) -> Image.Image:
    """A deterministic photo-like RGB image (not a picture of anything)."""
    rng = random.Random(seed)
    w, h = size
    im = Image.blend(_smooth(rng, (6, 5), size), _smooth(rng, (120, 90), size), 0.35)
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        box = (x0, y0, x0 + rng.randrange(w // 80, w // 4), y0 + rng.randrange(h // 60, h // 4))
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    im = im.filter(ImageFilter.GaussianBlur(1.2))  # lens softness: no 1-pixel edges
    grain = Image.frombytes("L", size, rng.randbytes(w * h)).point(lambda v: v * 17 // 256)
    return ImageChops.add(im, Image.merge("RGB", (grain, grain, grain)), offset=-8)


def encode(im: Image.Image) -> dict[str, bytes]:
    exif = Image.Exif()
    exif.update({0x010F: "Bench", 0x0110: "Synthetic 12MP", 0x0112: 1,
                 0x0132: "2024:06:01 12:00:00"})
    jpeg, png = io.BytesIO(), io.BytesIO()
    im.save(jpeg, "JPEG", quality=JPEG_QUALITY, exif=exif)
    im.save(png, "PNG")  # Pillow's default compression level (6)
    return {"JPEG": jpeg.getvalue(), "PNG": png.getvalue()}


def _decode(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as im:
        im.load()


def _ops(data: bytes) -> dict:
    return {
        BASELINE: lambda: _decode(data),
        "inspect_image": lambda: inspect_image(data),
        "fingerprint": lambda: fingerprint(data),
        "analyse": lambda: analyse(data, k=K),
        "make_thumbnail": lambda: make_thumbnail(data, THUMBNAIL),
    }


def _check(data: bytes) -> dict:
    """What the operations answered, once (a sanity check, not timed): the
    whole photo was read, the analysis worked on its 256 px copy and the
    thumbnail has the asked-for longest side."""
    result = analyse(data, k=K)
    with Image.open(io.BytesIO(make_thumbnail(data, THUMBNAIL))) as thumb:
        thumb_size = list(thumb.size)
    reduced = [256, 256 * SIZE[1] // SIZE[0]]
    assert result["source_size"] == list(SIZE), result["source_size"]
    assert result["analysed_size"] == reduced, result["analysed_size"]
    assert thumb_size == [THUMBNAIL, THUMBNAIL * SIZE[1] // SIZE[0]], thumb_size
    return {"analysed_size": result["analysed_size"], "phash": result["phash"],
            "fingerprint_matches_analyse": fingerprint(data) == result["phash"],
            "thumbnail_size": thumb_size}


def measure(rounds: int, min_seconds: float) -> dict:
    began = time.perf_counter()
    encoded = encode(photo())
    setup_s = time.perf_counter() - began
    print(f"  imaging: {SIZE[0]}x{SIZE[1]} photo made and encoded in {setup_s:.1f} s; "
          f"{rounds} rounds ", end="", file=sys.stderr, flush=True)
    formats = {}
    for fmt, data in encoded.items():
        figures = timing.measure(_ops(data), rounds, min_seconds,
                                 lambda: print(".", end="", file=sys.stderr, flush=True))
        formats[fmt] = {"bytes": len(data), "check": _check(data), "ops": figures}
    print(file=sys.stderr)
    return {"size": list(SIZE), "megapixels": SIZE[0] * SIZE[1] / 1e6, "seed": SEED,
            "jpeg_quality": JPEG_QUALITY, "setup_seconds": round(setup_s, 2),
            "rounds": rounds, "min_seconds": min_seconds, "formats": formats}


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def print_table(result: dict) -> None:
    cols = ("format", "operation", "ms/op", "spread", "calls/round", "x decode")
    rows = []
    for fmt, r in result["formats"].items():
        base = r["ops"][BASELINE]["best_ms"]
        for n, (name, label) in enumerate(OPS.items()):
            f = r["ops"][name]
            rows.append((f"{fmt} {_mb(r['bytes'])}" if n == 0 else "", label,
                         num(f["best_ms"]), f"{f['spread'] * 100:.0f}%", str(f["calls"]),
                         num(f["best_ms"] / base, 2)))
    table(cols, rows, right_from=2)
    print(summary_line(result))
    print()


def summary_line(result: dict) -> str:
    parts, decode, upload = [], [], []
    for fmt, r in result["formats"].items():
        ops = r["ops"]
        parts.append(f"{fmt} ({_mb(r['bytes'])}) {ops['analyse']['best_ms']:,.0f} ms")
        decode.append(f"{ops[BASELINE]['best_ms']:,.0f} ms")
        upload.append(f"{ops['inspect_image']['best_ms']:,.0f} ms")
    return (f"analysis of a {result['megapixels']:g}-megapixel photo takes "
            + ", ".join(parts) + " (one core; a full decode alone: " + " / ".join(decode)
            + "); upload processing (inspect_image): " + " / ".join(upload))
