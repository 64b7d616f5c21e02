"""The command line: Table I, one-line errors, the demo."""

import json
import subprocess
import sys

import pytest

from vqdeepsc.budget import bit_budget
from vqdeepsc.cli import main
from vqdeepsc.config import get_preset


def test_table_one_for_the_paper_presets():
    b4, b3 = bit_budget(get_preset("paper-4")), bit_budget(get_preset("paper-3"))
    assert (b4["index_bits"], b4["paper_symbols"], b4["unquantized_symbols"]) == (20032, 5008, 245760)
    assert (b3["index_bits"], b3["paper_symbols"], b3["unquantized_symbols"]) == (7616, 1904, 114688)
    assert f"{100 * b4['ratio']:.2f}" == "2.04" and f"{100 * b3['ratio']:.2f}" == "1.66"
    assert b4["bpp"] == pytest.approx(1.2227, abs=1e-4) and b3["bpp"] == pytest.approx(0.4648, abs=1e-4)
    # LDPC 1/3 + 16-QAM: (k + padding) * 3 / 4 symbols
    assert b4["channel_symbols"] == (20032 + b4["padding_bits"]) * 3 // 4 and b3["channel_symbols"] == 5712
    # the small presets send exactly the same bits
    assert bit_budget(get_preset("small-4"))["index_bits"] == 20032
    assert bit_budget(get_preset("small-3"))["index_bits"] == 7616


def test_budget_json(capsys):
    main(["budget", "--preset", "paper-4", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert {"index_bits", "paper_symbols", "unquantized_values", "ratio", "channel_symbols", "bpp"} <= set(out)
    assert out["unquantized_values"] == 983040


@pytest.mark.parametrize("argv, message", [
    (["budget", "--preset", "paper-5"], "unknown preset 'paper-5'"),
    (["budget", "--preset", "paper-4", "--size", "100", "128"], "multiples of 16"),
])
def test_one_line_errors(argv, message):
    result = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", *argv], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["train", "--preset", "small-4", "--data", ".", "--out", "x"],
                                     ["eval", "--model", "small-4", "--data", ".", "--out", "x"], ["link", "--channel", "awgn", "--snr", "4"]])
def test_a_missing_gpu_is_one_line_for_every_command(command, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", *command, "--device", "cuda"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "device 'cuda' is not available" in result.stderr and not (tmp_path / "x").exists()
    bad = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", *command, "--device", "gpu0"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and "invalid device 'gpu0'" in bad.stderr


@pytest.mark.parametrize("argv, message", [
    (["link", "--channel", "awgn", "--snr", "4", "--bits", "1000000000000"], "--bits: must be between 1 and 1e+09"),
    (["link", "--channel", "awgn", "--snr", "4", "--payload-bits", "0"], "--payload-bits: must be between"),
    (["link", "--channel", "awgn", "--snr", "4", "--iterations", "100000000"], "--iterations: must be between"),
    (["link", "--channel", "awgn", "--snr", "4", "--decoder-workers", "100000"], "--decoder-workers: must be between"),
    (["eval", "--model", "small-4", "--data", ".", "--out", "x", "--batch", "100000000"], "--batch: must be between"),
    (["eval", "--model", "small-4", "--data", ".", "--out", "x", "--crop", "1000000"], "--crop: must be between"),
    (["eval", "--model", "small-4", "--data", ".", "--out", "x", "--grid", "10000000"], "--grid: must be between"),
    (["send", "in.png", "--channel", "awgn", "--snr", "4", "-o", "o.png", "--index-search", "10000000000"],
     "--index-search: must be between"),
    (["link", "--channel", "awgn", "--snr", "4", "--bits", "lots"], "--bits: not a number: 'lots'"),
])
def test_unbounded_work_is_refused_before_it_starts(argv, message, tmp_path):
    result = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", *argv], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and message in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "o.png").exists()


def test_train_refuses_unbounded_sizes(tmp_path):
    from vqdeepsc.train import TrainConfig

    for field, value in (("crop", 10**6), ("batch_size", 10**7), ("workers", 10**4)):
        config = TrainConfig(preset="small-4", data=".", run_dir=str(tmp_path), **{field: value})
        with pytest.raises(ValueError, match="at most"):
            config.check()


def test_an_snr_range_may_start_below_zero():
    from vqdeepsc.cli import build_parser

    for text in ("-4:20:2", "-4,-2.5,0", "-4", "-0.5:1:0.5"):
        assert build_parser().parse_args(["link", "--channel", "awgn", "--snr", text]).snr == text
