"""Shipped weights and the demo."""

import json
import shutil

import pytest

from vqdeepsc import zoo
from vqdeepsc.cli import main


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
    main(["demo", "--out", str(tmp_path), "--snr", "8", "--channels", "awgn"])
    printed = capsys.readouterr().out
    result = json.loads((tmp_path / "demo.json").read_text())
    (row,) = result["results"]
    assert row["index_bits"] == 20032 and row["ber"] == 0.0  # 8 dB AWGN is above the LDPC cliff
    assert f"{row['ssim']:.4f}" in printed and row["ssim"] > 0.5  # a trained model, not noise
    assert (tmp_path / "grid.png").stat().st_size > 0
