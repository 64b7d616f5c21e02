"""Indices of the semantic embedding spaces <-> the flat bit stream the link carries.

Bit order: scales in the order given (finest transmitted scale first, as
:attr:`vqdeepsc.config.Preset.transmitted`), each scale row-major over ``[H_l, W_l]``,
each index in ``ceil(log2 N_l)`` bits, most significant bit first.

Example: two scales with widths ``(2, 1)``, indices ``[[1, 3]]`` (1x2) and ``[[1]]`` (1x1)
give the bits ``0 1 1 1 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _shifts(width: int, device: torch.device) -> torch.Tensor:
    """``[width - 1, ..., 0]``: the bit positions of one index, MSB first."""
    return torch.arange(width - 1, -1, -1, device=device)


def check_binary(bits: torch.Tensor, name: str = "bits") -> None:
    """``ValueError`` unless every entry of ``bits`` is 0 or 1."""
    if bits.is_complex() or not bool(((bits == 0) | (bits == 1)).all()):
        raise ValueError(f"{name} must contain only 0 and 1")


def index_bits(bits_per_index: Sequence[int], shapes: Sequence[tuple[int, int]]) -> int:
    """Bits of one payload: ``sum_l H_l W_l ceil(log2 N_l)``."""
    if len(bits_per_index) != len(shapes):
        raise ValueError(f"{len(bits_per_index)} bit widths but {len(shapes)} scale shapes")
    if any(w < 1 for w in bits_per_index):
        raise ValueError(f"bits per index must be positive, got {tuple(bits_per_index)}")
    return sum(h * w * b for (h, w), b in zip(shapes, bits_per_index))


def indices_to_bits(indices: Sequence[torch.Tensor], bits_per_index: Sequence[int]) -> torch.Tensor:
    """Pack the indices of every transmitted scale into one bit stream per image.

    :param indices: ``[B, H_l, W_l]``, integer, one tensor per transmitted scale, finest first;
        ``0 <= s < 2^bits_per_index[l]``.
    :param bits_per_index: ``ceil(log2 N_l)`` per scale.
    :output bits: ``[B, n_bits]``, ``torch.float32`` of 0/1, ``n_bits = sum_l H_l W_l bits_per_index[l]``.
    """
    if len(indices) != len(bits_per_index) or not indices:
        raise ValueError(f"{len(indices)} index tensors but {len(bits_per_index)} bit widths")
    batch = indices[0].shape[0] if indices[0].dim() else None
    chunks = []
    for l, (s, width) in enumerate(zip(indices, bits_per_index)):
        if s.dim() != 3 or s.shape[0] != batch:
            raise ValueError(f"indices of scale {l}: expected [B={batch}, H, W], got {list(s.shape)}")
        if s.is_floating_point() or s.is_complex() or s.dtype == torch.bool:
            raise ValueError(f"indices of scale {l} must be integers, got {s.dtype}")
        if width < 1:
            raise ValueError(f"bits per index must be positive, got {width} for scale {l}")
        if s.numel() and (int(s.min()) < 0 or int(s.max()) >= 2**width):
            raise ValueError(f"indices of scale {l} must lie in [0, {2**width}), got [{int(s.min())}, {int(s.max())}]")
        b = (s.reshape(batch, -1, 1).long() >> _shifts(width, s.device)) & 1
        chunks.append(b.reshape(batch, -1))
    return torch.cat(chunks, dim=1).float()


def split_payload(values: torch.Tensor, bits_per_index: Sequence[int],
                  shapes: Sequence[tuple[int, int]]) -> list[torch.Tensor]:
    """Per-bit values of a payload (bits, LLRs, flags) cut into its indices, in :func:`indices_to_bits`'s order.

    :param values: ``[B, n_bits]``, any dtype.
    :output: ``[B, H_l, W_l, bits_per_index[l]]`` per scale, each index's values MSB first.
    """
    n_bits = index_bits(bits_per_index, shapes)
    if values.dim() != 2 or values.shape[1] != n_bits:
        raise ValueError(f"expected bits of shape [B, {n_bits}], got {list(values.shape)}")
    sizes = [h * w * width for (h, w), width in zip(shapes, bits_per_index)]
    return [chunk.reshape(values.shape[0], h, w, width)
            for chunk, (h, w), width in zip(values.split(sizes, dim=1), shapes, bits_per_index)]


def bits_to_indices(
    bits: torch.Tensor, bits_per_index: Sequence[int], shapes: Sequence[tuple[int, int]]
) -> list[torch.Tensor]:
    """Inverse of :func:`indices_to_bits`.

    :param bits: ``[B, n_bits]``, any real dtype, 0/1.
    :param bits_per_index: ``ceil(log2 N_l)`` per scale.
    :param shapes: ``(H_l, W_l)`` per scale, in the same order.
    :output indices: ``[B, H_l, W_l]``, ``torch.int64``, one tensor per scale.
    """
    chunks = split_payload(bits, bits_per_index, shapes)
    check_binary(bits)
    return [(chunk.long() << _shifts(chunk.shape[-1], bits.device)).sum(dim=-1) for chunk in chunks]
