"""The digital link against closed-form theory, bit-exact transport, and rejected input.

Coded tests use one payload size per test so that each builds one encoder/decoder pair; LDPC decoding
(~40 kbit/s of information bits per CPU core) dominates this file's run time.
"""

import math

import pytest
import torch
from scipy import integrate, special, stats

from vqdeepsc.config import PRESETS
from vqdeepsc.link.bits import bits_to_indices, indices_to_bits
from vqdeepsc.link.channel import Rayleigh, Rician, parse_snr_list, snr_db_to_no, zf_equalize
from vqdeepsc.link.mcs import PAPER
from vqdeepsc.link.phy import DigitalLink, plan_codewords
from vqdeepsc.link.sweep import ber_sweep, format_sweep, plot_sweep
from test_bits import random_indices, scale_shapes

SHANNON_DB = 10 * math.log10(2 ** (4 / 3) - 1)  # Es/N0 where log2(1 + SNR) = 4/3 bit per complex symbol: 1.82 dB


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def random_bits(batch, n, seed=1):
    return torch.randint(0, 2, (batch, n), generator=gen(seed)).float()


def bits_for_errors(ber, errors=3000):
    """Enough bits for ``errors`` expected errors: the BER estimate's relative deviation is 1/sqrt(errors), 1.8 %."""
    return 4 * math.ceil(errors / ber / 4)


def qfunc(x):
    return 0.5 * special.erfc(x / math.sqrt(2))


def ber_16qam_awgn(snr):
    """Exact BER of Gray 16-QAM on AWGN, ``snr = Es/N0`` linear: per real axis a Gray 4-PAM with points
    ``{+-1, +-3} d``, ``d / sigma = sqrt(snr / 5)``; the sign bit errs with (Q(x) + Q(3x)) / 2, the
    inner/outer bit with (2 Q(x) + Q(3x) - Q(5x)) / 2."""
    x = math.sqrt(snr / 5)
    return (3 * qfunc(x) + 2 * qfunc(3 * x) - qfunc(5 * x)) / 4


def ber_16qam_rayleigh(snr):
    """The AWGN expression averaged over |h|^2 ~ Exp(1): E[Q(sqrt(2 g t))] = (1 - sqrt(g / (1 + g))) / 2."""
    def avg_q(c):
        g = c**2 * snr / 10
        return 0.5 * (1 - math.sqrt(g / (1 + g)))
    return (3 * avg_q(1) + 2 * avg_q(3) - avg_q(5)) / 4


def ber_16qam_rician(snr, r):
    """The AWGN expression averaged numerically over |h|^2 of h ~ CN(mu, s2): 2|h|^2/s2 ~ ncx2(2, 2 mu^2/s2)."""
    s2 = 1 / (r + 1)
    pdf = stats.ncx2(2, 2 * r / (r + 1) / s2, scale=s2 / 2).pdf
    return integrate.quad(lambda t: ber_16qam_awgn(snr * t) * pdf(t), 0, math.inf)[0]


# --- plan, SNR, channel ---------------------------------------------------------------------------------

def test_codeword_plan():
    p = plan_codewords(20032)
    assert (p.num_codewords, p.k, p.n, p.padding_bits, p.channel_symbols) == (3, 6680, 20040, 8, 15030)
    p = plan_codewords(7616)
    assert (p.num_codewords, p.k, p.n, p.padding_bits, p.channel_symbols) == (1, 7616, 22848, 0, 5712)
    assert plan_codewords(8448).num_codewords == 1 and plan_codewords(8449).num_codewords == 2
    assert plan_codewords(5).k == 12 and plan_codewords(5, PAPER.without_code()).k == 8
    p = plan_codewords(20032, PAPER.without_code())
    assert (p.k, p.n, p.channel_symbols) == (6680, 6680, 5010)
    for n_bits in (12, 999, 8448, 8449, 20032, 50001):
        p = plan_codewords(n_bits)
        assert 12 <= p.k <= 8448 and p.n == p.encoded == 3 * p.k and p.n % 4 == 0
        assert p.padding_bits < 4 * p.num_codewords


