"""Early-terminated LDPC decoding against Sionna's fixed-iteration decoder on the same LLRs."""

import json
import math

import pytest
import torch

from vqdeepsc.cli import main
from vqdeepsc.link.channel import snr_db_to_no
from vqdeepsc.link.ldpc import SionnaLDPCDecoder
from vqdeepsc.link.phy import DigitalLink, plan_codewords


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def make_code(k):
    """A rate-1/3 code with 16-QAM over AWGN: its encoder and a function drawing ``(u, llr)`` pairs."""
    from sionna.phy.fec.ldpc import LDPC5GEncoder
    from sionna.phy.mapping import Demapper, Mapper

    encoder = LDPC5GEncoder(k, 3 * k, num_bits_per_symbol=4)
    mapper, demapper = Mapper("qam", 4), Demapper("app", "qam", 4)

    def llrs(count, snr_db, seed=1):
        g = gen(seed)
        u = torch.randint(0, 2, (count, k), generator=g).float()
        x, no = mapper(encoder(u)), snr_db_to_no(snr_db)
        w = torch.complex(torch.randn(x.shape, generator=g), torch.randn(x.shape, generator=g)) * math.sqrt(no / 2)
        return u, demapper(x + w, no)

    return encoder, llrs


@pytest.fixture(scope="module")
def code():
    return make_code(240)


def hard(posterior):
    """The decoder's hard decision: ``logit >= 0``."""
    return (posterior >= 0).float()


def test_a_valid_codeword_stops_at_the_first_check(code):
    encoder, llrs = code
    u, llr = llrs(8, 30.0)
    decoder = SionnaLDPCDecoder(encoder)
    posterior, iterations, valid = decoder(llr)
    assert torch.equal(hard(posterior), u) and (iterations == decoder.checks[0]).all() and decoder.checks[0] < 20
    assert valid.all()


def test_a_corrected_codeword_is_corrected_identically(code):
    encoder, llrs = code
    u, llr = llrs(64, 4.0)
    early, iterations, early_valid = SionnaLDPCDecoder(encoder)(llr)
    fixed, fixed_iterations, fixed_valid = SionnaLDPCDecoder(encoder, early_stop=False)(llr)
    early, fixed = hard(early), hard(fixed)
    channel_errors = ((llr > 0).float()[:, :240] != u).any(dim=1)
    corrected = (fixed == u).all(dim=1) & channel_errors
    assert corrected.sum() >= 32  # the channel really damaged them, and BP really repaired them
    assert torch.equal(early[corrected], fixed[corrected])
    assert (iterations[corrected] < 20).float().mean() > 0.8 and (fixed_iterations == 20).all()
    assert early_valid[corrected].all() and fixed_valid[corrected].all()


def test_an_uncorrectable_codeword_runs_to_the_maximum_and_counts_as_an_error():
    link = DigitalLink("awgn", num_iter=12)
    _, stats = link(torch.randint(0, 2, (2, 3000), generator=gen()), -2.0, gen())
    assert stats.codeword_errors == stats.num_codewords == 2 and stats.iterations == 2 * 12


def test_early_and_fixed_decoders_agree_at_the_waterfall():
    """Same LLRs into both decoders, 3000 short codewords (k = 40, to keep it fast) where about half fail: the
    codeword error rates agree within their 99 % confidence interval, and every codeword both decode to a valid
    codeword is identical."""
    encoder, llrs = make_code(40)
    u, llr = llrs(3000, 3.0)
    early_decoder = SionnaLDPCDecoder(encoder)
    early, iterations, early_valid = early_decoder(llr)
    fixed, _, fixed_valid = SionnaLDPCDecoder(encoder, early_stop=False)(llr)
    early, fixed = hard(early), hard(fixed)
    wrong_early, wrong_fixed = (early != u).any(dim=1).float(), (fixed != u).any(dim=1).float()
    p = wrong_fixed.mean().item()
    assert 0.2 < p < 0.8  # really the waterfall
    assert abs(wrong_early.mean().item() - p) < 2.58 * math.sqrt(2 * p * (1 - p) / 3000)
    both_valid = (iterations < 20) & ~wrong_fixed.bool()
    assert both_valid.sum() > 1000 and torch.equal(early[both_valid], fixed[both_valid])
    assert iterations.float().mean() < 20  # and it did save work
    assert early_valid[iterations < 20].all()
    # a codeword that satisfies every check is (almost always) right; on this short n = 120 code about 2 % of them
    # are wrong valid codewords (the link's codes are 50-200x longer), and a few right ones fail a check
    assert (wrong_fixed.bool() & fixed_valid).sum() < 0.05 * fixed_valid.sum()
    assert fixed_valid.sum() > 0.9 * (1 - wrong_fixed).sum()


def test_the_fixed_decoder_is_selectable_and_gives_the_same_bits_above_the_waterfall():
    bits = torch.randint(0, 2, (2, 7616), generator=gen())
    early, s_early = DigitalLink("rayleigh")(bits, 12.0, gen(3))
    fixed, s_fixed = DigitalLink("rayleigh", decoder="fixed")(bits, 12.0, gen(3))
    assert torch.equal(early, bits.float()) and torch.equal(fixed, bits.float())
    assert s_fixed.iterations == 20 * s_fixed.num_codewords and s_early.mean_iterations < 10
    with pytest.raises(ValueError, match="unknown decoder 'late'"):
        DigitalLink("awgn", decoder="late")


def test_base_graph_2_segmentation():
    plan = plan_codewords(20032, max_k=3824)
    assert (plan.num_codewords, plan.k, plan.channel_symbols) == (6, 3340, 15030)
    assert plan_codewords(7616, max_k=3824).k == 3808
    with pytest.raises(ValueError, match="max_k must be"):
        plan_codewords(100, max_k=9000)


def test_link_command_switches_decoder(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    main(["link", "--channel", "awgn", "--snr", "10", "--bits", "3824", "--payload-bits", "3824",
          "--decoder", "fixed", "--max-k", "3824", "--json", str(out)])
    result = json.loads(out.read_text())
    assert (result["decoder"], result["k"], result["iterations"], result["bit_errors"]) == ("fixed", 3824, [20.0], [0])
    assert "k = 3824, 20 it." in capsys.readouterr().out
