"""Finite scalar quantization (Mentzer et al., "Finite Scalar Quantization: VQ-VAE Made Simple", ICLR 2024)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .base import Quantizer

LEVELS = {2: (2,), 4: (4,), 8: (2, 2, 2), 16: (4, 4), 32: (8, 4), 64: (4, 4, 4), 2 ** 7: (8, 4, 4),
          2 ** 13: (8, 8, 8, 4, 4), 2 ** 16: (8, 8, 8, 8, 4, 4)}
"""Levels per dimension for the paper's codebook sizes and the ``beyond-*`` presets' (``config.BEYOND_SCALES``), as
the FSQ paper suggests (about 4-8 per dimension; its 2^16 grid is 8, 8, 8, 5, 5, 5, here powers of 2 so that N is a
power of 2 and every index of ceil(log2 N) bits is a code)."""


def default_levels(num_codes: int) -> tuple[int, ...]:
    """FSQ levels whose product is exactly ``num_codes`` (a table for the paper's N, else powers of 2 and 4)."""
    if num_codes in LEVELS:
        return LEVELS[num_codes]
    if num_codes & (num_codes - 1):
        raise ValueError(f"FSQ needs a product of levels; give levels for N={num_codes} explicitly")
    bits = int(math.log2(num_codes))
    return (4,) * (bits // 2) + (2,) * (bits % 2)


class FiniteScalarQuantizer(Quantizer):
    """A 1x1 conv projects ``z`` to ``d = len(levels)`` dimensions, each bounded by ``tanh`` and rounded to one of
    ``levels[i]`` evenly spaced values in [-1, 1]; a 1x1 conv projects back to K. The codes are the
    ``prod(levels) = N`` grid points (no codebook to collapse, no auxiliary loss); the index is the mixed-radix
    number of the levels, first dimension most significant.

    The grid is symmetric, ``{-(L-1)/2, ..., (L-1)/2} / ((L-1)/2)``, so even L (and L = 2) need no offset and the
    gradient at z = 0 is 1 (the original's shifted ``tanh`` for even L saturates for L = 2).

    :param num_codes: N, the product of ``levels``.
    :param dim: K.
    :param levels: levels per dimension; default ``default_levels(N)``.

    Tensor contract: ``Quantizer``; ``z_q`` carries the straight-through gradient of the rounding,
    ``codebook_loss = commitment_loss = 0``.
    """

    def __init__(self, num_codes: int, dim: int, levels: tuple[int, ...] | None = None):
        super().__init__(num_codes, dim)
        levels = tuple(levels) if levels is not None else default_levels(num_codes)
        if math.prod(levels) != num_codes or min(levels) < 2:
            raise ValueError(f"FSQ levels {levels} do not give exactly N={num_codes} codes")
        self.levels = levels
        self.project_in = nn.Conv2d(dim, len(levels), 1)
        self.project_out = nn.Conv2d(len(levels), dim, 1)
        self.register_buffer("_levels", torch.tensor(levels, dtype=torch.float32), persistent=False)
        radix = [math.prod(levels[i + 1:]) for i in range(len(levels))]
        self.register_buffer("_radix", torch.tensor(radix, dtype=torch.int64), persistent=False)

    def _half(self) -> Tensor:
        return ((self._levels - 1) / 2)[None, :, None, None]

    def _grid_values(self, z: Tensor) -> Tensor:
        """Bounded, rounded values in level units: integers + (L-1)/2 offsets, with a straight-through gradient."""
        half = self._half()
        bounded = torch.tanh(self.project_in(z).float()) * half
        rounded = torch.round(bounded + half) - half  # level k in [0, L) minus (L-1)/2
        return bounded + (rounded - bounded).detach()

    def _to_indices(self, values: Tensor) -> Tensor:
        digits = (values.detach() + self._half()).round().long()
        return (digits * self._radix[None, :, None, None]).sum(1)

    def _from_indices(self, indices: Tensor) -> Tensor:
        digits = (indices[..., None] // self._radix) % self._levels.long()
        return digits.float() - (self._levels - 1) / 2  # [..., d]

    def codewords(self) -> Tensor:
        grid = self._from_indices(torch.arange(self.num_codes, device=self._radix.device))
        return self._project_out(grid[:, :, None, None])[:, :, 0, 0]

    def _project_out(self, values: Tensor) -> Tensor:
        return self.project_out(values / self._half().to(values.dtype))

    def quantize(self, z: Tensor) -> Tensor:
        self.check_features(z)
        return self._to_indices(self._grid_values(z))

    def forward(self, z: Tensor) -> dict[str, Tensor]:
        self.check_features(z)
        values = self._grid_values(z)
        indices = self._to_indices(values)
        zero = z.new_zeros(())
        projected = self._project_out(values)  # the gradient path; its value is the looked-up codeword
        z_q = self.features(indices).detach().to(projected.dtype) + (projected - projected.detach())
        return {"z_q": z_q, "indices": indices, "codebook_loss": zero,
                "commitment_loss": zero, **self.statistics(indices)}
