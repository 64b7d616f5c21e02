"""The tutorial in ``examples/`` runs, at tiny scale, so that it cannot rot."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"


def run(script, *argv, cwd):
    result = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, argv)], capture_output=True,
                            text=True, cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_send_image(tmp_path):
    out = run("send_image.py", "--snr", "12", "--out", tmp_path / "r.png", cwd=tmp_path)
    assert "20032 bits in 15030 channel symbols, BER 0.00e+00" in out and (tmp_path / "r.png").stat().st_size > 0
    assert 0.8 < float(re.search(r"ssim ([0-9.]+)", out).group(1)) < 1


def test_own_codec(tmp_path):
    out = run("own_codec.py", "--images", "1", "--snr", "12", cwd=tmp_path)
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert set(rows) == {"vq-soft", "jpeg", "jpeg444"} and all(float(r[-1]) == 0 for r in rows.values())
    assert rows["jpeg"][2:5] != rows["jpeg444"][2:5]  # a different codec at the same budget


def test_train_tiny(photo_dir, tmp_path):
    out = run("train_tiny.py", photo_dir, tmp_path / "run", "--epochs", "1", "--batch-size", "4", cwd=tmp_path)
    assert "epoch 1: L1" in out and "over AWGN at 6 dB" in out and (tmp_path / "run" / "best.safetensors").exists()


def test_ber_curve(tmp_path):
    out = run("ber_curve.py", "--bits", "40000", "--snr", "0,6", "--out", tmp_path / "ber.png", cwd=tmp_path)
    curves = {line.split(":")[0]: [float(v) for v in re.findall(r"dB ([0-9.e+-]+)", line)]
              for line in out.splitlines() if " dB " in line}
    measured, theory = curves["awgn, uncoded"], curves["awgn, uncoded, theory"]
    assert all(abs(m - t) < 0.1 * t for m, t in zip(measured, theory)), (measured, theory)
    assert curves["awgn, LDPC 1/3"][1] == 0 and (tmp_path / "ber.png").stat().st_size > 0


def test_readme_python_api(tmp_path):
    """The README's Python API example runs as printed and its numbers are what it says they are."""
    readme = (EXAMPLES.parent / "README.md").read_text()
    code = re.search(r"## Python API\n```python\n(.*?)```", readme, re.S).group(1)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    first, second = result.stdout.splitlines()
    ber, errors, ssim = first.split(maxsplit=2)
    assert float(ber) < 0.05 and int(errors) >= 0 and 0.5 < float(ssim.strip("[]")) <= 1
    assert 15 < float(second.strip("[]")) < 40
