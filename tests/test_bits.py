"""Indices <-> bits: exact round trip for every preset, bit order, and rejected input."""

import pytest
import torch

from vqdeepsc.config import PRESETS
from vqdeepsc.link.bits import bits_to_indices, index_bits, indices_to_bits


def scale_shapes(preset, size=128):
    """``(H_l, W_l)`` of the transmitted scales at a ``size x size`` input: ``size / 2^(l+1)``."""
    return [(size >> (l + 1), size >> (l + 1)) for l in preset.transmitted]


def random_indices(preset, batch, generator):
    return [torch.randint(0, preset.codebook_sizes[l], (batch, h, w), generator=generator)
            for l, (h, w) in zip(preset.transmitted, scale_shapes(preset))]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_round_trip_every_preset(name):
    preset = PRESETS[name]
    indices = random_indices(preset, 3, torch.Generator().manual_seed(0))
    bits = indices_to_bits(indices, preset.bits_per_index)
    n_bits = index_bits(preset.bits_per_index, scale_shapes(preset))
    assert bits.shape == (3, n_bits) and bits.dtype == torch.float32
    assert n_bits == {"4": 20032, "3": 7616, "2": 1472}[name.split("-")[1]]  # the paper's Table I, for every family
    back = bits_to_indices(bits, preset.bits_per_index, scale_shapes(preset))
    assert all(torch.equal(a, b) and b.dtype == torch.int64 for a, b in zip(indices, back))


def test_bit_order_msb_first_finest_scale_first_row_major():
    fine = torch.tensor([[[1, 3], [2, 0]]])  # 2 bits per index
    coarse = torch.tensor([[[5]]])  # 3 bits per index
    bits = indices_to_bits([fine, coarse], (2, 3))
    assert bits.tolist() == [[0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1]]


def test_full_range_of_each_width_round_trips():
    for width in range(1, 9):
        s = torch.arange(2**width).reshape(1, 1, -1)
        assert torch.equal(bits_to_indices(indices_to_bits([s], (width,)), (width,), [(1, 2**width)])[0], s)


def test_invalid_input_raises():
    s = torch.zeros(2, 4, 4, dtype=torch.int64)
    with pytest.raises(ValueError, match="must lie in"):
        indices_to_bits([s + 4], (2,))
    with pytest.raises(ValueError, match="must lie in"):
        indices_to_bits([s - 1], (2,))
    with pytest.raises(ValueError, match="must be integers"):
        indices_to_bits([s.float()], (2,))
    with pytest.raises(ValueError, match="2 index tensors but 1"):
        indices_to_bits([s, s], (2,))
    with pytest.raises(ValueError, match="expected"):
        indices_to_bits([s, torch.zeros(3, 2, 2, dtype=torch.int64)], (2, 2))
    bits = indices_to_bits([s], (2,))
    with pytest.raises(ValueError, match=r"shape \[B, 32\], got \[2, 31\]"):
        bits_to_indices(bits[:, :31], (2,), [(4, 4)])
    with pytest.raises(ValueError, match="only 0 and 1"):
        bits_to_indices(bits + 0.5, (2,), [(4, 4)])
    with pytest.raises(ValueError, match="1 bit widths but 2"):
        bits_to_indices(bits, (2,), [(4, 4), (1, 1)])
