"""Every quantizer keeps the contract: transmitted indices decode to what training saw, exactly N codes in
ceil(log2 N) bits, a gradient to the encoder; old model files load as the paper's VQ; recipes are what they say."""

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from vqdeepsc.budget import bit_budget
from vqdeepsc.checkpoint import load_model, read_model_metadata, save_model
from vqdeepsc.cli import main
from vqdeepsc.config import PRESETS, Preset, get_preset
from vqdeepsc.models.quantizers import QUANTIZERS, FiniteScalarQuantizer, RotationEmbeddingSpace, make_quantizer
from vqdeepsc.models.quantizers.fsq import default_levels
from vqdeepsc.models.system import VQDeepSC
from vqdeepsc.recipes import RECIPES, default_recipe
from vqdeepsc.train import TrainConfig, Trainer

SIZES = (2, 4, 8, 16, 32, 64)  # every codebook size of the paper's presets
DATA = Path(__file__).parent / "data"


def trained(name, n, dim=12, seed=0):
    """A quantizer after one training forward (k-means initialised where it has a codebook) and its data."""
    torch.manual_seed(seed)
    q = make_quantizer(name, n, dim, kmeans_init=True).train()
    z = torch.randn(16, dim, 16, 16) * 2
    q(z)
    return q.eval(), z


@pytest.mark.parametrize("name", QUANTIZERS)
@pytest.mark.parametrize("n", SIZES)
def test_transmitted_indices_decode_to_what_training_saw(name, n):
    q, z = trained(name, n)
    for mode in (q.train, q.eval):
        mode()
        out = q(z)
        indices = q.quantize(z)
        assert indices.dtype == torch.int64 and indices.shape == (16, 16, 16)
        assert torch.equal(indices, out["indices"])
        assert torch.equal(q.lookup(indices), out["z_q"])
        assert torch.equal(q.lookup(indices), q.codewords()[indices].permute(0, 3, 1, 2))


@pytest.mark.parametrize("name", QUANTIZERS)
@pytest.mark.parametrize("n", SIZES)
def test_exactly_n_codes_are_reachable_in_ceil_log2_n_bits(name, n):
    q, _ = trained(name, n)
    assert q.num_codes == n and q.bits_per_index == math.ceil(math.log2(n)) and q.codewords().shape == (n, 12)
    z = torch.randn(64, 12, 32, 32) * 4
    used = torch.unique(q.quantize(z))
    assert used.tolist() == list(range(n))  # every code, and nothing outside [0, N)
    assert torch.unique(q.codewords(), dim=0).shape[0] == n


@pytest.mark.parametrize("name", QUANTIZERS)
def test_the_encoder_receives_a_gradient_and_the_budget_is_unchanged(name):
    torch.manual_seed(0)
    for base in ("small-4", "small-3"):
        preset = Preset(**{**get_preset(base).to_dict(), "quantizer": name})
        model = VQDeepSC(preset)
        out = model(torch.rand(2, 3, 32, 32))
        out["x_hat"].mean().backward()
        assert model.encoder.stem[0].weight.grad.abs().sum() > 0
        assert bit_budget(preset) == bit_budget(get_preset(base))


def test_the_rotation_trick_keeps_values_and_changes_only_the_gradient():
    torch.manual_seed(0)
    ste, rot = make_quantizer("vq", 8, 6), make_quantizer("vq-rotation", 8, 6)
    rot.load_state_dict(ste.state_dict())
    z = torch.randn(2, 6, 4, 4)
    grads = []
    for q in (ste, rot):
        zz = z.clone().requires_grad_()
        out = q(zz)
        (out["z_q"] * torch.arange(6.0)[None, :, None, None]).sum().backward()
        grads.append(zz.grad)
        assert torch.equal(out["z_q"], q.lookup(out["indices"]))
    assert not torch.allclose(grads[0], grads[1])
    # when f equals its codeword the rotation is the identity and the gradient is the straight-through one
    e = ste.lookup(torch.randint(8, (2, 4, 4))).detach()
    g = []
    for q in (ste, rot):
        ee = e.clone().requires_grad_()
        (q(ee)["z_q"] * torch.arange(6.0)[None, :, None, None]).sum().backward()
        g.append(ee.grad)
    assert torch.allclose(g[0], g[1], atol=1e-5)