def test_snr_definition_and_lists():
    assert snr_db_to_no(0) == 1.0 and snr_db_to_no(10.0) == pytest.approx(0.1)
    assert parse_snr_list("0:12:1") == [float(i) for i in range(13)]
    assert parse_snr_list("0:1:0.1")[-1] == 1.0 and len(parse_snr_list("0:1:0.1")) == 11
    assert parse_snr_list("-2:1:2") == [-2.0, 0.0]
    assert parse_snr_list("1, 2.5,3") == [1.0, 2.5, 3.0]
    for bad in ("nan", "0:inf:1", "1,x", "0:1", "0:5:0", "5:0:1", "-inf"):
        with pytest.raises(ValueError):
            parse_snr_list(bad)


@pytest.mark.parametrize("r", [0.0, 2.0, 10.0])
def test_rician_coefficients_match_the_formula(r):
    h = Rician(r).fading((1_000_000,), gen())
    mu, s2 = math.sqrt(r / (r + 1)), 1 / (r + 1)
    assert abs(h.mean().real.item() - mu) < 5e-3 and abs(h.mean().imag.item()) < 5e-3
    assert h.abs().square().mean().item() == pytest.approx(1.0, abs=5e-3)
    assert (h - mu).abs().square().mean().item() == pytest.approx(s2, abs=5e-3)


def test_fading_is_per_symbol_or_per_block():
    fast = Rayleigh().fading((4, 1000), gen())
    block = Rayleigh(block_fading=True).fading((4, 1000), gen())
    assert fast.shape == (4, 1000) and block.shape == (4, 1)
    x = torch.ones(4, 1000, dtype=torch.complex64)
    y, h = Rician(1.0, block_fading=True)(x, 0.0, gen())
    assert torch.allclose(y, h.expand(4, 1000))  # noiseless: y = h x with one h per row


def test_zero_forcing_is_exact_without_noise():
    x = torch.randn(1000, dtype=torch.complex64, generator=gen())
    y, h = Rayleigh()(x, 0.0, gen(1))
    x_hat, no_eff = zf_equalize(y, h, 0.5)
    assert torch.allclose(x_hat, x, atol=1e-4) and torch.allclose(no_eff, 0.5 / h.abs().square())


# --- uncoded 16-QAM against closed forms ---------------------------------------------------------------

@pytest.mark.parametrize("snr_db", [13.0, 15.0, 16.5])  # BER about 1e-2 .. 1e-3
def test_uncoded_awgn_ber_matches_closed_form(snr_db):
    theory = ber_16qam_awgn(10 ** (snr_db / 10))
    _, s = DigitalLink("awgn", coded=False)(random_bits(1, bits_for_errors(theory)), snr_db, gen())
    assert 1e-3 < theory < 2e-2 and s.ber == pytest.approx(theory, rel=0.1)


@pytest.mark.parametrize("channel,r,snr_db", [("rayleigh", None, 10.0), ("rayleigh", None, 20.0),
                                              ("rician", 2.0, 15.0)])
def test_uncoded_fading_ber_matches_closed_form(channel, r, snr_db):
    snr = 10 ** (snr_db / 10)
    theory = ber_16qam_rayleigh(snr) if channel == "rayleigh" else ber_16qam_rician(snr, r)
    _, s = DigitalLink(channel, r, coded=False)(random_bits(1, bits_for_errors(theory)), snr_db, gen())
    assert s.ber == pytest.approx(theory, rel=0.1)


def test_rayleigh_closed_form_agrees_with_rician_integral_at_r0():
    assert ber_16qam_rician(10.0, 0.0) == pytest.approx(ber_16qam_rayleigh(10.0), rel=1e-6)


# --- coded: bit-exact transport ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PRESETS))
def test_noiseless_link_returns_every_presets_indices(name):
    preset = PRESETS[name]
    indices = random_indices(preset, 2, gen())
    received, s = DigitalLink("awgn")(indices_to_bits(indices, preset.bits_per_index), None, gen())
    back = bits_to_indices(received, preset.bits_per_index, scale_shapes(preset))
    assert all(torch.equal(a, b) for a, b in zip(indices, back))
    assert s.channel_symbols == plan_codewords(received.shape[1]).channel_symbols


@pytest.mark.parametrize("channel,r,snr_db", [("rayleigh", None, None), ("rician", 2.0, None),
                                              ("rayleigh", None, 15.0), ("rician", 2.0, 12.0)])
