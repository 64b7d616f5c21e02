"""Receivers: hard and soft-decision dequantization of received bits."""

import pytest
import torch

from vqdeepsc import zoo
from vqdeepsc.evaluate import evaluate
from vqdeepsc.link.bits import indices_to_bits
from vqdeepsc.link.phy import DigitalLink, Posterior
from vqdeepsc.receivers import RECEIVERS, HardReceiver, SoftReceiver, codeword_log_posteriors, get_receiver
from vqdeepsc.transceiver import Transceiver

SIZE = (32, 32)


@pytest.fixture(scope="module")
def sent():
    """The shipped small-4, two random 32x32 images, their bits."""
    model = zoo.load("small-4")
    images = torch.rand(2, 3, *SIZE, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        bits = indices_to_bits(model.encode(images), model.preset.bits_per_index)
    return model, images, bits


def flip(bits, rate, seed=1):
    mask = torch.rand(bits.shape, generator=torch.Generator().manual_seed(seed)) < rate
    return torch.where(mask, 1 - bits, bits)


def unreliable(llr):
    return Posterior(llr, torch.zeros_like(llr, dtype=torch.bool))


def test_log_posteriors_of_an_index():
    # two bits, MSB first: logits strongly 1 then strongly 0 -> codeword 0b10 = 2
    p = codeword_log_posteriors(torch.tensor([[30.0, -30.0]]), 4).exp()
    assert p.argmax().item() == 2 and p.sum().item() == pytest.approx(1.0)
    # independent bits: P(n) = prod_j P(bit_j)
    llr = torch.tensor([0.7, -1.3])
    p1 = torch.sigmoid(llr)
    expected = torch.tensor([(1 - p1[0]) * (1 - p1[1]), (1 - p1[0]) * p1[1], p1[0] * (1 - p1[1]), p1[0] * p1[1]])
    assert torch.allclose(codeword_log_posteriors(llr, 4).exp(), expected, atol=1e-6)
    # N = 3 in 2 bits: index 3 cannot have been sent, the rest renormalised
    p3 = codeword_log_posteriors(llr, 3).exp()
    assert torch.allclose(p3, expected[:3] / expected[:3].sum(), atol=1e-6)
    # a higher temperature flattens
    assert codeword_log_posteriors(llr, 4, temperature=4.0).exp().max() < expected.max()
    with pytest.raises(ValueError, match="cannot carry 5 codewords"):
        codeword_log_posteriors(llr, 5)


def test_soft_with_certain_bits_is_exactly_hard(sent):
    model, _, bits = sent
    received = flip(bits, 0.05)  # wrong bits too: the soft receiver follows the (wrongly) certain posteriors
    posterior = unreliable((2 * received - 1) * 1e4)
    hard = HardReceiver().features(model, received, posterior, SIZE)
    soft = SoftReceiver().features(model, received, posterior, SIZE)
    assert all(torch.equal(h, s) for h, s in zip(hard, soft))


def test_soft_with_no_information_is_the_codebook_mean(sent):
    model, _, bits = sent
    soft = SoftReceiver().features(model, bits, unreliable(torch.zeros_like(bits)), SIZE)
    for space, f in zip(model.embedding_spaces, soft):
        mean = space.codewords().mean(0)[None, :, None, None]
        assert torch.allclose(f, mean.expand_as(f), atol=1e-6)


def test_reliable_codewords_are_taken_as_sent_and_erasures_get_the_mean(sent):
    model, _, bits = sent
    reliable = torch.zeros_like(bits, dtype=torch.bool)
    reliable[0] = True  # image 0 came in codewords that passed; image 1 did not
    posterior = Posterior((2 * bits - 1) * 0.1, reliable)  # weak posteriors everywhere
    hard = HardReceiver().features(model, bits, posterior, SIZE)
    soft = SoftReceiver().features(model, bits, posterior, SIZE)
    erased = SoftReceiver(erasures=True).features(model, bits, posterior, SIZE)
    for space, h, s, e in zip(model.embedding_spaces, hard, soft, erased):
        assert torch.equal(s[0], h[0]) and torch.equal(e[0], h[0])
        assert not torch.allclose(s[1], h[1]) and not torch.allclose(s[1], e[1])
        assert torch.allclose(e[1], space.codewords().mean(0)[:, None, None].expand_as(e[1]), atol=1e-6)


def test_receivers_share_the_receptions_and_soft_is_exact_above_the_cliff(sent):
    model, images, _ = sent
    transceiver = Transceiver(model, images)
    seeds = [11, 12]
    clean = transceiver.receive(DigitalLink("awgn"), 20.0, seeds)
    assert clean[1].reliable.all()
    for receiver in RECEIVERS.values():
        assert torch.equal(transceiver.reconstruct(receiver, clean), transceiver.noiseless)
    noisy = transceiver.receive(DigitalLink("awgn"), 1.0, seeds)
    assert sum(noisy[2]["bit_errors"]) > 0.01 * sum(noisy[2]["num_bits"]) and not noisy[1].reliable.any()
    hard, soft = (transceiver.reconstruct(get_receiver(n), noisy) for n in ("hard", "soft"))
    assert not torch.equal(hard, soft)
    with pytest.raises(ValueError, match="unknown receiver 'fuzzy'"):
        get_receiver("fuzzy")


def test_eval_runs_receivers_side_by_side_on_the_same_draws(sent):
    model, images, _ = sent
    result = evaluate(model, images, methods=["vq", "vq-hard", "vq-soft"], channels=["awgn"], snr_db=[1.0, 20.0],
                      dequantize="soft")
    rows = {(r["method"], r["snr_db"]): r for r in result["results"]}
    for snr in (1.0, 20.0):
        assert rows["vq", snr]["ssim"] == rows["vq-soft", snr]["ssim"]  # vq is the --dequantize receiver
        assert rows["vq-hard", snr]["ber"] == rows["vq-soft", snr]["ber"]  # one reception for all receivers
    assert rows["vq-hard", 20.0]["ssim"] == rows["vq-soft", 20.0]["ssim"] == result["noiseless"]["vq"]["ssim"]
    assert rows["vq-hard", 1.0]["ssim"] != rows["vq-soft", 1.0]["ssim"]
    assert result["settings"]["dequantize"] == "soft"


def test_robust_receivers_use_their_decoder_only_for_failed_frames(sent):
    model, images, _ = sent
    robust = zoo.load("small-4")
    with torch.no_grad():
        for p in robust.decoder.parameters():
            p.add_(0.01 * torch.randn(p.shape, generator=torch.Generator().manual_seed(2)))
    methods = ["vq-soft", "vq-robust-soft", "vq-hard", "vq-robust-hard"]
    result = evaluate(model, images, methods=methods, channels=["awgn"], snr_db=[1.0, 20.0], robust=robust)
    rows = {(r["method"], r["snr_db"]): r["ssim"] for r in result["results"]}
    # error-free frames: the sending model's decoder, exactly
    assert len({rows[m, 20.0] for m in methods} | {result["noiseless"]["vq-soft"]["ssim"]}) == 1
    # failed frames (1 dB): the robust decoder
    assert rows["vq-robust-soft", 1.0] != rows["vq-soft", 1.0] and rows["vq-robust-hard", 1.0] != rows["vq-hard", 1.0]
    with pytest.raises(ValueError, match="needs a decoder trained for errors"):
        evaluate(model, images, methods=["vq-robust-soft"], channels=["awgn"], snr_db=[20.0])
    other = zoo.load("small-4")
    with torch.no_grad():
        next(other.encoder.parameters()).add_(1.0)
    with pytest.raises(ValueError, match="was not fine-tuned from this 'small-4' model"):
        evaluate(model, images, methods=["vq-robust-soft"], channels=["awgn"], snr_db=[20.0], robust=other)


@pytest.mark.parametrize("command", ["send", "eval", "demo"])
def test_the_commands_default_to_the_measured_receiver(command):
    import argparse

    from vqdeepsc.cli import build_parser
    from vqdeepsc.receivers import DEFAULT_RECEIVER

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    assert sub.get_default("dequantize") == DEFAULT_RECEIVER
    assert all(name in sub.format_help() for name in RECEIVERS)


def test_the_robust_decoder_takes_only_failed_frames_with_many_expected_errors(sent):
    """Two frames, both with every codeword failed: one whose posteriors are confident (estimated BER ~ 0) keeps
    the sending model's decoder, one whose posteriors are uncertain goes to the decoder trained for errors."""
    model, _, bits = sent
    robust = zoo.load("small-4")
    with torch.no_grad():
        for p in robust.decoder.parameters():
            p.add_(0.01 * torch.randn(p.shape, generator=torch.Generator().manual_seed(2)))
    llr = (2 * bits - 1) * torch.tensor([[20.0], [0.5]])
    posterior = unreliable(llr)
    receiver = get_receiver("robust-soft", robust)
    assert receiver.robust_frames(posterior).tolist() == [False, True]
    with torch.no_grad():
        got = receiver.reconstruct(model, bits, posterior, SIZE)
        features = receiver.features(model, bits, posterior, SIZE)
        own = model.decode_features([f[:1] for f in features])[0]
        theirs = robust.decode_features([f[1:] for f in features])[0]
        other = model.decode_features([f[1:] for f in features])[0]
    assert torch.equal(got[0], own) and torch.equal(got[1], theirs) and not torch.allclose(theirs, other)
