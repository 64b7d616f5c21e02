"""Adaptive modulation and coding at a fixed channel bandwidth: the MCS choice, the rate-adaptive VQ-DeepSC, classic
codecs filling the bandwidth, and the capacity ideal."""

import math

import pytest
import torch

from vqdeepsc.config import get_preset
from vqdeepsc.data import load_images
from vqdeepsc.evaluate import Evaluation
from vqdeepsc.link.adaptation import LinkAdaptation
from vqdeepsc.link.channel import AWGN, Rayleigh
from vqdeepsc.link.mcs import get_mcs, mcs_table
from vqdeepsc.link.phy import payload_capacity, plan_codewords
from vqdeepsc.models.system import VQDeepSC


def synthetic(channels=("awgn", "rayleigh"), table=1, offset=1.0):
    """Threshold entries placed ``offset`` dB above each MCS's capacity SNR (the rule is what is tested, not them)."""
    from vqdeepsc.link.thresholds import capacity_snr_db
    from vqdeepsc.link.channel import parse_channel

    return [{"channel": c, "mcs": m.index, "mcs_table": table, "payload_bits": 20032, "bits_per_symbol":
             m.bits_per_symbol, "code_rate": m.rate_text, "1e-02":
             None if m.index == 0 else round(capacity_snr_db(parse_channel(c), m.efficiency) + offset, 3)}
            for c in channels for m in mcs_table(table)]


def test_the_choice_is_the_highest_throughput_mcs_whose_threshold_is_below_the_snr():
    adaptation = LinkAdaptation(synthetic())
    for snr in (-6.0, -1.0, 0.0, 3.3, 7.0, 12.5, 30.0):
        chosen = adaptation.select("awgn", snr)
        reliable = [m for m in mcs_table(1) if adaptation.threshold("awgn", m) <= snr]
        if reliable:
            assert adaptation.threshold("awgn", chosen) <= snr
            assert chosen.efficiency == max(m.efficiency for m in reliable)
        else:  # below every threshold: the most robust scheme (MCS 0 never reached 1e-2 here: it is inf)
            assert chosen == get_mcs(1)
    assert adaptation.select("awgn", 30.0) == get_mcs(28)
    # MCS 16 carries more bits per symbol than MCS 17: where both are reliable, 16 is not passed over for 17
    snr = max(adaptation.threshold("awgn", get_mcs(16)), adaptation.threshold("awgn", get_mcs(17))) + 0.001
    assert adaptation.select("awgn", snr).index not in (17,) or get_mcs(17).efficiency > get_mcs(16).efficiency
    # a payload that fits only MCS 11 and above in 15030 symbols gets the best of those
    fits = lambda m: 20032 <= payload_capacity(15030, m)  # noqa: E731
    assert adaptation.select("awgn", -10.0, fits) == get_mcs(11)
    assert adaptation.select("rayleigh", 30.0, fits).efficiency >= get_mcs(11).efficiency


def test_a_scheme_measured_under_one_table_serves_the_other():
    one, two = LinkAdaptation(synthetic()), LinkAdaptation(synthetic(), table=2)
    assert get_mcs(5, 2) == get_mcs(11).__class__(4, get_mcs(11).code_rate, 5, 2)  # 16-QAM 378/1024 in both
    assert two.threshold("awgn", get_mcs(5, 2)) == one.threshold("awgn", get_mcs(11))
    with pytest.raises(ValueError, match="no measured threshold of MCS 27 \\(table 2\\)"):
        two.threshold("awgn", get_mcs(27, 2))  # 256-QAM: not in table 1


def test_the_choice_refuses_nothing_silently():
    adaptation = LinkAdaptation(synthetic(channels=("awgn",)))
    with pytest.raises(ValueError, match="no measured threshold of .* on rician:2"):
        adaptation.select("rician:2", 10.0)
    with pytest.raises(ValueError, match="fits no MCS"):
        adaptation.select("awgn", 10.0, lambda m: False)
    partial = [e for e in synthetic(channels=("awgn",)) if e["mcs"] != 20]
    with pytest.raises(ValueError, match="no measured threshold of MCS 20"):
        LinkAdaptation(partial).select("awgn", 30.0)


@pytest.fixture(scope="module")
def family(photo_dir):
    torch.manual_seed(0)
    models = {name: VQDeepSC(get_preset(name)).eval() for name in ("small-4", "small-3")}
    images, _ = load_images(photo_dir, "test", size=32)
    return models, images


def test_fixed_bandwidth_evaluation_adapts_every_method(family):
    models, images = family
    symbols, adaptation = 400, LinkAdaptation(synthetic())
    result = Evaluation(models["small-4"], images, methods=["vq", "jpeg", "capacity-jpeg"], channels=["awgn"],
                        snr_db=[-4.0, 30.0], robust=models["small-4"], family=[(models["small-3"], models["small-3"])],
                        link_options={"mcs": adaptation, "symbols": symbols}).run()
    rows = {(r["method"], r["snr_db"]): r for r in result["results"]}
    # 30 dB: MCS 28 carries 0.926 * 6 bits per symbol: the 4-scale model's 1252 bits fit in 400 symbols
    assert rows["vq", 30.0]["mcs"] == 28 and rows["vq", 30.0]["source_bits"] == 1252
    assert rows["jpeg", 30.0]["mcs"] == 28 and rows["jpeg", 30.0]["channel_symbols"] == symbols
    assert rows["jpeg", 30.0]["source_bits"] <= payload_capacity(symbols, get_mcs(28))
    # -4 dB: below every threshold; only the 3-scale model (476 bits) fits, at the most robust MCS it fits in
    low = rows["vq", -4.0]
    assert low["source_bits"] == 476 and plan_codewords(476, get_mcs(int(low["mcs"]))).channel_symbols <= symbols
    # the capacity ideal: the largest file within 400 x log2(1 + SNR) bits, delivered without errors
    assert rows["capacity-jpeg", 30.0]["source_bits"] <= symbols * AWGN().capacity(30.0)
    assert rows["capacity-jpeg", 30.0]["ber"] is None and rows["capacity-jpeg", -4.0]["failure_rate"] == 1.0
    assert result["settings"]["mcs"] == "adaptive" and result["settings"]["family"] == [476, 1252]


