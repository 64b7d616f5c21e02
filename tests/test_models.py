"""Shape contracts, quantization and gradients of the semantic codec."""

from dataclasses import replace

import pytest
import torch

from vqdeepsc.config import PRESETS, Preset, get_preset
from vqdeepsc.models.blocks import DownSampleBlock, ResidualBlock, UpSampleBlock
from vqdeepsc.models.decoder import SemanticDecoder
from vqdeepsc.models.discriminator import PatchDiscriminator
from vqdeepsc.models.encoder import SemanticEncoder
from vqdeepsc.models.quantizers import SemanticEmbeddingSpace
from vqdeepsc.models.system import VQDeepSC, count_parameters

TINY_4 = Preset("tiny-4", 4, (8, 8, 16, 16), (16, 8, 4, 2))
TINY_3 = Preset("tiny-3", 4, (8, 8, 16, 16), (None, 64, 32, 8))


def test_block_shapes():
    x = torch.rand(2, 6, 16, 16)
    assert ResidualBlock(6)(x).shape == (2, 6, 16, 16)
    assert DownSampleBlock(6, 10)(x).shape == (2, 10, 8, 8)
    assert UpSampleBlock(6, 10)(x).shape == (2, 10, 32, 32)
    assert PatchDiscriminator(8)(torch.rand(2, 3, 128, 128)).shape == (2, 1, 14, 14)


def test_encoder_and_decoder_shapes():
    feats = SemanticEncoder(4, (8, 8, 16, 16))(torch.rand(2, 3, 128, 128))
    assert [tuple(f.shape) for f in feats] == [(2, 8, 64, 64), (2, 8, 32, 32), (2, 16, 16, 16), (2, 16, 8, 8)]
    assert SemanticDecoder((8, 8, 16, 16), (16, 8, 8, 4), (0, 1, 2, 3))(feats).shape == (2, 3, 128, 128)
    dec3 = SemanticDecoder((8, 8, 16, 16), (16, 8, 8, 4), (1, 2, 3))
    out = dec3([None, *feats[1:]])
    assert out.shape == (2, 3, 128, 128) and 0 <= out.min() and out.max() <= 1
    # the untransmitted 64x64 scale is not concatenated: the last up-sample block sees only C_1 = 8 channels
    assert dec3.up[-1][0].body[0].in_channels == 8


def test_the_decoders_concatenations_are_the_papers():
    """DESIGN.md: paper-4 concatenates 16x16x(2x512), 32x32x(2x256), 64x64x(2x128) and ends on the stem width;
    files saved before ``up_widths`` existed keep their (narrower-first) legacy widths."""
    with torch.device("meta"):
        model = VQDeepSC(get_preset("paper-4"))
        decoder = model.decoder
        x = model.encoder(torch.zeros(1, 3, 128, 128))
        f = decoder.head(x[-1])
        seen = []
        for l, block in zip((2, 1, 0), decoder.up):
            f = torch.cat([block(f), x[l]], dim=1)
            seen.append(tuple(f.shape[1:]))
    assert seen == [(2 * 512, 16, 16), (2 * 256, 32, 32), (2 * 128, 64, 64)]
    assert decoder.to_image[0].in_channels == 64 and get_preset("small-4").up_widths == (64, 32, 16, 8)
    old = {k: v for k, v in get_preset("paper-4").to_dict().items() if k != "up_widths"}
    assert Preset.from_dict(old).up_widths == (64, 512, 256, 128)


