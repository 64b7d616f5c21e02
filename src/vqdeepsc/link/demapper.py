"""The soft demapper: exact APP LLRs of square Gray QAM, computed on its two PAMs apart.

Sionna's QAM (TS 38.211 5.1) puts bits ``0, 2, 4, ...`` of a label on the real part and ``1, 3, 5, ...`` on the
imaginary part, each a Gray PAM of ``2^(m/2)`` points scaled by ``1/sqrt(2)``. The noise after ZF is circular, so
``p(y | x) = p(Re y | Re x) p(Im y | Im x)`` and the APP LLR of a real-part bit depends on ``Re y`` alone: the
same LLRs as Sionna's ``Demapper("app", "qam", m)`` from ``m sqrt(M)`` distances per symbol instead of ``m M``
(4x fewer for 16-QAM, 16x for 256-QAM; ``tests/test_link.py`` checks the two agree).
"""

from __future__ import annotations

import math

import torch


class SeparableQAMDemapper(torch.nn.Module):
    """Sionna's APP ``Demapper`` on the in-phase and quadrature PAMs of square QAM.

    :param num_bits_per_symbol: ``m``, even (QPSK 2, 16-QAM 4, 64-QAM 6, 256-QAM 8).

    :input y: ``[..., n]``, ``torch.complex64``, equalized symbols.
    :input no: broadcastable to ``y``, ``torch.float32``, the noise variance of each symbol (complex, ``E|w|^2``).
    :output llr: ``[..., n m]``, ``torch.float32``, logits ``log p(b = 1) / p(b = 0)`` of each symbol's bits in label
        order.
    """

    def __init__(self, num_bits_per_symbol: int, device: str = "cpu"):
        super().__init__()
        from sionna.phy.mapping import Constellation, Demapper, pam

        if num_bits_per_symbol < 2 or num_bits_per_symbol % 2:
            raise ValueError(f"square QAM needs an even number of bits per symbol, got {num_bits_per_symbol}")
        self.m = num_bits_per_symbol
        # a QAM point's real part: the unit-energy PAM point over sqrt(2); the real part's noise variance is no / 2,
        # so exp(-(Re y - Re x)^2 / no), which is what Sionna's demapper computes for these points and ``no``
        points = torch.as_tensor(pam(self.m // 2), dtype=torch.complex64) / math.sqrt(2)
        constellation = Constellation("custom", self.m // 2, points=points, device=device)
        self.pam = Demapper("app", constellation=constellation, device=device)

    def forward(self, y: torch.Tensor, no: torch.Tensor | float) -> torch.Tensor:
        no = torch.as_tensor(no, dtype=torch.float32, device=y.device).expand(y.shape)
        parts = torch.stack([y.real, y.imag], -1).to(y.dtype)  # [..., n, 2]
        llr = self.pam(parts, torch.stack([no, no], -1))  # [..., n, 2 m/2]: the real part's bits, then the imaginary's
        shape = llr.shape[:-1]
        return llr.reshape(*shape, 2, self.m // 2).transpose(-1, -2).reshape(*shape[:-1], -1)