def test_fading_link_is_bit_exact_at_high_snr(channel, r, snr_db):
    bits = random_bits(4, 7616)
    received, s = DigitalLink(channel, r)(bits, snr_db, gen())
    assert torch.equal(received, bits) and s.bit_errors == 0 and s.codeword_errors == 0


def test_coded_awgn_is_error_free_at_10db_over_a_million_bits():
    bits = random_bits(120, 8448)
    received, s = DigitalLink("awgn")(bits, 10.0, gen())
    assert s.num_bits == 1_013_760 and s.num_codewords == 120
    assert s.bit_errors == 0 and torch.equal(received, bits)


def test_coded_waterfall_sits_within_2_db_of_shannon():
    """Rate 1/3 with 16-QAM carries 4/3 bit per complex symbol; Shannon allows it from 1.82 dB. Three codewords
    of k = 6680 per 4-scale image: all 15 decode 2 dB above that limit and none at the limit itself. (Measured
    with 180 codewords per point: BLER 2.2e-2 at 3.5 dB, 0/180 at 3.6 dB; the BICM limit of Gray 16-QAM for
    4/3 bit is about 2.4 dB by Monte Carlo.)"""
    link = DigitalLink("awgn")
    _, good = link(random_bits(5, 20032), SHANNON_DB + 2.0, gen())
    _, bad = link(random_bits(5, 20032), SHANNON_DB, gen())
    assert good.num_codewords == 15 and good.codeword_errors == 0 and bad.codeword_errors == 15


def test_demapper_needs_the_post_equalization_noise_variance():
    """After ZF a symbol with small |h| carries noise N0/|h|^2. Demapped with N0 alone its LLRs are far too
    confident: BP decoding then trusts wrong bits and fails at an SNR where N0/|h|^2 decodes everything."""
    link = DigitalLink("rayleigh")
    encoder, decoder = link.codec(7616)
    u, no = random_bits(8, 7616), snr_db_to_no(6.0)
    y, h = link.channel(link.mapper(encoder(u)), no, gen())
    x_hat, no_eff = zf_equalize(y, h, no)
    right = ((decoder(link.demapper(x_hat, no_eff))[0] >= 0).float() != u).any(dim=1).sum().item()
    wrong = ((decoder(link.demapper(x_hat, no))[0] >= 0).float() != u).any(dim=1).sum().item()
    assert right == 0 and wrong >= 6


@pytest.mark.parametrize("m", [2, 4, 6, 8])
def test_separable_demapper_gives_sionnas_qam_llrs(m):
    """The link's demapper works on the QAM's two PAMs; its LLRs must be those of Sionna's full APP QAM demapper
    for every bit position, per-symbol noise variances (faded symbols) and a noiseless channel."""
    from sionna.phy.mapping import Demapper, Mapper

    from vqdeepsc.link.demapper import SeparableQAMDemapper

    x = Mapper("qam", m)(random_bits(4, 300 * m))
    reference, separable = Demapper("app", "qam", m), SeparableQAMDemapper(m)
    for no in (1.0, 0.05, 0.0):
        no_eff = no * (0.1 + torch.rand(x.shape, generator=gen(m)))
        y = x + math.sqrt(no) * torch.complex(torch.randn(x.shape, generator=gen(1)), torch.randn(x.shape, generator=gen(2)))
        expected, got = reference(y, no_eff), separable(y, no_eff)
        assert got.shape == expected.shape
        assert torch.allclose(got, expected, rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="even number of bits"):
        SeparableQAMDemapper(3)


def test_same_seed_same_output_and_stats_are_consistent():
    link = DigitalLink("rician", 1.0)
    bits = random_bits(3, 1000)
    a, sa = link(bits, 2.0, gen(5))
    b, sb = link(bits, 2.0, gen(5))
    assert torch.equal(a, b) and sa == sb
    assert sa.num_bits == 3000 and sa.bit_errors == int((a != bits).sum())
    assert sa.num_codewords == 3 and sa.padding_bits == plan_codewords(1000).padding_bits
    assert sa.ber == sa.bit_errors / 3000 and sa.bler == sa.codeword_errors / 3
    assert sa.bit_errors > 0  # 2 dB Rician is below the waterfall, so the noise really is drawn


# --- sweep ---------------------------------------------------------------------------------------------