@pytest.mark.parametrize("sizes", [(16, 8, 4, 2), (None, 64, 32, 8)])
def test_fine_blocks_work_at_the_finest_sent_scale_and_leave_the_bits(sizes):
    plain = Preset("p", 4, (8, 8, 16, 16), sizes)
    fine = Preset("f", 4, (8, 8, 16, 16), sizes, encoder_fine_blocks=2, decoder_fine_blocks=3)
    torch.manual_seed(0)
    a, b = VQDeepSC(plain).eval(), VQDeepSC(fine).eval()
    x = torch.rand(1, 3, 64, 64)
    assert a.code_shapes(64, 64) == b.code_shapes(64, 64)
    assert [c.shape for c in a.encode(x)] == [c.shape for c in b.encode(x)]
    assert len(b.encoder.fine) == 2 and len(b.decoder.fine) == 3 and len(a.encoder.fine) == len(a.decoder.fine) == 0
    finest = plain.transmitted[0]
    seen = {}
    b.encoder.fine.register_forward_hook(lambda m, i, o: seen.__setitem__("enc", o.shape))
    b.decoder.fine.register_forward_hook(lambda m, i, o: seen.__setitem__("dec", o.shape))
    b.decode(b.encode(x))
    assert seen["enc"][-2:] == seen["dec"][-2:] == (64 >> (finest + 1),) * 2
    assert seen["dec"][1] == fine.up_widths[-2 - finest] + fine.widths[finest]  # after the concatenation
    assert Preset.from_dict({k: v for k, v in fine.to_dict().items() if "fine" not in k}).decoder_fine_blocks == 0


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_shapes_on_meta(name):
    """Every preset (paper width included) at 128x128, without arithmetic: the meta device."""
    preset = PRESETS[name]
    with torch.device("meta"):
        model = VQDeepSC(preset).eval()
        codes = model.encode(torch.zeros(2, 3, 128, 128))
        x_hat = model.decode(codes)
    assert x_hat.shape == (2, 3, 128, 128)
    expect = [(2, *s) for s in model.code_shapes(128, 128)]
    assert [tuple(c.shape) for c in codes] == expect
    sizes = {l: 128 >> (l + 1) for l in preset.transmitted}
    assert [c.shape[-1] for c in codes] == [sizes[l] for l in preset.transmitted]
    if preset.quantized:
        assert all(c.dtype == torch.int64 for c in codes)


def test_paper_parameter_counts():
    """The paper's network (stem 64; widths 128-1024) is about 110 M parameters; the small presets are CPU-sized."""
    with torch.device("meta"):
        counts = {n: count_parameters(VQDeepSC(PRESETS[n])) for n in ("paper-4", "paper-3", "small-4")}
    assert 105e6 < counts["paper-4"] < 115e6
    assert 95e6 < counts["paper-3"] < counts["paper-4"]
    assert counts["small-4"] < counts["paper-4"] / 20


@pytest.mark.parametrize("preset", [TINY_4, TINY_3])
def test_indices_in_range_and_decode_matches_forward(preset):
    torch.manual_seed(0)
    model = VQDeepSC(preset)
    x = torch.rand(3, 3, 64, 64)
    model.train()
    model(x)  # one training pass moves the BN statistics away from their initial values
    model.eval()
    with torch.no_grad():
        out = model(x)
        codes = model.encode(x)
        x_hat = model.decode(codes)
    for c, n, idx in zip(codes, [preset.codebook_sizes[l] for l in preset.transmitted], out["indices"]):
        assert c.min() >= 0 and c.max() < n
        assert torch.equal(c, idx)
    assert torch.equal(x_hat, out["x_hat"])


@pytest.mark.parametrize("preset", [TINY_4, TINY_3])
def test_the_closed_loop_chooses_with_the_receivers_state(preset):
    """The closed-loop transmitter starts as the open loop (its last conv is zero), then chooses each finer scale's
    codewords with the coarser scales as the receiver decoded them; the receiver decodes its indices to exactly the
    image of the training pass, and the gradient reaches the encoder and the choice."""
    closed = replace(preset, closed_loop=True)
    torch.manual_seed(0)
    model, open_loop = VQDeepSC(closed), VQDeepSC(preset)
    assert sorted(model.closed_loop) == [str(l) for l in sorted(preset.transmitted[:-1])]
    x = torch.rand(3, 3, 64, 64)
    model.train()
    model(x)["x_hat"].mean().backward()
    assert model.encoder.stem[0].weight.grad.abs().sum() > 0
    assert all(c[-1].weight.grad.abs().sum() > 0 for c in model.closed_loop.values())
    assert open_loop.load_state_dict(model.state_dict(), strict=False).unexpected_keys
    model.eval(), open_loop.eval()
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(model.encode(x), open_loop.encode(x)))
        for choice in model.closed_loop.values():
            choice[-1].weight.normal_(0, 0.5)
        out, codes = model(x), model.encode(x)
        assert torch.equal(model.decode(codes), out["x_hat"])
        assert all(torch.equal(c, i) for c, i in zip(codes, out["indices"]))
        assert not all(torch.equal(a, b) for a, b in zip(codes, open_loop.encode(x)))
        model.embedding_spaces[-1].codebook.add_(1.0)  # the deepest codewords move, and the receiver's state
        moved = model.encode(x)
    assert not torch.equal(moved[-2], codes[-2])  # the next finer scale chooses for the new state
    with pytest.raises(ValueError, match="upper bound"):
        replace(closed, quantized=False)


