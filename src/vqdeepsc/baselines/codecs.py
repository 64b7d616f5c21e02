"""JPEG, WebP, JPEG 2000, AVIF (Pillow) and HEIF/HEVC-intra (pillow-heif, BPG-class) under one interface.

The budget rule: for each image, the largest quality whose file fits the bit budget; if even the
lowest quality does not fit, the lowest quality is sent and the excess reported. Every byte of the file
(headers included) counts and is sent.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image


class ImageCodec:
    """A lossy codec with an integer quality knob ``1..max_quality`` (larger is better and bigger).

    :param name: method name (``"jpeg"``, ``"webp"``, ...).
    :param label: its name in tables and figures (``"JPEG"``).
    :param format: Pillow format name.
    :param max_quality: the largest quality tried.
    :param options: extra Pillow save options.
    """

    def __init__(self, name: str, label: str, format: str, max_quality: int = 95, **options):
        self.name, self.label, self.format, self.max_quality, self.options = name, label, format, max_quality, options

    def encode(self, image: Image.Image, quality: int) -> bytes:
        buf = io.BytesIO()
        image.save(buf, format=self.format, **self._quality_options(quality), **self.options)
        return buf.getvalue()

    def _quality_options(self, quality: int) -> dict:
        return {"quality": quality}

    def decode(self, data: bytes, size: tuple[int, int]) -> Image.Image:
        """The RGB image in ``data``; ``ValueError`` if it does not decode to an image of ``size`` (W, H)."""
        try:
            with Image.open(io.BytesIO(data)) as im:
                if im.size != size:  # checked before decoding: a corrupted header can claim a huge image
                    raise ValueError(f"its header says {im.size}, expected {size}")
                im.load()
                return im.convert("RGB")
        except Exception as e:  # a damaged file makes each plugin fail its own way: OSError, SyntaxError,
            # RuntimeError (libavif), EOFError (libheif), DecompressionBombError, ...
            raise ValueError(f"{self.name} file does not decode: {type(e).__name__}: {e}") from None


class JPEG2000(ImageCodec):
    """JPEG 2000 (OpenJPEG); quality ``q`` maps to a PSNR target of ``q / 2`` dB (Pillow's ``dB`` mode)."""

    def _quality_options(self, quality: int) -> dict:
        return {"quality_mode": "dB", "quality_layers": [quality / 2]}


def _heif() -> ImageCodec:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return ImageCodec("heif", "HEIF", "HEIF", 95)


CODECS = {
    "jpeg": lambda: ImageCodec("jpeg", "JPEG", "JPEG", 95, optimize=True),
    "webp": lambda: ImageCodec("webp", "WebP", "WEBP", 100, method=6),
    "jpeg2000": lambda: JPEG2000("jpeg2000", "JPEG 2000", "JPEG2000", 120),
    "avif": lambda: ImageCodec("avif", "AVIF", "AVIF", 100, speed=6),
    "heif": _heif,
}


def get_codec(name: str) -> ImageCodec:
    if name not in CODECS:
        raise ValueError(f"unknown codec {name!r}; known codecs: {', '.join(CODECS)}")
    return CODECS[name]()


@dataclass(frozen=True)
class FittedImage:
    """A classic codec's file for one image under a budget: ``data``, ``quality``, ``excess_bits`` (0 if it fits)."""

    data: bytes
    quality: int
    excess_bits: int


def fit_to_budget(codec: ImageCodec, image: Image.Image, max_bits: int,
                  files: dict[int, bytes] | None = None) -> FittedImage:
    """A quality ``q`` whose file fits ``max_bits`` while ``q + 1``'s does not (the largest that fits where file
    sizes grow with quality), else quality 1.

    The search keeps the bracket ``lo`` (fits) < ``hi`` (does not), probes the quality where the logarithm of the
    file size, interpolated between the two, meets the budget, then its neighbour: about 5 encodes for a first budget
    instead of bisection's 8, 2 for the next ones.

    :param files: quality -> the image's file, filled as files are made; pass the same dict to fit one image to
        several budgets without encoding a quality twice (their sizes also narrow the first bracket).
    """
    if max_bits <= 0:
        raise ValueError(f"the bit budget must be positive, got {max_bits}")
    sizes = {} if files is None else files

    def bits(q: int) -> int:
        if q not in sizes:
            sizes[q] = codec.encode(image, q)
        return 8 * len(sizes[q])

    if bits(1) > max_bits:
        return FittedImage(sizes[1], 1, bits(1) - max_bits)
    top = codec.max_quality
    hi = min((q for q in sizes if bits(q) > max_bits), default=top + 1)  # the files made for other budgets
    lo = max(q for q in sizes if q < hi and bits(q) <= max_bits)
    while hi - lo > 1:
        if hi > top:  # no file known not to fit: bisect
            q = (lo + hi) // 2
            lo, hi = (q, hi) if bits(q) <= max_bits else (lo, q)
            continue
        a, b = math.log(bits(lo)), math.log(bits(hi))  # interpolate log(size) between the bracket's ends
        q = round(lo + (hi - lo) * (math.log(max_bits) - a) / (b - a)) if b > a else (lo + hi) // 2
        q = min(max(q, lo + 1), hi - 1)
        lo, hi = (q, hi) if bits(q) <= max_bits else (lo, q)
        q = q + 1 if lo == q else q - 1  # the guess is usually right: its neighbour closes the bracket
        if lo < q < hi:
            lo, hi = (q, hi) if bits(q) <= max_bits else (lo, q)
    return FittedImage(sizes[lo], lo, 0)
