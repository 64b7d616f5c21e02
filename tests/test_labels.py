"""Channel-robust index labels (binary switching)."""

import itertools

import torch

from vqdeepsc.labels import binary_switching, single_error_cost


def test_cost_counts_the_single_bit_neighbours():
    # four codewords on a line: 0, 1, 2, 3; identity labels 00 01 10 11: neighbours of 0 are 1 (bit 0) and 2 (bit 1)
    codewords = torch.tensor([[0.0], [1.0], [2.0], [3.0]])
    prior = torch.full((4,), 0.25)
    # sum over n of d(n, n^1) + d(n, n^2): pairs (0,1),(2,3) at 1 and (0,2),(1,3) at 4, each counted twice
    assert single_error_cost(codewords, prior, torch.arange(4)) == 0.25 * 2 * (1 + 1 + 4 + 4)
    # Gray code along the line: codewords 0 and 3 become neighbours (squared distance 9): 0.25 * (10 + 2 + 2 + 10)
    # (for squared error the natural binary code of a uniform scalar quantizer beats the Gray code)
    assert single_error_cost(codewords, prior, torch.tensor([0, 1, 3, 2])) == 6.0


def test_switching_gives_a_permutation_no_worse_than_identity_and_exhaustive_is_optimal():
    g = torch.Generator().manual_seed(0)
    for n in (8, 16):
        codewords, prior = torch.randn(n, 3, generator=g), torch.rand(n, generator=g)
        prior /= prior.sum()
        labels = binary_switching(codewords, prior)
        assert sorted(labels.tolist()) == list(range(n))
        assert single_error_cost(codewords, prior, labels) <= single_error_cost(codewords, prior, torch.arange(n))
    codewords, prior = torch.randn(4, 2, generator=g), torch.full((4,), 0.25)
    best = min(single_error_cost(codewords, prior, torch.tensor(p)) for p in itertools.permutations(range(4)))
    assert single_error_cost(codewords, prior, binary_switching(codewords, prior)) == best
