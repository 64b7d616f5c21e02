"""A classic codec's file over the :class:`~vqdeepsc.link.phy.DigitalLink` (the paper's JPEG + LDPC 1/3 + 16-QAM).

The file's bytes are sent MSB first, padded to ``payload_bits`` (the compared method's payload, so both use the
same codewords and channel symbols) with zeros (the link scrambles, so padding costs no energy); the receiver
knows the file length and drops the padding. A received file that does not decode to the right size is
reconstructed as mid-gray (0.5) and counted as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ..data import to_tensor
from .codecs import ImageCodec

MID_GRAY = 0.5


def to_image(x: Tensor) -> Image.Image:
    """:input x: [3, H, W] in [0, 1]. :output: the RGB image, rounded to 8 bits (exact for 8-bit sources)."""
    return Image.fromarray((x.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy())


def file_to_bits(data: bytes, payload_bits: int | None = None) -> Tensor:
    """:output: [1, max(8 len(data), payload_bits)] float32 0/1: the file MSB first, then zeros."""
    bits = torch.from_numpy(np.unpackbits(np.frombuffer(data, np.uint8)).astype(np.float32))
    return torch.nn.functional.pad(bits, (0, max(0, (payload_bits or 0) - bits.numel()))).unsqueeze(0)


def bits_to_file(bits: Tensor, num_bytes: int) -> bytes:
    """:input bits: [1, n] 0/1, n >= 8 num_bytes. :output: the first ``num_bytes`` bytes, MSB first."""
    return np.packbits(bits[0, : 8 * num_bytes].cpu().numpy().astype(np.uint8)).tobytes()


@dataclass(frozen=True)
class ReceivedFile:
    """What :func:`send_file` got: ``image`` [3, H, W] in [0, 1] (mid-gray if ``failed``), ``failed`` (the file
    did not decode to the right size), ``changed`` (any bit of the file arrived wrong), link ``stats``."""

    image: Tensor
    failed: bool
    changed: bool
    stats: object


def send_file(codec: ImageCodec, data: bytes, link, snr_db: float | None, size: tuple[int, int], *,
              payload_bits: int | None = None, generator: torch.Generator | None = None) -> ReceivedFile:
    """Send ``data`` (a file of ``codec``) over ``link`` and decode what arrives.

    :param size: (W, H) the file must decode to.
    :param payload_bits: zero-pad the file to this many bits (a longer file is sent whole).
    :output: :class:`ReceivedFile` (image on the CPU; stats over the padded payload).
    """
    return send_files(codec, [data], link, snr_db, size, payload_bits=payload_bits, generators=[generator])[0]


def send_files(codec: ImageCodec, files: list[bytes], link, snr_db: float | None, size: tuple[int, int], *,
               payload_bits: int | None = None, generators: list[torch.Generator | None]) -> list[ReceivedFile]:
    """:func:`send_file` for many files, each with its own generator: files of one padded length share a link call
    (``DigitalLink.send``), and each gets what it would get sent alone."""
    payloads = [file_to_bits(data, payload_bits) for data in files]
    got = [None] * len(files)
    for length in dict.fromkeys(p.shape[1] for p in payloads):
        group = [i for i, p in enumerate(payloads) if p.shape[1] == length]
        received, stats, _ = link.send(torch.cat([payloads[i] for i in group]), snr_db, [generators[i] for i in group])
        for row, i in enumerate(group):
            got[i] = _decode_file(codec, files[i], received[row:row + 1], size, stats[row])
    return got


def _decode_file(codec: ImageCodec, data: bytes, received: Tensor, size: tuple[int, int], stats) -> ReceivedFile:
    received_data = bits_to_file(received, len(data))
    try:
        image, failed = to_tensor(codec.decode(received_data, size)), False
    except ValueError:
        image, failed = torch.full((3, size[1], size[0]), MID_GRAY), True
    return ReceivedFile(image, failed, received_data != data, stats)
