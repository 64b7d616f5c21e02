"""Sweeps that never lose work: a killed evaluation resumed, and shards of the images merged, give the results of
one uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vqdeepsc.cli import main
from vqdeepsc.results import PointLog

OPTIONS = {"split": "train", "channels": "awgn,rayleigh", "snr": "0,5,30", "methods": "vq-hard,vq-soft,upper,jpeg"}


@pytest.fixture(scope="module")
def models(untrained_models):
    return untrained_models("small-3")


def argv(photo_dir, models, out, *extra, **options):
    options = {"model": models / "small-3.safetensors", "upper": models / "small-3-upper.safetensors",
               "data": photo_dir, "crop": 32, "out": out, **OPTIONS, **options}
    return ["eval", *(x for k, v in options.items() for x in (f"--{k}", str(v))), "--no-progress", *extra]


@pytest.fixture(scope="module")
def single(photo_dir, models, tmp_path_factory):
    """One uninterrupted run over the 4 train photos, 2 channels x 3 SNRs, keeping 2 reconstructions."""
    out = tmp_path_factory.mktemp("single")
    main(argv(photo_dir, models, out, grid=2))
    return out


def test_a_killed_sweep_resumes_to_the_same_results(photo_dir, models, single, tmp_path, monkeypatch, capsys):
    out, add, calls = tmp_path / "run", PointLog.add, []

    def add_then_die(self, point):
        add(self, point)
        calls.append(point)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(PointLog, "add", add_then_die)
    with pytest.raises(SystemExit) as stopped:  # Ctrl-C: one line that says how to go on
        main(argv(photo_dir, models, out, grid=2))
    err = capsys.readouterr().err
    assert stopped.value.code == 130 and err.count("\n") == 1 and "interrupted" in err and "--resume" in err, err
    monkeypatch.setattr(PointLog, "add", add)
    with open(out / "points.jsonl", "a") as f:
        f.write('{"kind": "point", "chan')  # killed in the middle of a line
    assert len(PointLog(out).read()[1]) == 2 and not (out / "results.csv").exists()

    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(argv(photo_dir, models, out, grid=2))  # not silently restarted
    assert "--resume" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(argv(photo_dir, models, out, "--resume", grid=2, seed=1))
    assert "differs in seed" in capsys.readouterr().err

    main(argv(photo_dir, models, out, "--resume", grid=2, batch=1))  # the batch size may change
    assert "2 of 6 points already finished" in capsys.readouterr().out
    assert (out / "results.csv").read_bytes() == (single / "results.csv").read_bytes()
    with np.load(out / "grid.npz") as a, np.load(single / "grid.npz") as b:
        assert sorted(a.files) == sorted(b.files) and all(np.array_equal(a[k], b[k]) for k in a.files)
    assert len(PointLog(out).read()[1]) == 6 and not (out / "grid-points").exists()

    written = {f: (out / f).read_bytes() for f in ("results.csv", "results.json", "grid.npz")}
    main(argv(photo_dir, models, out, "--resume", grid=2))  # a finished sweep resumed again (a script run twice)
    assert "its results stand, nothing to do" in capsys.readouterr().out
    assert {f: (out / f).read_bytes() for f in written} == written


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux ``/proc``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_process_with_decoder_workers_resumes_at_once(photo_dir, models, single, tmp_path, sig):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "vqdeepsc.cli", *map(str, argv(photo_dir, models, out, grid=2)),
               "--decoder-backend", "cpp", "--decoder-workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    workers, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        workers = workers or children(process.pid)
        if workers and len(PointLog(out).read()[1]) >= 2:
            break
        time.sleep(0.02)
    assert process.poll() is None and workers, "the evaluation ended before it could be killed"
    process.send_signal(sig)
    process.wait(60)
    err = process.stderr.read()
    if sig == signal.SIGTERM:  # stopped as by Ctrl-C: one line
        assert process.returncode == 130 and err.strip().splitlines()[-1].endswith("--resume"), err
    main(argv(photo_dir, models, out, "--resume", grid=2))  # at once: no worker holds the folder
    assert (out / "results.csv").read_bytes() == (single / "results.csv").read_bytes()
    deadline = time.monotonic() + 10
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, workers)), "a decoder worker outlived its parent"


def test_shards_merged_equal_one_run(photo_dir, models, single, tmp_path, capsys):
    shards = [tmp_path / f"shard{i}" for i in range(3)]
    for i, folder in enumerate(shards):  # 2, 1 and 1 images
        main(argv(photo_dir, models, folder, shard=f"{i}/3", batch=1 + i, grid=2))
    merged = tmp_path / "merged"
    main(["merge", *map(str, shards[::-1]), "--out", str(merged)])
    assert (merged / "results.csv").read_bytes() == (single / "results.csv").read_bytes()
    one, joined = (json.loads((f / "results.json").read_text()) for f in (single, merged))
    assert joined["noiseless"] == one["noiseless"] and joined["config"]["files"] == one["config"]["files"]
    assert joined["config"]["shards"] == 3 and joined["config"]["images"] == 4
    shard_seconds = sum(json.loads((f / "results.json").read_text())["config"]["seconds"] for f in shards)
    assert joined["config"]["seconds"] == round(shard_seconds, 1) > 0
    with np.load(merged / "grid.npz") as a, np.load(shards[0] / "grid.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in b.files)

    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["merge", str(shards[0]), str(shards[2]), "--out", str(tmp_path / "partial")])
    assert "need each of 0/3 .. 2/3 exactly once" in capsys.readouterr().err
    other = tmp_path / "other"
    main(argv(photo_dir, models, other, shard="1/3", seed=7))
    with pytest.raises(SystemExit):
        main(["merge", str(shards[0]), str(other), str(shards[2]), "--out", str(tmp_path / "mixed")])
    assert "not a shard of the same evaluation" in capsys.readouterr().err


@pytest.mark.parametrize("shard", ["3/3", "1", "a/b"])
def test_bad_shards_are_one_line_errors(photo_dir, models, tmp_path, capsys, shard):
    with pytest.raises(SystemExit) as exit_info:
        main(argv(photo_dir, models, tmp_path, shard=shard))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--shard" in err and err.count("\n") == 1


def test_the_full_split_script_runs_shards_side_by_side_and_merges_them(photo_dir, models, single, tmp_path):
    """``scripts/eval_full_split.sh`` at tiny scale: two lanes of one model, merged = one run."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parents[1] / "scripts" / "eval_full_split.sh"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "LANES": "2",
           "MODELS": str(models / "small-3.safetensors"), "METHODS": OPTIONS["methods"], "SPLIT": "train",
           "SHARDS": str(tmp_path / "shards")}
    extra = ["--upper", models / "small-3-upper.safetensors", "--crop", "32", "--channels", OPTIONS["channels"],
             "--snr", OPTIONS["snr"], "--grid", "2"]
    done = subprocess.run(["bash", str(script), photo_dir, tmp_path / "out", *map(str, extra)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "wall time" in done.stdout and sorted(p.name for p in (tmp_path / "shards").glob("*.log")) == [
        "small-3-0.log", "small-3-1.log"]
    # the script's lanes run one thread each, and a float reduction's rounding depends on the thread count: the
    # reference is the script with one lane (the same bits and decisions as `single`, which runs with more threads)
    one = subprocess.run(["bash", str(script), photo_dir, tmp_path / "one", *map(str, extra)], capture_output=True,
                         env={**env, "LANES": "1", "SHARDS": str(tmp_path / "one-shard")}, text=True, timeout=600)
    assert one.returncode == 0, one.stderr
    assert (tmp_path / "out" / "small-3" / "results.csv").read_bytes() == \
        (tmp_path / "one" / "small-3" / "results.csv").read_bytes()
    merged, reference = (np.genfromtxt(f / "results.csv", delimiter=",", skip_header=1, usecols=range(3, 9))
                         for f in (tmp_path / "out" / "small-3", single))
    np.testing.assert_allclose(merged, reference, rtol=1e-5)