def test_sweep_json_table_and_plot(tmp_path):
    result = ber_sweep([0.0, 20.0], "awgn", coded=False, num_bits=10_000, payload_bits=4000)
    assert {k: result[k] for k in ("channel", "coded", "snr_db", "bits")} == {
        "channel": "awgn", "coded": False, "snr_db": [0.0, 20.0], "bits": 10_002}
    assert result["ber"][0] > 0.1 and result["ber"][1] == 0 and len(result["bler"]) == 2
    assert "| 20 | < 1.0e-04 | 0 |" in format_sweep(result)
    plot_sweep(result, tmp_path / "ber.png")
    assert (tmp_path / "ber.png").stat().st_size > 0


# --- rejected input ------------------------------------------------------------------------------------

def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match="unknown channel 'rayleigh2'"):
        DigitalLink("rayleigh2")
    with pytest.raises(ValueError, match="Rician factor must be finite and >= 0"):
        DigitalLink("rician", -1.0)
    with pytest.raises(ValueError, match="needs the Rician factor"):
        DigitalLink("rician")
    with pytest.raises(ValueError, match="only to the rician channel"):
        DigitalLink("awgn", 2.0)
    link = DigitalLink("awgn", coded=False)
    for snr in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError, match="finite"):
            link(random_bits(1, 40), snr)
    with pytest.raises(ValueError, match="only 0 and 1"):
        link(random_bits(1, 40) * 2 - 1, 10.0)
    for empty in (torch.zeros(1, 0), torch.zeros(0, 40), torch.zeros(40)):
        with pytest.raises(ValueError, match="empty payload"):
            link(empty, 10.0)
    with pytest.raises(ValueError, match="empty payload"):
        plan_codewords(0)


def test_scrambling_makes_an_all_zero_payload_as_robust_as_a_random_one():
    """Without the scrambler all-zero code bits map to one inner 16-QAM point (energy 0.2, -7 dB) and fail at 4 dB."""
    link = DigitalLink("awgn")
    zeros = torch.zeros(4, 2 * 6680)
    _, stats = link(zeros, 4.0, torch.Generator().manual_seed(0))
    assert stats.codeword_errors == 0
    link.scrambler = torch.nn.Identity()
    link.descrambler = torch.nn.Identity()
    _, unscrambled = link(zeros, 4.0, torch.Generator().manual_seed(0))
    assert unscrambled.codeword_errors == unscrambled.num_codewords


def test_an_snr_range_is_bounded_before_anything_is_allocated():
    import subprocess
    import sys

    with pytest.raises(ValueError, match=r"'0:100:1e-9' has 1e\+11 points; at most 1000"):
        parse_snr_list("0:100:1e-9")
    with pytest.raises(ValueError, match=r"SNR 1e\+09 dB is outside -300..300 dB"):
        parse_snr_list("0:1e9:1e-9")
    with pytest.raises(ValueError, match="more than 1000 SNR points"):
        parse_snr_list(",".join(["1"] * 1001))
    assert len(parse_snr_list("-200:299.5:0.5")) == 1000
    result = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", "link", "--channel", "awgn", "--snr", "0:1e9:1e-9",
                             "--bits", "1000"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "outside" in result.stderr


def test_the_posterior_matches_the_hard_decisions_and_marks_the_failed_codewords():
    link, bits = DigitalLink("awgn"), random_bits(4, 20032)
    received, stats, posterior = link(bits, 3.3, gen(1), soft=True)  # in the waterfall: some codewords fail
    hard, hard_stats = link(bits, 3.3, gen(1))
    assert torch.equal(received, hard) and stats == hard_stats
    assert posterior.llr.shape == posterior.reliable.shape == bits.shape
    assert torch.equal((posterior.llr >= 0).float(), received)
    errors = received != bits
    assert 0 < stats.codeword_errors < stats.num_codewords
    assert not (errors & posterior.reliable).any() and posterior.reliable.any()
    # each codeword's bits are all reliable or all not
    for codeword in posterior.reliable.split(6680, dim=1):  # k = 6680 (the last one has 8 padding bits)
        assert (codeword.all(1) | ~codeword.any(1)).all()
    assert posterior.llr.abs().max() <= 20  # Sionna's clipping
    _, _, clean = link(bits, 20.0, gen(1), soft=True)
    assert clean.reliable.all() and torch.equal((clean.llr >= 0).float(), bits.float())
