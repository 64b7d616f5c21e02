"""JPEG, WebP, JPEG 2000, AVIF (Pillow) and HEIF/HEVC-intra (pillow-heif, BPG-class) under one interface.

The budget rule: for each image, the largest quality whose file fits the bit budget; if even the
lowest quality does not fit, the lowest quality is sent and the excess reported. Every byte of the file
(headers included) counts and is sent.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError


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
        except (OSError, SyntaxError, ValueError, RuntimeError, UnidentifiedImageError,
                Image.DecompressionBombError) as e:  # libavif reports a bad frame as RuntimeError
            raise ValueError(f"{self.name} file does not decode: {e}") from None


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
    """The largest quality ``q`` whose file fits ``max_bits`` (and ``q + 1`` does not), else quality 1.

    :param files: quality -> the image's file, filled as files are made; pass the same dict to fit one image to
        several budgets without encoding a quality twice.
    """
    if max_bits <= 0:
        raise ValueError(f"the bit budget must be positive, got {max_bits}")
    sizes = {} if files is None else files

    def file(q: int) -> bytes:
        if q not in sizes:
            sizes[q] = codec.encode(image, q)
        return sizes[q]

    def fits(q: int) -> bool:
        return 8 * len(file(q)) <= max_bits

    if not fits(1):
        return FittedImage(file(1), 1, 8 * len(file(1)) - max_bits)
    lo, hi = 1, codec.max_quality  # invariant: lo fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    while lo < codec.max_quality and fits(lo + 1):  # file sizes are not always monotone in quality
        lo += 1
    return FittedImage(file(lo), lo, 0)