def test_upper_bound_sends_features():
    model = VQDeepSC(Preset("tiny-4-upper", 4, (8, 8, 16, 16), (16, 8, 4, 2), quantized=False)).eval()
    x = torch.rand(1, 3, 32, 32)
    codes = model.encode(x)
    assert [tuple(c.shape) for c in codes] == [(1, 8, 16, 16), (1, 8, 8, 8), (1, 16, 4, 4), (1, 16, 2, 2)]
    out = model(x)
    assert torch.equal(model.decode(codes), out["x_hat"]) and out["codebook_loss"] == 0


def test_quantization_is_nearest_neighbour():
    space = SemanticEmbeddingSpace(5, 3)
    z = torch.randn(2, 3, 4, 4)
    idx = space.quantize(z)
    flat = z.permute(0, 2, 3, 1).reshape(-1, 3)
    brute = torch.cdist(flat, space.codebook.detach()).argmin(1).view(2, 4, 4)
    assert torch.equal(idx, brute)
    assert torch.equal(space.lookup(idx), space.codebook.detach()[idx].permute(0, 3, 1, 2))


def test_straight_through_gradient_reaches_encoder():
    torch.manual_seed(0)
    model = VQDeepSC(TINY_4)
    out = model(torch.rand(2, 3, 32, 32))
    out["x_hat"].mean().backward()
    assert model.encoder.stem[0].weight.grad.abs().sum() > 0
    assert all(s.codebook.grad is None or s.codebook.grad.abs().sum() == 0 for s in model.embedding_spaces)


def test_codebook_loss_moves_codebook_and_commitment_moves_encoder():
    torch.manual_seed(0)
    model = VQDeepSC(TINY_4)
    x = torch.rand(2, 3, 32, 32)
    model(x)["codebook_loss"].backward()
    assert model.encoder.stem[0].weight.grad is None
    assert all(s.codebook.grad.abs().sum() > 0 for s in model.embedding_spaces)
    model.zero_grad(set_to_none=True)
    model(x)["commitment_loss"].backward()
    assert model.encoder.stem[0].weight.grad.abs().sum() > 0
    assert all(s.codebook.grad is None for s in model.embedding_spaces)


def test_codebook_remedies_revive_dead_codes():
    """k-means init uses every code at once; a dead-code restart revives codes no vector is near."""
    torch.manual_seed(0)
    z = torch.randn(4, 8, 8, 8) + 3.0  # far from the U(-1/N, 1/N) initial codebook
    plain = SemanticEmbeddingSpace(16, 8).train()
    assert plain(z)["usage"] < 0.5
    kmeans = SemanticEmbeddingSpace(16, 8, kmeans_init=True).train()
    assert kmeans(z)["usage"] == 1.0
    restart = SemanticEmbeddingSpace(16, 8, dead_code_threshold=0.5).train()
    for _ in range(200):
        out = restart(z)
    assert out["usage"] > 0.5
    ema = SemanticEmbeddingSpace(16, 8, kmeans_init=True, ema_decay=0.9).train()
    before = ema(z)["commitment_loss"]
    for _ in range(20):
        after = ema(z)["commitment_loss"]
    assert after < before and not ema.codebook.requires_grad


def test_bad_input_is_a_clear_error():
    model = VQDeepSC(TINY_4)
    with pytest.raises(ValueError, match="multiples of 16"):
        model.encode(torch.rand(1, 3, 40, 32))
    with pytest.raises(ValueError, match=r"\[B, 3, H, W\]"):
        model.encode(torch.rand(1, 1, 32, 32))
    with pytest.raises(ValueError, match="unknown preset 'paper-5'"):
        get_preset("paper-5")
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 16\)"):
        model.embedding_spaces[0].lookup(torch.full((1, 2, 2), 16))
    with pytest.raises(ValueError, match="deepest scale"):
        Preset("bad", 4, (8, 8), (4, None))