def test_an_adaptive_mcs_needs_a_bandwidth_and_a_payload_over_it_is_refused(family):
    models, images = family
    with pytest.raises(ValueError, match="needs a channel bandwidth"):
        Evaluation(models["small-4"], images, methods=["vq"], channels=["awgn"], snr_db=[0.0],
                   link_options={"mcs": LinkAdaptation(synthetic())})
    with pytest.raises(ValueError, match="more than the budget of 300"):
        Evaluation(models["small-4"], images, methods=["vq"], channels=["awgn"], snr_db=[0.0],
                   link_options={"symbols": 300})  # 1252 bits at rate 1/3 on 16-QAM: 939 symbols


def test_capacity_needs_a_bandwidth(family):
    models, images = family
    with pytest.raises(ValueError, match="needs a channel bandwidth"):
        Evaluation(models["small-4"], images, methods=["capacity-heif"], channels=["rayleigh"], snr_db=[0.0]).run()


def test_the_oracle_tries_the_adaptive_choice_and_its_neighbours_and_never_does_worse(family):
    adaptation = LinkAdaptation(synthetic())
    tried = adaptation.candidates("awgn", 8.0, lambda m: payload_capacity(400, m))
    chosen = adaptation.select("awgn", 8.0)
    assert tried[0] == chosen and len({payload_capacity(400, m) for m in tried[1:]}) == len(tried) - 1
    assert all(adaptation.threshold("awgn", m) <= 8.0 + 1.5 for m in tried)
    # a payload only three schemes can carry, all reliable: the adaptive choice and the next most efficient
    only_three = lambda m: 476 if m.index in (20, 21, 22) else None  # noqa: E731
    assert adaptation.candidates("awgn", 30.0, only_three) == [get_mcs(22), get_mcs(21)]

    models, images = family
    options = dict(methods=["vq", "jpeg"], channels=["awgn"], snr_db=[12.0], robust=models["small-4"],
                   family=[(models["small-3"], models["small-3"])])
    rows = {}
    for oracle in (False, True):
        result = Evaluation(models["small-4"], images, **options, link_options={
            "mcs": LinkAdaptation(synthetic(), oracle=oracle), "symbols": 400}).run()
        rows[oracle] = {r["method"]: r for r in result["results"]}
    assert result["settings"]["mcs"] == "oracle" and "oracle" in result["settings"]["scheme"]
    for method in ("vq", "jpeg"):  # the adaptive choice is one of the oracle's, on the same channel draws
        assert rows[True][method]["ssim"] >= rows[False][method]["ssim"]


def test_legends_name_the_link_for_classic_codecs_and_nothing_for_the_capacity_ideal():
    from vqdeepsc.plots import _line_label

    row = {"preset": "small-4", "ber": 0.0, "quality": 50.0}
    assert _line_label({**row, "method": "heif"}, False, "adaptive 5G NR MCS (table 1)") == \
        "HEIF + adaptive 5G NR MCS (table 1)"
    assert _line_label({**row, "method": "capacity-heif", "ber": None}, False, "x") == "HEIF at capacity (ideal)"
    assert _line_label({**row, "method": "vq", "quality": None}, False, "x") == "VQ-DeepSC (small-4)"
    # a file that fits no scheme at the lowest SNR has no BER there: still the codec over the link, not the ideal
    assert _line_label({**row, "method": "jpeg", "ber": None, "quality": None}, False, "x") == "JPEG + x"
    assert _line_label({**row, "method": "vq", "quality": None, "ber": None}, False, "x") == "VQ-DeepSC (small-4)"
    # the rate-adaptive VQ-DeepSC is a family of models, named by their bits per image
    assert _line_label({**row, "method": "vq", "quality": None}, False, "x", [20032, 7616]) == \
        "VQ-DeepSC, rate-adaptive (7616 / 20032 bits)"


def test_a_rate_adaptive_figure_is_titled_by_its_family_not_its_largest_model(monkeypatch, tmp_path):
    import vqdeepsc.plots as plots

    titles = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: titles.append(fig._suptitle.get_text()))
    rows = [{"preset": "small-4", "method": "vq", "channel": "awgn", "snr_db": snr, "ssim": 0.9, "ssim_ci95": 0.01,
             "images": 4, "ber": 0.0, "quality": None} for snr in (0, 4)]
    plots.plot_snr_curves(rows, "ssim", tmp_path / "a.png", families={"small-4": [7616, 20032]})
    plots.plot_snr_curves(rows, "ssim", tmp_path / "b.png")
    assert titles[0].startswith("rate-adaptive VQ-DeepSC: SSIM against Es/N0")
    assert titles[1].startswith("small-4: SSIM against Es/N0")
