"""64-bit perceptual hash (pHash) and its storage helpers.

The hash: greyscale, 32x32 (Lanczos), 2-D DCT-II, keep the 8x8 lowest
frequencies, and set each bit where the coefficient is above the median of
the 63 non-DC ones. Bits run row by row, the first is the most significant;
the DC bit is almost always 1 (it is the image's mean times 1024).

Similar pictures (re-encoded, resized, lightly edited) differ in few bits;
``hamming`` counts them. The DCT is plain Python: only the 8x8 corner is
needed, so it is 32*32*8 + 8*32*8 multiply-adds (about 1 ms; measured).
"""
from __future__ import annotations

import math
import operator
import statistics

from PIL import Image

HASH_SIZE = 8  # 8x8 coefficients -> 64 bits
DCT_SIZE = 32
_MASK = (1 << 64) - 1

# Unnormalised DCT-II basis, cos(pi * (2n + 1) * k / 2N), for k < HASH_SIZE.
# The same factor for every k keeps the row/column-0 coefficients comparable
# with the rest (scipy's dct default, as imagehash uses).
_COS = [[math.cos(math.pi * (2 * n + 1) * k / (2 * DCT_SIZE)) for n in range(DCT_SIZE)]
        for k in range(HASH_SIZE)]


def _low_dct(pixels: list[int]) -> list[list[float]]:
    """The HASH_SIZE x HASH_SIZE low-frequency corner of the 2-D DCT."""
    rows = [pixels[r * DCT_SIZE:(r + 1) * DCT_SIZE] for r in range(DCT_SIZE)]
    # Separable: rows first (only the frequencies we keep), then columns.
    row_dct = [[sum(map(operator.mul, basis, row)) for basis in _COS] for row in rows]
    columns = list(zip(*row_dct, strict=True))  # HASH_SIZE columns of DCT_SIZE values
    return [[sum(map(operator.mul, basis, column)) for column in columns] for basis in _COS]


def phash(im: Image.Image) -> str:
    """16 hex digits of ``im``'s perceptual hash (any mode; alpha is ignored)."""
    grey = im.convert("L").resize((DCT_SIZE, DCT_SIZE), Image.Resampling.LANCZOS)
    coeffs = [c for row in _low_dct(list(grey.tobytes())) for c in row]
    median = statistics.median(coeffs[1:])  # DC excluded: it only measures brightness
    value = 0
    for c in coeffs:
        value = (value << 1) | (c > median)
    return f"{value:016x}"


def phash_to_int(hex_hash: str) -> int:
    """The hash as a signed 64-bit integer (a PostgreSQL/SQLite BIGINT)."""
    if not isinstance(hex_hash, str) or len(hex_hash) != 16:
        raise ValueError("a phash is 16 hexadecimal digits")
    value = int(hex_hash, 16)  # ValueError on non-hex
    return value - (1 << 64) if value >= 1 << 63 else value


def int_to_phash(value: int) -> str:
    """Inverse of ``phash_to_int`` (accepts the unsigned form too)."""
    if not -(1 << 63) <= value < (1 << 64):
        raise ValueError("not a 64-bit value")
    return f"{value & _MASK:016x}"


def hamming(a: str | int, b: str | int) -> int:
    """Number of differing bits between two hashes (hex strings or integers)."""
    def bits(h):
        return (phash_to_int(h) if isinstance(h, str) else h) & _MASK
    return (bits(a) ^ bits(b)).bit_count()
