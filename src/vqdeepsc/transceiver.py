"""VQ-DeepSC end to end: image -> indices -> bits -> symbols -> channel -> bits -> indices -> image."""

from __future__ import annotations

import torch
from torch import Tensor

from .link.bits import bits_to_indices, indices_to_bits
from .link.phy import DigitalLink
from .models.system import VQDeepSC


class Transceiver:
    """A trained ``VQDeepSC`` model sending over a ``DigitalLink``.

    :param model: the semantic codec (eval mode); an upper-bound preset is sent noiselessly (no link).
    :param link: the digital link (LDPC, 16-QAM, channel).

    :input images: [B, 3, H, W] in [0, 1], H and W multiples of 2^L.
    :input snr_db: Es/N0 in dB.
    :output: dict with ``x_hat`` [B, 3, H, W], ``bits`` [B, n_bits] sent, ``received_bits`` and ``stats``
        (``LinkStats``; ``None`` for an upper bound).
    """

    def __init__(self, model: VQDeepSC, link: DigitalLink):
        self.model, self.link = model.eval(), link

    @torch.no_grad()
    def send(self, images: Tensor, snr_db: float, generator: torch.Generator | None = None) -> dict:
        codes = self.model.encode(images)
        if not self.model.preset.quantized:
            return {"x_hat": self.model.decode(codes), "bits": None, "received_bits": None, "stats": None}
        widths = self.model.preset.bits_per_index
        bits = indices_to_bits(codes, widths)
        received, stats = self.link(bits, snr_db, generator)
        received_codes = to_indices(self.model, received, images.shape[2], images.shape[3])
        return {"x_hat": self.model.decode(received_codes), "bits": bits, "received_bits": received, "stats": stats}


def to_indices(model: VQDeepSC, bits: Tensor, height: int, width: int) -> list[Tensor]:
    """The indices in received bits, for ``height x width`` images.

    A bit error can give an index >= N when N is not a power of two: it is read as the last codeword.

    :input bits: [B, n_bits], 0/1.
    :output: [B, H_l, W_l] int64 per transmitted scale, finest first.
    """
    widths, shapes = model.preset.bits_per_index, model.code_shapes(height, width)
    sizes = [space.num_codes for space in model.embedding_spaces]
    return [c.clamp_max(n - 1) for c, n in zip(bits_to_indices(bits, widths, shapes), sizes)]