def test_fsq_levels_give_exactly_n_codes():
    assert {n: default_levels(n) for n in SIZES} == {2: (2,), 4: (4,), 8: (2, 2, 2), 16: (4, 4), 32: (8, 4),
                                                      64: (4, 4, 4)}
    assert math.prod(default_levels(256)) == 256
    with pytest.raises(ValueError, match="do not give exactly N=16"):
        FiniteScalarQuantizer(16, 8, levels=(4, 2))
    with pytest.raises(ValueError, match="unknown quantizer 'pq'"):
        make_quantizer("pq", 16, 8)


def test_model_files_saved_before_the_interface_load_as_the_papers_vq_and_decode_identically():
    """``old-4`` / ``old-3`` (tiny presets, k-means codebooks) and their indices and decoded images were written by
    the code before quantizers were pluggable (commit 4e76be1)."""
    ref = np.load(DATA / "pre_interface_decodes.npz")
    image = torch.from_numpy(ref["image"])
    for name in ("old-4", "old-3"):
        model = load_model(DATA / f"{name}.safetensors")
        assert model.preset.quantizer == "vq" and type(model.embedding_spaces[0]).__name__ == "SemanticEmbeddingSpace"
        with torch.no_grad():
            codes = model.encode(image)
            assert len(codes) == len(model.preset.transmitted)
            for i, c in enumerate(codes):
                assert torch.equal(c, torch.from_numpy(ref[f"{name}_indices_{i}"]).long())
            # the indices are exact; the decoded floats may differ in the last bit with the CPU's convolution
            # kernels (measured: 6e-8 on one machine, 0 on another), far below one 8-bit level (3.9e-3)
            torch.testing.assert_close(model.decode(codes), torch.from_numpy(ref[f"{name}_x_hat"]), rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", QUANTIZERS)
def test_a_model_file_records_its_quantizer(name, tmp_path):
    torch.manual_seed(0)
    preset = Preset(**{**get_preset("small-4").to_dict(), "quantizer": name})
    model = VQDeepSC(preset, kmeans_init=True, ema_decay=0.9 if name == "vq" else None).train()
    model(torch.rand(2, 3, 32, 32))
    model.eval()
    save_model(model, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert read_model_metadata(tmp_path / "m.safetensors")[0].quantizer == name
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded.decode(loaded.encode(x)), model.decode(model.encode(x)))


@pytest.mark.parametrize("name", QUANTIZERS)
def test_each_quantizer_overfits_four_real_images(name, photo_dir, tmp_path, monkeypatch):
    # the quantizer in the paper's open-loop network: with small-4's closed loop a 30-step run of VQ spiked at step
    # 27 (L1 0.56x; measured); the closed-loop small-4 overfits in tests/test_train.py. 60 steps: in 30 the rotation
    # trick reached 0.54x with one thread (it passed with two); in 60, measured, one thread / two: VQ 0.35 / 0.35,
    # rotation 0.45 / 0.40, FSQ 0.30 / 0.30
    monkeypatch.setitem(PRESETS, "small-4", replace(PRESETS["small-4"], closed_loop=False))
    cfg = TrainConfig(preset="small-4", data=str(photo_dir), run_dir=str(tmp_path / "run"), epochs=60, batch_size=4,
                      crop=32, val_crop=32, lr=2e-3, workers=0, gan_weight=0.0, quantizer=name, deterministic=True)
    history = Trainer(cfg).fit()
    assert sum(r["l1"] for r in history[-5:]) / 5 < 0.5 * history[0]["l1"]
    assert history[-1]["val_ssim"] > history[0]["val_ssim"]


def test_recipes_give_their_documented_hyper_parameters(photo_dir, tmp_path):
    paper = dict(epochs=200, batch_size=24, lr=1.75e-4, lr_disc=1e-5, betas=[0.5, 0.999], lr_schedule="constant",
                 lam=5.0, beta_c=0.25, gan_weight=1.0, ssim_weight=0.0, disc_channels=64, quantizer="vq",
                 kmeans_init=False, dead_code_threshold=0.0, ema_decay=None, crop=128, val_crop=128)
    main(["train", "--preset", "small-4", "--recipe", "paper", "--data", str(photo_dir), "--out",
          str(tmp_path / "paper"), "--epochs", "1", "--batch-size", "4", "--crop", "32", "--val-crop", "32",
          "--disc-channels", "8", "--workers", "0"])
    cfg = json.loads((tmp_path / "paper" / "config.json").read_text())
    overridden = {"epochs": 1, "batch_size": 4, "crop": 32, "val_crop": 32, "disc_channels": 8}
    assert {k: cfg[k] for k in paper} == {**paper, **overridden} and cfg["recipe"] == "paper"
    main(["train", "--preset", "small-4", "--data", str(photo_dir), "--out", str(tmp_path / "fast"), "--epochs", "1",
          "--batch-size", "4", "--crop", "32", "--val-crop", "32", "--workers", "0"])
    cfg = json.loads((tmp_path / "fast" / "config.json").read_text())
    assert cfg["recipe"] == "fast" == default_recipe("small-4") and default_recipe("paper-4") == "paper"
    expected = {**RECIPES["fast"], "betas": list(RECIPES["fast"]["betas"]), "epochs": 1, "batch_size": 4, "crop": 32,
                "val_crop": 32}
    assert {k: cfg[k] for k in RECIPES["fast"]} == expected
    assert (cfg["ema_decay"], cfg["ssim_weight"], cfg["gan_weight"], cfg["lr"], cfg["chroma_weight"],
            cfg["lowpass_weight"], cfg["select"]) == (0.99, 1.0, 0.0, 2e-3, 2.0, 0.0, "ssim")  # documented
    main(["train", "--preset", "small-4", "--data", str(photo_dir), "--out", str(tmp_path / "no-ema"), "--epochs", "1",
          "--batch-size", "4", "--crop", "32", "--val-crop", "32", "--workers", "0", "--ema-decay", "0"])
    spaces = load_model(tmp_path / "no-ema" / "best.safetensors").embedding_spaces
    assert all(s.ema_decay is None and s.codebook.requires_grad for s in spaces)  # 0: the codebook loss trains them


@pytest.mark.parametrize("n", (2 ** 7, 2 ** 13, 2 ** 16))
def test_the_beyond_presets_large_fsq_grids_keep_the_contract(n):
    q, z = trained("fsq", n)
    out, indices = q(z), q.quantize(z)
    assert torch.equal(indices, out["indices"]) and 0 <= indices.min() and indices.max() < n
    assert torch.equal(q.lookup(indices), out["z_q"])
    assert torch.equal(q.lookup(indices), q.codewords()[indices].permute(0, 3, 1, 2))
    every = torch.arange(n)  # each of the N grid points is a code, and each index of log2 N bits one of them
    assert torch.equal(q._to_indices(q._from_indices(every).T[None, :, :, None]), every[None, :, None])
    assert q.bits_per_index == math.log2(n) and torch.unique(q.codewords(), dim=0).shape[0] == n


def test_the_beyond_presets_spend_exactly_the_papers_bits():
    for name, paper in (("beyond-4", "paper-4"), ("beyond-3", "paper-3")):
        ours, theirs = bit_budget(get_preset(name)), bit_budget(get_preset(paper))
        assert ours["index_bits"] == theirs["index_bits"] == {"beyond-4": 20032, "beyond-3": 7616}[name]
        assert ours["channel_symbols"] == theirs["channel_symbols"]
        assert get_preset(name).quantizer == "fsq" and default_recipe(name) == "fast"
        model = VQDeepSC(get_preset(name)).eval()
        with torch.no_grad():
            codes = model.encode(torch.rand(1, 3, 128, 128))
        assert sum(c.numel() * b for c, b in zip(codes, model.preset.bits_per_index)) == ours["index_bits"]
