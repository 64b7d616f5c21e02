"""5G NR modulation and coding on the link: the tables, every MCS bit-exact, uncoded QAM against closed forms, the
channel-symbol budget, channel capacity, and the one-line errors for unknown schemes and channels."""

import math
import subprocess
import sys
from fractions import Fraction

import pytest
import torch
from scipy import special

from vqdeepsc.link.channel import AWGN, Rayleigh, Rician, parse_channel, parse_channels
from vqdeepsc.link.mcs import MCS, PAPER, get_mcs, mcs_table, parse_mcs
from vqdeepsc.link.phy import DigitalLink, payload_capacity, plan_codewords


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def random_bits(batch, n, seed=1):
    return torch.randint(0, 2, (batch, n), generator=gen(seed)).float()


def ber_qam_awgn(m: int, snr: float) -> float:
    """Exact BER of Gray-labelled square 2^m-QAM on AWGN at Es/N0 ``snr`` (linear) (Cho and Yoon, IEEE Trans.
    Commun. 2002, eq. 14-16): the mean over the m/2 bits of one axis of sums of erfc terms."""
    return _ber_qam(m, snr, special.erfc)


def ber_qam_rayleigh(m: int, snr: float) -> float:
    """The same on Rayleigh fading with perfect CSI: each ``erfc(sqrt(a))`` averaged over ``a ~ Exp(mean a)`` is
    ``1 - sqrt(a / (1 + a))`` (closed form)."""
    return _ber_qam(m, snr, lambda x: 1 - math.sqrt(x * x / (1 + x * x)))


