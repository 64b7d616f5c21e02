"""The contract every quantizer of a scale (a "semantic embedding space") fulfils.

The link, the bit packing, the budget and the evaluation see a quantizer only through this interface, so a new
quantizer is one subclass in one file plus one entry in ``vqdeepsc.models.quantizers.QUANTIZERS``.
"""

from __future__ import annotations

import inspect
import math

import torch
from torch import Tensor, nn


class Quantizer(nn.Module):
    """Maps the features of one scale to indices of ``num_codes`` codewords and back.

    :param num_codes: ``N_l``, the number of codewords; each index travels as ``bits_per_index`` bits.
    :param dim: ``K = C_l``, the feature (codeword) dimension.

    ``quantize`` (transmitter):
        :input z: [B, K, H, W], encoder features ``F^l``.
        :output indices: [B, H, W] int64 in [0, N).
    ``lookup`` (receiver), ``lookup(quantize(z))`` is what the decoder is trained on:
        :input indices: [B, H, W] int64 in [0, N).
        :output features: [B, K, H, W], ``codewords()[indices]``.
    ``codewords()``: [N, K], every codeword the receiver can produce (soft dequantization takes their
    expectation).
    ``forward`` (training):
        :input z: [B, K, H, W].
        :output: dict with ``z_q`` [B, K, H, W] (values equal ``lookup(indices)``, with the quantizer's gradient
            path to ``z``), ``indices`` [B, H, W], ``codebook_loss`` and ``commitment_loss`` (scalars; zero for a
            quantizer without them), ``perplexity`` (exp of the entropy of the batch's code histogram) and
            ``usage`` (fraction of the N codes used in the batch).
    """

    def __init__(self, num_codes: int, dim: int):
        super().__init__()
        if num_codes < 2 or dim < 1:
            raise ValueError(f"a quantizer needs N >= 2 codewords of dimension K >= 1, got N={num_codes}, K={dim}")
        self.num_codes, self.dim = num_codes, dim

    @classmethod
    def accepted(cls, options: dict) -> dict:
        """The subset of ``options`` that this class takes (training passes every quantizer the same options)."""
        names = inspect.signature(cls.__init__).parameters
        return {k: v for k, v in options.items() if k in names}

    @property
    def bits_per_index(self) -> int:
        """``ceil(log2 N)``."""
        return math.ceil(math.log2(self.num_codes))

    def codewords(self) -> Tensor:
        raise NotImplementedError

    def quantize(self, z: Tensor) -> Tensor:
        raise NotImplementedError

    def lookup(self, indices: Tensor) -> Tensor:
        self.check_indices(indices)
        return self.features(indices)

    def check_indices(self, indices: Tensor) -> None:
        """``ValueError`` unless ``indices`` is an integer [B, H, W] tensor with values in [0, N)."""
        if indices.dtype.is_floating_point or indices.dim() != 3:
            raise ValueError(f"expected integer indices [B, H, W], got {indices.dtype} {list(indices.shape)}")
        if indices.numel() and not indices.is_meta and (int(indices.min()) < 0 or int(indices.max()) >= self.num_codes):
            raise ValueError(f"indices must lie in [0, {self.num_codes})")

    def features(self, indices: Tensor) -> Tensor:
        """``lookup`` without its checks, for indices this quantizer made (the training hot path)."""
        return self.codewords()[indices].permute(0, 3, 1, 2)

    def expected(self, probabilities: Tensor) -> Tensor:
        """Soft dequantization: :input probabilities: [B, H, W, N], a distribution over the codewords per position.
        :output: [B, K, H, W], ``sum_n P(n) codewords()[n]``."""
        if probabilities.dim() != 4 or probabilities.shape[-1] != self.num_codes:
            raise ValueError(f"expected probabilities [B, H, W, {self.num_codes}], got {list(probabilities.shape)}")
        return (probabilities.to(self.codewords().dtype) @ self.codewords()).permute(0, 3, 1, 2)

    def check_features(self, z: Tensor) -> None:
        if z.dim() != 4 or z.shape[1] != self.dim:
            raise ValueError(f"expected features [B, {self.dim}, H, W], got {list(z.shape)}")

    def statistics(self, indices: Tensor) -> dict[str, Tensor]:
        """``perplexity`` and ``usage`` of a batch of indices (any shape)."""
        counts = torch.bincount(indices.flatten(), minlength=self.num_codes).float()
        p = counts / counts.sum()
        return {"perplexity": torch.exp(-(p * torch.log(p.clamp_min(1e-12))).sum()),
                "usage": (counts > 0).float().mean()}
