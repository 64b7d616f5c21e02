"""The ``.vqsc`` file: one image's codebook-index bits behind a small versioned header.

Layout of version 1 (integers unsigned, big-endian; ``n`` is the length of the model name)::

    offset           bytes         field
    0                4             magic b"VQSC"
    4                1             format version, 1
    5                1             n, 1..255
    6                n             model name: the model's preset (small-4, ...), UTF-8
    6+n              32            sha256 of the model's weights file (.safetensors)
    38+n             4             image height H (as read, before padding)
    42+n             4             image width W
    46+n             4             payload length P, in bits
    50+n             ceil(P/8)     payload: the index bits (vqdeepsc.link.bits order) packed MSB first
                                   (np.packbits), the last byte padded with zero bits
    50+n+ceil(P/8)   4             CRC-32 (zlib.crc32) of every byte before it

The image is coded padded to the next multiple of 2^L in height and width (:mod:`vqdeepsc.imagefile`); the preset
fixes L, so ``H`` and ``W`` give the padded size, and ``P`` is the index bits of that size.

:func:`read` checks, in this order: magic, version, length (truncated or over-long), CRC. Each failure is a
one-line ``ValueError``. The caller checks the model name and hash against its model.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checkpoint import atomic_write

MAGIC = b"VQSC"
VERSION = 1
_START = struct.Struct(">4sBB")  # magic, version, n
_FIELDS = struct.Struct(">32sIII")  # sha256, H, W, P
_CRC = struct.Struct(">I")


@dataclass(frozen=True, eq=False)
class Stream:
    """The contents of a ``.vqsc`` file.

    :param model: the model's preset name.
    :param sha256: hex sha256 of the model's weights file.
    :param height: image height before padding.
    :param width: image width before padding.
    :param bits: [P] uint8 0/1, the index bits.
    :param crc_ok: whether the CRC matched (``False`` only when read with ``ignore_crc``).
    """

    model: str
    sha256: str
    height: int
    width: int
    bits: np.ndarray
    crc_ok: bool = True


def to_bytes(stream: Stream) -> bytes:
    """The file's bytes (the layout in the module doc)."""
    name = stream.model.encode()
    if not 1 <= len(name) <= 255:
        raise ValueError(f"model name must take 1 to 255 bytes, got {stream.model!r}")
    body = (_START.pack(MAGIC, VERSION, len(name)) + name
            + _FIELDS.pack(bytes.fromhex(stream.sha256), stream.height, stream.width, len(stream.bits))
            + np.packbits(stream.bits).tobytes())
    return body + _CRC.pack(zlib.crc32(body))


def from_bytes(data: bytes, ignore_crc: bool = False) -> Stream:
    """Parse and check a file's bytes; ``ignore_crc`` returns a stream whose CRC does not match (``crc_ok`` False)."""
    if data[:len(MAGIC)] != MAGIC:
        if MAGIC.startswith(data):
            raise ValueError(f"truncated .vqsc file ({len(data)} bytes)")
        raise ValueError(f"not a .vqsc file: it starts with {data[:len(MAGIC)]!r}, not {MAGIC!r}")
    if len(data) < _START.size:
        raise ValueError(f"truncated .vqsc file ({len(data)} bytes)")
    _, version, n = _START.unpack_from(data)
    if version != VERSION:
        raise ValueError(f"unsupported .vqsc format version {version}; this vqdeepsc reads version {VERSION}")
    if len(data) < _START.size + n + _FIELDS.size:
        raise ValueError(f"truncated .vqsc file: {len(data)} bytes, shorter than its header")
    digest, height, width, num_bits = _FIELDS.unpack_from(data, _START.size + n)
    payload = _START.size + n + _FIELDS.size
    size = payload + (num_bits + 7) // 8 + _CRC.size
    if len(data) != size:
        raise ValueError(f"{'truncated' if len(data) < size else 'over-long'} .vqsc file: {len(data)} bytes, "
                         f"its header announces {size}")
    (stored,) = _CRC.unpack_from(data, size - _CRC.size)
    computed = zlib.crc32(data[:-_CRC.size])
    if stored != computed and not ignore_crc:
        raise ValueError(f"CRC mismatch (stored {stored:08x}, computed {computed:08x}): the file is damaged; "
                         "decode --ignore-crc rebuilds what it can")
    bits = np.unpackbits(np.frombuffer(data, np.uint8, size - _CRC.size - payload, payload), count=num_bits)
    return Stream(data[_START.size:_START.size + n].decode("utf-8", "replace"), digest.hex(), height, width, bits,
                  stored == computed)


def write(path: str | Path, stream: Stream) -> None:
    """Write ``stream`` to ``path`` atomically."""
    data = to_bytes(stream)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def read(path: str | Path, ignore_crc: bool = False) -> Stream:
    """The stream in file ``path`` (:func:`from_bytes`); its ``ValueError`` names the file."""
    try:
        return from_bytes(Path(path).read_bytes(), ignore_crc)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