def _ber_qam(m, snr, erfc):
    side = 2 ** (m // 2)
    total = 0.0
    for k in range(1, m // 2 + 1):
        for i in range(int((1 - 2.0 ** -k) * side)):
            w = (-1) ** math.floor(i * 2 ** (k - 1) / side) * (2 ** (k - 1) - math.floor(i * 2 ** (k - 1) / side + 0.5))
            total += w * erfc((2 * i + 1) * math.sqrt(3 * snr / (2 * (side * side - 1)))) / side
    return total / (m // 2)


def test_the_tables_come_from_ts_38_214():
    one, two = mcs_table(1), mcs_table(2)
    assert len(one) == 29 and len(two) == 28
    assert get_mcs(10) == MCS(4, Fraction(340, 1024), 10, 1) and str(get_mcs(10)) == \
        "MCS 10 (table 1): 5G LDPC 340/1024 + 16-QAM"
    assert (one[0].bits_per_symbol, one[0].code_rate, one[28].bits_per_symbol, one[28].code_rate) == \
        (2, Fraction(120, 1024), 6, Fraction(948, 1024))
    assert (two[27].modulation, two[27].code_rate) == ("256-QAM", Fraction(948, 1024))
    for table in (one, two):  # within a modulation the rate rises with the index (not across: MCS 16 of table 1,
        # 16-QAM 658/1024, carries 2.570 bits per symbol, MCS 17, 64-QAM 438/1024, 2.566)
        assert all(a.code_rate < b.code_rate for a, b in zip(table, table[1:]) if a.bits_per_symbol == b.bits_per_symbol)
    assert get_mcs(16).efficiency > get_mcs(17).efficiency
    assert parse_mcs(None) is PAPER and str(PAPER) == "5G LDPC 1/3 + 16-QAM" and PAPER.efficiency == pytest.approx(4 / 3)


def test_every_mcs_round_trips_bit_exactly_without_noise():
    bits = random_bits(2, 3001)
    schemes = {(e.bits_per_symbol, e.code_rate): e for e in mcs_table(2) + mcs_table(1)}  # table 2 repeats many
    assert len(schemes) == 37
    for mcs in schemes.values():
        link = DigitalLink("rayleigh", mcs=mcs)
        received, stats = link(bits, None, gen(2))
        assert torch.equal(received, bits) and stats.bit_errors == 0, mcs
        plan = link.plan(3001)
        assert stats.channel_symbols == plan.channel_symbols == plan.num_codewords * plan.n // mcs.bits_per_symbol
        assert Fraction(plan.k, plan.n) <= mcs.code_rate and plan.n % mcs.bits_per_symbol == 0


@pytest.mark.parametrize("m,snr_db", [(2, 8.0), (4, 13.0), (6, 19.0), (8, 25.0)])  # BER about 2e-3 .. 1e-2
def test_uncoded_qam_ber_on_awgn_matches_the_closed_form(m, snr_db):
    theory = ber_qam_awgn(m, 10 ** (snr_db / 10))
    mcs = next(e for e in mcs_table(2) if e.bits_per_symbol == m)
    _, s = DigitalLink("awgn", mcs=mcs, coded=False)(random_bits(1, 8 * 3 * math.ceil(3000 / theory / 24)),
                                                     snr_db, gen())
    assert 1e-3 < theory < 2e-2 and s.ber == pytest.approx(theory, rel=0.1)


@pytest.mark.parametrize("m,snr_db", [(2, 15.0), (4, 20.0), (6, 24.0), (8, 28.0)])
def test_uncoded_qam_ber_on_rayleigh_matches_the_closed_form(m, snr_db):
    theory = ber_qam_rayleigh(m, 10 ** (snr_db / 10))
    mcs = next(e for e in mcs_table(2) if e.bits_per_symbol == m)
    _, s = DigitalLink("rayleigh", mcs=mcs, coded=False)(random_bits(1, 8 * 3 * math.ceil(3000 / theory / 24)),
                                                         snr_db, gen())
    assert s.ber == pytest.approx(theory, rel=0.1)


def test_the_closed_form_is_the_16qam_one_the_link_tests_use():
    from test_link import ber_16qam_awgn, ber_16qam_rayleigh

    assert ber_qam_awgn(4, 20.0) == pytest.approx(ber_16qam_awgn(20.0), rel=1e-12)
    assert ber_qam_rayleigh(4, 20.0) == pytest.approx(ber_16qam_rayleigh(20.0), rel=1e-12)


def test_rates_below_one_fifth_repeat_the_codeword_and_add_up_its_logits():
    mcs = get_mcs(0)  # QPSK, rate 120/1024: the rate-1/5 codeword sent 1.7 times
    plan = plan_codewords(3000, mcs)
    assert plan.encoded == 2 * (5 * plan.k // 2) < plan.n
    bits = random_bits(4, 3000)
    # QPSK at rate 1/5 (0.4 bit per symbol) needs Es/N0 above about -3.7 dB (Shannon); repeated to rate 0.117, about
    # -7.3 dB: at -4.5 dB only the repeated code decodes every codeword
    _, repeated = DigitalLink("awgn", mcs=mcs)(bits, -4.5, gen(3))
    _, fifth = DigitalLink("awgn", mcs=MCS(2, Fraction(1, 5)))(bits, -4.5, gen(3))
    assert repeated.codeword_errors == 0 and fifth.codeword_errors == fifth.num_codewords


def test_the_paper_plan_is_unchanged_and_low_rates_use_base_graph_2_blocks():
    assert plan_codewords(20032) == plan_codewords(20032, PAPER)
    assert (plan_codewords(20032).channel_symbols, plan_codewords(7616).channel_symbols) == (15030, 5712)
    p = plan_codewords(20032, get_mcs(10))  # rate 340/1024 < 1/3: base graph 2, k <= 3824
    assert p.k <= 3824 and p.num_codewords == 6 and p.channel_symbols == 15090
    assert plan_codewords(20032, get_mcs(11)).num_codewords == 3


@pytest.mark.parametrize("symbols", [100, 3072, 5712, 15030])
def test_payload_capacity_is_the_largest_payload_within_the_budget(symbols):
    for mcs in (PAPER, get_mcs(0), get_mcs(9), get_mcs(28), get_mcs(27, 2), PAPER.without_code()):
        bits = payload_capacity(symbols, mcs)
        assert plan_codewords(bits, mcs).channel_symbols <= symbols
        # no payload up to the Shannon-free bound S * Q_m * R fits beyond it
        bound = math.floor(symbols * mcs.efficiency) + 1
        assert all(plan_codewords(b, mcs).channel_symbols > symbols for b in range(bits + 1, bound + 1))
    assert payload_capacity(15030, PAPER) == 20040


def test_a_link_with_a_symbol_budget_refuses_a_longer_payload_and_counts_the_padding():
    link = DigitalLink("awgn", symbols=15030)
    received, stats = link(random_bits(1, 20032), None)
    assert stats.channel_symbols == 15030
    _, stats = link(random_bits(1, 7616), None)
    assert stats.channel_symbols == 15030  # 5712 symbols of code, the rest padding
    with pytest.raises(ValueError, match="more than the budget of 15030"):
        link(random_bits(1, 20041), None)
    with pytest.raises(ValueError, match="more than the budget"):
        DigitalLink("awgn", mcs=get_mcs(10), symbols=15030).plan(20032)  # 15090 symbols at the table's rate


def test_capacity_against_hand_computed_cases():
    assert AWGN().capacity(0.0) == pytest.approx(1.0) and AWGN().capacity(10.0) == pytest.approx(math.log2(11))
    for snr_db in (-4.0, 0.0, 10.0, 20.0):  # Rayleigh: E log2(1 + g t), t ~ Exp(1) = log2(e) e^(1/g) E1(1/g)
        g = 10 ** (snr_db / 10)
        assert Rayleigh().capacity(snr_db) == pytest.approx(math.log2(math.e) * math.exp(1 / g) * special.exp1(1 / g),
                                                            rel=1e-6)
        assert Rayleigh().capacity(snr_db) < Rician(2.0).capacity(snr_db) < AWGN().capacity(snr_db)
        assert Rician(1e6).capacity(snr_db) == pytest.approx(AWGN().capacity(snr_db), rel=1e-4)
    assert Rayleigh().capacity(0.0) == pytest.approx(0.8603, abs=1e-4)


def test_channels_are_parsed_from_one_spec():
    assert parse_channel("rician:2").spec == "rician:2" and parse_channel("rician", 3.0).r == 3.0
    assert [c.spec for c in parse_channels("awgn, rayleigh,rician", 2.0)] == ["awgn", "rayleigh", "rician:2"]
    assert parse_channel("rayleigh", block_fading=True).block_fading
    for bad, message in [("nakagami", "unknown channel"), ("rician:x", "must be a number"),
                         ("rician", "needs the Rician factor"), ("rician:-1", ">= 0"), ("awgn:3", "takes no parameter"),
                         ("rician:nan", ">= 0")]:
        with pytest.raises(ValueError, match=message):
            parse_channel(bad)
    with pytest.raises(ValueError, match="two rician channels"):
        parse_channels("rician:1,rician:2")


@pytest.mark.parametrize("args,message", [
    (["--mcs", "29"], "unknown MCS index 29: table 1 has indices 0-28"),
    (["--mcs", "28", "--mcs-table", "2"], "unknown MCS index 28: table 2 has indices 0-27"),
    (["--mcs", "ten"], "--mcs must be a TS 38.214 MCS index"),
    (["--mcs-table", "3"], "invalid choice: 3"),
    (["--channel", "nakagami:2"], "unknown channel 'nakagami:2'"),
])
def test_an_unknown_mcs_or_channel_is_a_one_line_error(args, message):
    argv = ["link", "--channel", "awgn", "--bits", "100", "--snr", "10", "--no-progress"]
    argv = argv[:1] + [a for a in argv[1:] if not (args[0] == "--channel" and a in ("--channel", "awgn"))] + args
    got = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", *argv], capture_output=True, text=True)
    assert got.returncode != 0 and message in got.stderr and len(got.stderr.strip().splitlines()) == 1, got.stderr


def test_the_link_command_sends_a_table_mcs(tmp_path):
    got = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", "link", "--channel", "rician:2", "--mcs", "20",
                          "--mcs-table", "2", "--snr", "30", "--bits", "20000", "--no-progress", "--json",
                          str(tmp_path / "s.json")], capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    assert "rician (r=2), MCS 20 (table 2): 5G LDPC 682/1024 + 256-QAM" in got.stdout and "| 30 | < " in got.stdout


def test_threshold_crossing_is_the_log_linear_interpolation():
    from vqdeepsc.link.thresholds import _crossing

    points = [{"snr_db": 1.0, "codewords": 100, "codeword_errors": 100},
              {"snr_db": 1.5, "codewords": 100, "codeword_errors": 10},
              {"snr_db": 2.0, "codewords": 1000, "codeword_errors": 0}]
    assert _crossing(points, 1e-1) == pytest.approx(1.5)
    # 1e-1 at 1.5 dB, 0.5 / 1000 at 2 dB: 1e-2 lies 1 / log10(200) of the way
    assert _crossing(points, 1e-2) == pytest.approx(1.5 + 0.5 / math.log10(200))
    assert _crossing(points[:1], 1e-2) is None


def test_the_paper_scheme_reaches_its_thresholds_between_shannon_and_2_db_above(tmp_path):
    from vqdeepsc.link.thresholds import ThresholdTable, capacity_snr_db, measure_threshold

    shannon = capacity_snr_db(AWGN(), 4 / 3)
    assert shannon == pytest.approx(10 * math.log10(2 ** (4 / 3) - 1), abs=1e-3)
    entry = measure_threshold(DigitalLink("awgn"), 2000, step=0.5, min_errors=10, max_codewords=100)
    assert shannon < entry["1e-01"] < entry["1e-02"] < shannon + 2.5
    assert entry["points"][-1]["codeword_errors"] / entry["points"][-1]["codewords"] <= 1e-2
    table = ThresholdTable(tmp_path / "t.json")
    table.add(entry)
    again = ThresholdTable(tmp_path / "t.json")
    assert again.find("awgn", PAPER, 2000) == entry and again.find("awgn", PAPER, 20032) is None
    assert again.find("awgn", get_mcs(10), 2000) is None
    with pytest.raises(ValueError, match="at least 100 codewords"):
        measure_threshold(DigitalLink("awgn"), 2000, max_codewords=99)
