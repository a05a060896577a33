"""Image builders shared by the imaging and HTTP tests: every test image is
generated with Pillow (or, for the malformed ones, built byte by byte), so the
suite has no binary fixtures."""
from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFilter
from PIL.TiffImagePlugin import IFDRational


def save(im: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def photo_like(seed: int, size=(640, 480)) -> Image.Image:
    """Smooth gradients, a dozen big shapes, a little noise: hashes like a photo."""
    rng = random.Random(seed)
    bands = [Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(size) for _ in "RGB"]
    im = Image.merge("RGB", bands)
    draw = ImageDraw.Draw(im)
    w, h = size
    for _ in range(14):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        box = (x0, y0, x0 + rng.randrange(w // 8, w // 2), y0 + rng.randrange(h // 8, h // 2))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    # Noise from the seeded rng (Image.effect_noise is unseeded): the same
    # seed gives the same bytes in every run, so hashes and distances repeat.
    # Uniform over 128 +- 69, the spread (sigma ~40) effect_noise(size, 40) has.
    noise = Image.frombytes("L", size, rng.randbytes(w * h)).point(lambda v: 59 + v * 139 // 255)
    im = Image.blend(im, noise.convert("RGB"), 0.08)
    return im.filter(ImageFilter.GaussianBlur(1.5))


def half_black_white(size=(200, 100)) -> Image.Image:
    im = Image.new("RGB", size, "black")
    ImageDraw.Draw(im).rectangle((size[0] // 2, 0, size[0], size[1]), fill="white")
    return im


def camera_jpeg(size=(300, 200), orientation=6, model="EOS 5D") -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon\x00"  # C strings with their NUL, as cameras write them
    exif[ExifTags.Base.Model] = model
    exif[ExifTags.Base.Orientation] = orientation
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.DateTimeOriginal] = "2024:05:01 12:34:56"
    sub[ExifTags.Base.ExposureTime] = IFDRational(1, 250)
    sub[ExifTags.Base.FNumber] = IFDRational(28, 10)
    sub[ExifTags.Base.ISOSpeedRatings] = 400
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    return save(photo_like(3, size), "JPEG", exif=exif, dpi=(300, 300))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of width x height zeros, compressed ~1000:1."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    packer, row = zlib.compressobj(9), b"\x00" * (1 + (width + 7) // 8)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def png_header_only(width: int, height: int) -> bytes:
    """IHDR of a width x height RGB PNG, then image data that cannot decode."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", b"garbage")
            + png_chunk(b"IEND", b""))


def webp_canvas_header(width: int, height: int) -> bytes:
    """Just a VP8X header declaring a width x height canvas."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4) + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def flip_idat(data: bytes) -> bytes:
    at = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[at - 8:at - 4])[0]
    middle = at + length // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 8]) + data[middle + 8:]


def sixteen_bit() -> Image.Image:
    im = Image.new("I;16", (64, 32))
    im.frombytes(b"".join(struct.pack("<H", x * 1024 + 512) for _ in range(32) for x in range(64)))
    return im


def p_image(transparent: bool) -> bytes:
    im = photo_like(4, (60, 40)).quantize(16)
    return save(im, "PNG", transparency=0) if transparent else save(im, "PNG")


def animated_gif() -> bytes:
    first = photo_like(5, (80, 60)).convert("P")
    return save(first, "GIF", save_all=True, append_images=[first.rotate(180)], duration=100,
                loop=0)


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def rgba_with_hole(alpha: int, size=(120, 80)) -> Image.Image:
    """An opaque photo with one pixel of the given alpha at (5, 5)."""
    im = photo_like(10, size).convert("RGBA")
    im.putpixel((5, 5), (0, 0, 0, alpha))
    return im


# One well-formed image per format and mode the upload path accepts:
# name -> (bytes, expected format, mode, bit depth, compression)
GOOD = {
    "jpeg_exif": (camera_jpeg(), "JPEG", "RGB", 8, "jpeg"),
    "png_rgba": (save(photo_like(1, (90, 60)).convert("RGBA"), "PNG", icc_profile=SRGB),
                 "PNG", "RGBA", 8, "deflate"),
    "png_grey": (save(photo_like(1, (90, 60)).convert("L"), "PNG"), "PNG", "L", 8, "deflate"),
    "png_p": (p_image(False), "PNG", "P", 8, "deflate"),
    "png_p_trns": (p_image(True), "PNG", "P", 8, "deflate"),
    "png_16bit": (save(sixteen_bit(), "PNG"), "PNG", "I;16", 16, "deflate"),
    "png_1bit": (save(photo_like(1, (90, 60)).convert("1"), "PNG"), "PNG", "1", 1, "deflate"),
    "gif_animated": (animated_gif(), "GIF", "P", 8, "lzw"),
    "webp_lossy": (save(photo_like(2, (90, 60)), "WEBP", quality=70), "WEBP", "RGB", 8, "lossy"),
    "webp_lossless": (save(photo_like(2, (90, 60)), "WEBP", lossless=True), "WEBP", "RGB", 8,
                      "lossless"),
    "tiff_lzw": (save(photo_like(2, (90, 60)), "TIFF", compression="tiff_lzw"), "TIFF", "RGB", 8,
                 "tiff_lzw"),
    "tiff_cmyk": (save(photo_like(2, (90, 60)).convert("CMYK"), "TIFF"), "TIFF", "CMYK", 8, "raw"),
    "bmp": (save(photo_like(2, (90, 60)), "BMP"), "BMP", "RGB", 8, "raw"),
}
