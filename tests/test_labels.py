"""Channel-robust index labels (binary switching)."""

import itertools

import pytest
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


def relabelled_small4():
    from vqdeepsc import zoo
    from vqdeepsc.labels import relabel

    model = zoo.load("small-4")
    relabel(model, torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(0)))
    return model


def test_relabelling_is_a_bijection_and_leaves_the_error_free_round_trip_unchanged():
    from vqdeepsc import zoo
    from vqdeepsc.link.bits import indices_to_bits
    from vqdeepsc.transceiver import to_indices

    plain, model = zoo.load("small-4"), relabelled_small4()
    assert any(not torch.equal(lab, torch.arange(len(lab))) for lab in model.index_labels())
    for lab in model.index_labels():
        assert sorted(lab.tolist()) == list(range(len(lab)))
    images = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        bits = indices_to_bits(model.encode(images), model.preset.bits_per_index)
        plain_bits = indices_to_bits(plain.encode(images), plain.preset.bits_per_index)
        assert not torch.equal(bits, plain_bits)  # other labels on the link ...
        received = model.decode(to_indices(model, bits, 32, 32))
        assert torch.equal(received, plain.decode(plain.encode(images)))  # ... the same image out


def test_receivers_follow_the_labels():
    from vqdeepsc.link.bits import indices_to_bits
    from vqdeepsc.link.phy import Posterior
    from vqdeepsc.receivers import HardReceiver, SoftReceiver

    model = relabelled_small4()
    with torch.no_grad():
        bits = indices_to_bits(model.encode(torch.rand(2, 3, 32, 32)), model.preset.bits_per_index)
        flipped = torch.where(torch.rand(bits.shape, generator=torch.Generator().manual_seed(3)) < 0.05, 1 - bits, bits)
        certain = Posterior((2 * flipped - 1) * 1e4, torch.zeros_like(flipped, dtype=torch.bool))
        hard = HardReceiver().features(model, flipped, certain, (32, 32))
        soft = SoftReceiver().features(model, flipped, certain, (32, 32))
    assert all(torch.equal(h, s) for h, s in zip(hard, soft))


def test_a_model_file_without_labels_loads_with_the_identity_and_relabel_writes_a_new_file(tmp_path, photo_dir):
    from pathlib import Path

    from vqdeepsc.checkpoint import load_model
    from vqdeepsc.cli import main

    old = load_model(Path(__file__).parent / "data" / "old-4.safetensors")
    assert all(torch.equal(lab, torch.arange(len(lab))) for lab in old.index_labels())
    out = tmp_path / "relabelled.safetensors"
    assert main(["relabel", "--model", "small-4", "--data", str(photo_dir), "--limit", "2", "-o", str(out)]) == 0
    assert any(not torch.equal(lab, torch.arange(len(lab))) for lab in load_model(out).index_labels())
    with pytest.raises(SystemExit) as refused:  # never overwritten
        main(["relabel", "--model", "small-4", "--data", str(photo_dir), "-o", str(out)])
    assert refused.value.code == 2
