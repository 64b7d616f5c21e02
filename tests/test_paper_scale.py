"""The paper-scale suite (scripts/train_paper_scale.sh) end to end on CPU: full-width networks, tiny data."""

import json
import os
import subprocess
import sys
from pathlib import Path

from test_train import read_log

SCRIPT = Path(__file__).parents[1] / "scripts" / "train_paper_scale.sh"
PRESETS = ("paper-4", "paper-3", "paper-4-upper", "paper-3-upper")
TINY = ["--epochs", "1", "--train-limit", "2", "--val-limit", "1", "--batch-size", "2", "--crop", "32", "--val-crop",
        "32", "--workers", "0"]


def suite(*argv, **env):
    """Run the script with ``argv`` and extra environment; the CompletedProcess."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env}
    return subprocess.run(["bash", str(SCRIPT), *map(str, argv)], capture_output=True, text=True, env=env, timeout=600)


def test_the_paper_scale_suite_trains_all_four_and_resumes(photo_dir, tmp_path):
    out = tmp_path / "paper"
    result = suite(photo_dir, out, *TINY)
    assert result.returncode == 0, result.stderr[-2000:]
    for preset in PRESETS:
        config = json.loads((out / preset / "config.json").read_text())
        assert (config["preset"], config["recipe"], config["crop"]) == (preset, "fast", 32)
        assert len(read_log(out / preset)) == 1 and (out / preset / "best.safetensors").is_file()
    again = suite(photo_dir, out, PRESETS="paper-4")
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(read_log(out / "paper-4")) == 1  # resumed: the finished run has nothing left to do
    usage = suite()
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_parallel_suite_trains_side_by_side_and_reports_a_failure(photo_dir, tmp_path):
    out, side_by_side = tmp_path / "side-by-side", {"PARALLEL": "1", "PRESETS": "small-4 small-3-upper"}
    result = suite(photo_dir, out, *TINY, **side_by_side)
    assert result.returncode == 0, result.stderr[-2000:]
    for preset in ("small-4", "small-3-upper"):
        assert len(read_log(out / preset)) == 1 and (out / preset / "best.safetensors").is_file()
        assert (out / f"{preset}.log").is_file()
    broken = suite(photo_dir, tmp_path / "broken", *TINY, **{**side_by_side, "PRESETS": "small-4 no-such-preset"})
    assert broken.returncode == 1
    assert "unknown preset 'no-such-preset'" in (tmp_path / "broken" / "no-such-preset.log").read_text()
    assert (tmp_path / "broken" / "small-4" / "best.safetensors").is_file()  # the other run still finished
