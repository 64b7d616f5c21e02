"""Quantizers of one scale behind one interface (``base.Quantizer``); the preset names which one is used.

| name | class | gradient to the encoder |
|---|---|---|
| ``vq`` | ``SemanticEmbeddingSpace``: the paper's learned codebook (eq. 2) with opt-in remedies | straight-through copy |
| ``vq-rotation`` | ``RotationEmbeddingSpace``: the same codebook | the rotation trick (Fifty et al., ICLR 2025) |
| ``fsq`` | ``FiniteScalarQuantizer``: a fixed grid of exactly N points (Mentzer et al., ICLR 2024) | straight-through rounding |
"""

from .base import Quantizer
from .fsq import FiniteScalarQuantizer
from .rotation import RotationEmbeddingSpace
from .vq import SemanticEmbeddingSpace

QUANTIZERS: dict[str, type[Quantizer]] = {
    "vq": SemanticEmbeddingSpace,
    "vq-rotation": RotationEmbeddingSpace,
    "fsq": FiniteScalarQuantizer,
}


def make_quantizer(name: str, num_codes: int, dim: int, **options) -> Quantizer:
    """The quantizer called ``name`` for ``num_codes`` codewords of dimension ``dim``; ``options`` go to its class."""
    if name not in QUANTIZERS:
        raise ValueError(f"unknown quantizer {name!r}; known: {', '.join(QUANTIZERS)}")
    return QUANTIZERS[name](num_codes, dim, **QUANTIZERS[name].accepted(options))


__all__ = ["QUANTIZERS", "FiniteScalarQuantizer", "Quantizer", "RotationEmbeddingSpace", "SemanticEmbeddingSpace",
           "make_quantizer"]
