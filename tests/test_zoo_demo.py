"""Shipped weights and the demo."""

import json
import shutil

import pytest

from vqdeepsc import zoo
from vqdeepsc.cli import main
from vqdeepsc.results import format_row


def test_shipped_model_loads_and_an_altered_file_is_refused(tmp_path, monkeypatch):
    model = zoo.load("small-4")
    assert model.preset.name == "small-4" and not model.training
    shutil.copytree(zoo._weights(), tmp_path / "weights")
    path = tmp_path / "weights" / "small-4.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    monkeypatch.setattr(zoo, "_weights", lambda: tmp_path / "weights")
    with pytest.raises(ValueError, match="altered: sha256"):
        zoo.load("small-4")
    path.unlink()
    with pytest.raises(ValueError, match="missing"):
        zoo.load("small-4")
    with pytest.raises(ValueError, match="no shipped model 'paper-9'"):
        zoo.load("paper-9")


def test_demo_reduced(tmp_path, capsys):
    """Both shipped quantized models and JPEG at their budgets, one SNR: what it prints is what it wrote."""
    main(["demo", "--out", str(tmp_path), "--snr", "8", "--channels", "awgn"])
    printed = capsys.readouterr().out
    for model, budget in (("small-4", 20032), ("small-3", 7616)):
        rows = {r["method"]: r for r in json.loads((tmp_path / model / "results.json").read_text())["results"]}
        vq, jpeg = rows["vq"], rows["jpeg"]
        assert vq["source_bits"] == budget and vq["ber"] == 0.0  # 8 dB AWGN is above the LDPC cliff
        assert jpeg["source_bits"] <= budget or jpeg["excess_bits"] > 0
        assert vq["ssim"] > 0.5  # a trained model, not noise
        assert format_row(vq) in printed and format_row(jpeg) in printed
        assert (tmp_path / f"grid_{model}.png").stat().st_size > 0
    assert (tmp_path / "ssim.png").stat().st_size > 0
