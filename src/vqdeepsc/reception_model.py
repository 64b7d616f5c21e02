"""Simulated receptions, for training a semantic decoder that expects channel errors (issue 15).

Every image of a batch arrives in one of three ways, drawn independently:

- error-free (probability ``clean``);
- with hard bit errors at a rate drawn uniformly from ``[0, max_ber]``, taken as certain (what the BP decoder
  reports below its waterfall: confident, and wrong in 5-20 % of the bits);
- as soft posteriors: consistent Gaussian logits ``llr = (2 b - 1) mu + sqrt(2 mu) n`` with the mean reliability
  ``mu`` drawn uniformly from ``[0.5, 8]`` (bit error rates 31 % to 2 %).

All three are turned into features by the soft receiver (:class:`~vqdeepsc.receivers.SoftReceiver`), which gives
the codeword exactly for certain bits: so the decoder is trained on what the ``hard`` and ``soft`` receivers feed it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .link.bits import indices_to_bits
from .link.phy import Posterior
from .models.system import VQDeepSC
from .receivers import HardReceiver, SoftReceiver

CERTAIN = 1e4
"""|logit| of a bit taken as certain (``exp(-1e4)`` is 0 in float32, so its codeword's probability is exactly 1)."""
SOFT_MU = (0.5, 8.0)


class SimulatedReception:
    """Corrupts the indices of a batch as a link would, and dequantizes them.

    :param max_ber: largest bit error rate of the hard-error receptions.
    :param clean: probability of an error-free reception; the rest are split evenly between hard and soft.

    :input model: the quantized ``VQDeepSC`` that made ``indices``.
    :input indices: ``[B, H_l, W_l]`` per transmitted scale.
    :input generator: ``torch.Generator`` on the indices' device, or ``None``.
    :output: features ``[B, C_l, H_l, W_l]`` per transmitted scale, for ``VQDeepSC.decode_features``.
    """

    def __init__(self, max_ber: float = 0.25, clean: float = 0.1):
        if not 0 < max_ber <= 0.5 or not 0 <= clean <= 1:
            raise ValueError(f"max_ber must be in (0, 0.5] and clean in [0, 1], got {max_ber} and {clean}")
        self.max_ber, self.clean = max_ber, clean

    def __call__(self, model: VQDeepSC, indices: list[Tensor],
                 generator: torch.Generator | None = None) -> list[Tensor]:
        bits = indices_to_bits(indices, model.preset.bits_per_index)
        batch, device = bits.shape[0], bits.device

        def uniform(*shape):
            return torch.rand(*shape, generator=generator, device=device)

        mode = uniform(batch, 1)
        hard = (mode >= self.clean) & (mode < self.clean + (1 - self.clean) / 2)
        soft = mode >= self.clean + (1 - self.clean) / 2
        flipped = torch.where(hard & (uniform(*bits.shape) < self.max_ber * uniform(batch, 1)), 1 - bits, bits)
        sign = 2 * flipped - 1
        mu = SOFT_MU[0] + (SOFT_MU[1] - SOFT_MU[0]) * uniform(batch, 1)
        noise = torch.randn(bits.shape, generator=generator, device=device)
        llr = torch.where(soft, sign * mu + torch.sqrt(2 * mu) * noise, sign * CERTAIN)
        unreliable = torch.zeros_like(bits, dtype=torch.bool)
        posterior = Posterior(llr, unreliable)
        return SoftReceiver().features(model, (llr >= 0).float(), posterior, image_size(model, indices))

    def __repr__(self) -> str:
        return f"SimulatedReception(max_ber={self.max_ber}, clean={self.clean})"


def error_free(model: VQDeepSC, indices: list[Tensor], generator: torch.Generator | None = None) -> list[Tensor]:
    """The codewords of ``indices`` [B, H_l, W_l] per transmitted scale (a reception without errors)."""
    return model.codeword_features(indices)


def hard_errors(model: VQDeepSC, indices: list[Tensor], ber: float,
                generator: torch.Generator | None = None) -> list[Tensor]:
    """Features of ``indices`` received with each bit flipped with probability ``ber`` (validation)."""
    bits = indices_to_bits(indices, model.preset.bits_per_index)
    flips = torch.rand(bits.shape, generator=generator, device=bits.device) < ber
    received = torch.where(flips, 1 - bits, bits)
    certain = Posterior((2 * received - 1) * CERTAIN, torch.ones_like(received, dtype=torch.bool))
    return HardReceiver().features(model, received, certain, image_size(model, indices))


def image_size(model: VQDeepSC, indices: list[Tensor]) -> tuple[int, int]:
    """``(H, W)`` of the images whose finest transmitted scale has the indices ``indices[0]`` [B, H_l, W_l]."""
    return tuple(s << (model.preset.transmitted[0] + 1) for s in indices[0].shape[1:])

