"""The paper's codebook trained with the rotation trick instead of the straight-through copy."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from .vq import SemanticEmbeddingSpace


class RotationEmbeddingSpace(SemanticEmbeddingSpace):
    """``SemanticEmbeddingSpace`` whose gradient to the encoder goes through a rotation and rescaling.

    Fifty et al., "Restructuring Vector Quantization with the Rotation Trick" (ICLR 2025), eq. 4.2: in the
    forward pass ``e = sg[lambda R] f`` with ``R`` the Householder-style rotation taking ``f / ||f||`` onto
    ``e / ||e||`` and ``lambda = ||e|| / ||f||``, both treated as constants, so the gradient that reaches ``f``
    is the decoder's gradient at ``e`` rotated back, and its angle to ``e`` matters. Values, indices, losses and
    options are exactly the parent's. Tensor contract: ``Quantizer``.
    """

    def gradient_path(self, z: Tensor, e: Tensor) -> Tensor:
        f = z.permute(0, 2, 3, 1)
        q = e.detach().permute(0, 2, 3, 1)
        f_norm = f.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        q_norm = q.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        u, v = (f / f_norm).detach(), q / q_norm
        w = F.normalize(u + v, dim=-1, eps=1e-12)
        rotated = f - 2 * (f * w).sum(-1, keepdim=True) * w + 2 * (f * u).sum(-1, keepdim=True) * v
        rotated = (rotated * (q_norm / f_norm).detach()).permute(0, 3, 1, 2)
        return rotated - rotated.detach()
