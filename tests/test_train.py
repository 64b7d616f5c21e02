"""Training: it learns, it resumes exactly, its files survive crashes, it refuses bad input clearly."""

import csv
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import scipy.io
import torch
from PIL import Image

from vqdeepsc.checkpoint import load_checkpoint, load_model, save_checkpoint, save_model
from vqdeepsc.data import ImageDataset, collate_images, split_files
from vqdeepsc.models.system import VQDeepSC
from vqdeepsc.config import Preset, get_preset, legacy_network
from vqdeepsc.train import TrainConfig, Trainer, TrainingError


def tiny_config(photo_dir, run_dir, **kw):
    base = dict(preset="small-4", data=str(photo_dir), run_dir=str(run_dir), epochs=2, batch_size=4, crop=32,
                lr=2e-3, workers=0, deterministic=True, disc_channels=8)
    base.update(kw)
    return TrainConfig(**base)


def read_log(run_dir):
    with open(run_dir / "log.csv") as f:
        return list(csv.DictReader(f))


def test_overfits_four_real_images(photo_dir, tmp_path):
    # one step per epoch; the small presets' fine blocks learn slower at first: L1 falls to 0.55x in 30 steps, 0.43x
    # in 60 with one thread, 0.59x with two (measured); the network without them needed 30 (0.37x)
    trainer = Trainer(tiny_config(photo_dir, tmp_path / "run", epochs=120))
    history = trainer.fit()
    assert history[-1]["l1"] < 0.5 * history[0]["l1"]
    assert history[-1]["val_ssim"] > history[0]["val_ssim"]
    logged = read_log(tmp_path / "run")
    assert len(logged) == 120 and {"l1", "codebook", "commitment", "g_adv", "loss_d", "val_ssim", "val_ms_ssim",
                                   "val_psnr", "val_psnr_luma", "val_psnr_chroma", "val_ciede2000", "perplexity_1",
                                   "usage_4"} <= set(logged[0])
    assert (tmp_path / "run" / "curves.png").stat().st_size > 0
    model = load_model(tmp_path / "run" / "best.safetensors", expect_preset="small-4")
    assert isinstance(model, VQDeepSC) and not model.training


def test_the_curves_are_drawn_at_most_once_a_minute_and_at_the_last_epoch(photo_dir, tmp_path, monkeypatch):
    import vqdeepsc.plots as plots
    import vqdeepsc.train as train

    drawn = []
    monkeypatch.setattr(plots, "plot_training", lambda history, path: drawn.append(len(history)))
    Trainer(tiny_config(photo_dir, tmp_path / "fast", epochs=3)).fit()
    assert drawn == [1, 3]  # the first epoch, then none until the last (tiny epochs take well under a minute)
    drawn.clear()
    monkeypatch.setattr(train, "CURVES_EVERY_S", 0.0)
    Trainer(tiny_config(photo_dir, tmp_path / "slow", epochs=3)).fit()
    assert drawn == [1, 2, 3]


def test_the_curves_draw_the_loss_terms_the_run_weighs(tmp_path, monkeypatch):
    import vqdeepsc.plots as plots

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    # a decoder-tail run: the CIELAB term learns, the frozen codebooks log zeros and no perplexity
    history = [{"epoch": e, "l1": 0.02 / e, "l1_lab": 0.03 / e, "codebook": 0.0, "commitment": 0.0,
                "val_ssim": 0.9, "val_psnr": 30.0} for e in (1, 2)]
    plots.plot_training(history, tmp_path / "curves.png")
    losses, _, usage = figures[0].axes[:3]
    assert [line.get_label() for line in losses.get_lines()] == ["l1", "l1_lab"]
    assert usage.get_title() == "codebook health (no codebook learns in this run)"


def test_the_best_checkpoint_is_the_one_the_select_metric_prefers(photo_dir, tmp_path, monkeypatch):
    # validation rows in which SSIM and CIEDE2000 disagree: SSIM prefers epoch 2, CIEDE2000 (lower) epoch 1
    rows = iter([{"val_ssim": 0.5, "val_psnr": 20.0, "val_ciede2000": 3.0},
                 {"val_ssim": 0.6, "val_psnr": 21.0, "val_ciede2000": 5.0}] * 2)
    for select in ("ssim", "ciede2000"):
        trainer = Trainer(tiny_config(photo_dir, tmp_path / select, select=select))
        monkeypatch.setattr(trainer, "_validate", lambda: dict(next(rows)))
        trainer.fit()
        record = json.loads(load_model_record(tmp_path / select / "best.safetensors"))
        assert (record["epoch"], record["select"]) == ({"ssim": 2, "ciede2000": 1}[select], select)
        assert record["val_ciede2000"] == {"ssim": 5.0, "ciede2000": 3.0}[select]
        last = json.loads(load_model_record(tmp_path / select / "last.safetensors"))  # the end of the run, either way
        assert (last["epoch"], last["val_ciede2000"]) == (2, 5.0)
    with pytest.raises(ValueError, match="unknown metric 'lpips'"):
        tiny_config(photo_dir, tmp_path / "x", select="lpips").check()
    with pytest.raises(ValueError, match="--select ms-ssim needs a validation crop of 97 pixels or more, not 32"):
        tiny_config(photo_dir, tmp_path / "x", select="ms-ssim", val_crop=32).check()


def load_model_record(path):
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return f.metadata()["record"]


def test_resume_gives_the_same_losses_as_an_uninterrupted_run(photo_dir, tmp_path):
    Trainer(tiny_config(photo_dir, tmp_path / "full", epochs=3)).fit()
    Trainer(tiny_config(photo_dir, tmp_path / "cut", epochs=1)).fit()  # "killed" after epoch 1
    Trainer.resume(tmp_path / "cut", epochs=3).fit()
    full, cut = read_log(tmp_path / "full"), read_log(tmp_path / "cut")
    drop = ("seconds",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in full] == \
           [{k: v for k, v in r.items() if k not in drop} for r in cut]


def test_a_run_started_before_todays_presets_resumes_with_its_own_network(photo_dir, tmp_path, monkeypatch):
    """Checkpoints record their network; one without (written before the decoder had the paper's widths and the
    small presets fine blocks) holds the network of that time, and resuming it must rebuild that one."""
    import vqdeepsc.config as config

    then = legacy_network(get_preset("small-4"))
    assert then.up_widths == (8, 64, 32, 16) and then != get_preset("small-4")
    with monkeypatch.context() as m:
        m.setitem(config.PRESETS, "small-4", then)
        Trainer(tiny_config(photo_dir, tmp_path / "run", epochs=1)).fit()
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert Preset.from_dict(json.loads(state.pop("preset"))) == then
    save_checkpoint(state, tmp_path / "run" / "checkpoint.pt")
    trainer = Trainer.resume(tmp_path / "run", epochs=2)
    assert trainer.model.preset == then
    trainer.fit()
    assert len(read_log(tmp_path / "run")) == 2
    resumed = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert Preset.from_dict(json.loads(resumed["preset"])) == then  # and now it says so


def test_a_run_of_the_version_between_resumes_with_the_network_its_weights_hold(photo_dir, tmp_path):
    """Runs started while ``TrainConfig`` had an ``up_widths`` field hold today's network, a config with that key
    and a checkpoint without its preset: the weights say which network it is."""
    Trainer(tiny_config(photo_dir, tmp_path / "run", epochs=1)).fit()
    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    state.pop("preset")
    state["config"] = json.dumps({**json.loads(state["config"]), "up_widths": None})
    save_checkpoint(state, tmp_path / "run" / "checkpoint.pt")
    trainer = Trainer.resume(tmp_path / "run", epochs=2)
    assert trainer.model.preset == get_preset("small-4")
    trainer.fit()
    assert len(read_log(tmp_path / "run")) == 2

    state = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    state.pop("preset")
    state["model"] = {k: v for k, v in state["model"].items() if not k.startswith("decoder.fine")}
    save_checkpoint(state, tmp_path / "run" / "checkpoint.pt")
    with pytest.raises(ValueError, match="fit no network of preset 'small-4'"):
        Trainer.resume(tmp_path / "run", epochs=3)


def test_a_crash_during_save_leaves_the_old_checkpoint(photo_dir, tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint({"format": "vqdeepsc-checkpoint/1", "epoch": 1}, path)

    def crash(obj, f, *a, **k):
        with open(f, "wb") as fh:
            fh.write(b"half a file")
        raise KeyboardInterrupt("killed while saving")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({"format": "vqdeepsc-checkpoint/1", "epoch": 2}, path)
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temp file left behind


def test_corrupt_and_foreign_files_give_clear_errors(photo_dir, tmp_path):
    model = VQDeepSC(get_preset("small-3"))
    save_model(model, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="holds a 'small-3' model, not 'small-4'"):
        load_model(tmp_path / "m.safetensors", expect_preset="small-4")
    data = (tmp_path / "m.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.safetensors"):
        load_model(tmp_path / "cut.safetensors")
    (tmp_path / "checkpoint.pt").write_bytes(b"\x80\x04garbage")
    with pytest.raises(ValueError, match="corrupt checkpoint"):
        load_checkpoint(tmp_path / "checkpoint.pt")
    with pytest.raises(ValueError, match="no checkpoint"):
        Trainer.resume(tmp_path / "nothing-here")


def test_non_finite_loss_stops_training_and_keeps_the_last_checkpoint(photo_dir, tmp_path):
    run = tmp_path / "run"
    Trainer(tiny_config(photo_dir, run, epochs=1)).fit()
    before = (run / "checkpoint.pt").read_bytes()
    trainer = Trainer.resume(run, epochs=2)
    trainer.cfg.lam = float("nan")
    with pytest.raises(TrainingError, match="non-finite generator loss at epoch 2.*last good checkpoint"):
        trainer.fit()
    assert (run / "checkpoint.pt").read_bytes() == before


def test_unreadable_images_are_skipped_with_a_warning(photo_dir, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    ds = ImageDataset([bad, *split_files(photo_dir, "val")], 32, train=True)
    with pytest.warns(UserWarning, match="broken.png"):
        images, skipped = collate_images([ds[i] for i in range(len(ds))])
    assert skipped == 1 and images.shape == (2, 3, 32, 32)


def test_stanford_cars_layout(tmp_path):
    """The devkit's .mat structure: a 1xN struct array 'annotations' with bbox_*, class and fname fields."""
    root = tmp_path / "stanford_cars"
    (root / "devkit").mkdir(parents=True)
    for folder, n in (("cars_train", 6), ("cars_test", 10)):
        (root / folder).mkdir()
        for i in range(n):
            Image.new("RGB", (60, 40), (i * 20, 0, 0)).save(root / folder / f"{i + 1:05d}.jpg")

    def annos(n, labels=True):
        dtype = [("bbox_x1", "O"), ("bbox_y1", "O"), ("bbox_x2", "O"), ("bbox_y2", "O")] + \
                ([("class", "O")] if labels else []) + [("fname", "O")]
        rec = [tuple([[[1]], [[1]], [[50]], [[30]]] + ([[[3]]] if labels else []) + [[f"{i + 1:05d}.jpg"]])
               for i in range(n)]
        import numpy as np
        return {"annotations": np.array([rec], dtype=dtype)}

    scipy.io.savemat(root / "devkit" / "cars_train_annos.mat", annos(6))
    scipy.io.savemat(root / "cars_test_annos_withlabels.mat", annos(10))
    train, val, test = (split_files(root, s) for s in ("train", "val", "test"))
    assert [p.name for p in train] == [f"{i:05d}.jpg" for i in range(1, 7)]
    assert len(val) == len(test) == 5 and not set(val) & set(test)
    assert {p.name for p in val + test} == {f"{i:05d}.jpg" for i in range(1, 11)}
    assert val == split_files(root, "val")  # the split is fixed
    x = ImageDataset(val, 128)[0]
    assert x.shape == (3, 128, 128)  # short side 40 < 128: resized up, then centre-cropped


def test_two_process_gloo_ddp(photo_dir, tmp_path):
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", "29517",
           "-m", "vqdeepsc.cli", "train", "--preset", "small-3", "--data", str(photo_dir), "--out", str(run),
           "--epochs", "1", "--batch-size", "4", "--crop", "32", "--workers", "0", "--disc-channels", "8"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    log = read_log(run)
    assert len(log) == 1 and int(log[0]["images"]) == 4  # 4 training photos, 2 per process
    assert json.loads((run / "config.json").read_text())["preset"] == "small-3"


def cli_train(*argv):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "vqdeepsc.cli", "train", *argv], capture_output=True, text=True,
                          env=env, timeout=300)


TINY_FLAGS = ("--epochs", "1", "--batch-size", "4", "--crop", "32", "--val-crop", "32", "--workers", "0")


def test_two_process_run_resumes_like_an_uninterrupted_one(photo_dir, tmp_path):
    def torchrun(port, *argv):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(port),
               "-m", "vqdeepsc.cli", "train", *argv]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert result.returncode == 0, result.stderr[-2000:]

    common = ("--preset", "small-4", "--data", str(photo_dir), "--batch-size", "4", "--crop", "32",
              "--val-crop", "32", "--workers", "0", "--deterministic")
    torchrun(29518, *common, "--out", str(tmp_path / "full"), "--epochs", "2")
    torchrun(29519, *common, "--out", str(tmp_path / "cut"), "--epochs", "1")
    state = load_checkpoint(tmp_path / "cut" / "checkpoint.pt")
    assert len(state["rng"]) == 2 and all(r is not None for r in state["rng"])
    torchrun(29520, "--resume", str(tmp_path / "cut"), "--epochs", "2")
    drop = ("seconds",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in read_log(tmp_path / "full")] == \
           [{k: v for k, v in r.items() if k not in drop} for r in read_log(tmp_path / "cut")]


def test_an_existing_run_is_never_replaced_without_asking(photo_dir, tmp_path):
    run = tmp_path / "run"
    first = cli_train("--preset", "small-4", "--data", str(photo_dir), "--out", str(run), *TINY_FLAGS)
    assert first.returncode == 0, first.stderr[-1000:]
    before = (run / "checkpoint.pt").read_bytes()
    again = cli_train("--preset", "small-4", "--data", str(photo_dir), "--out", str(run), *TINY_FLAGS)
    assert again.returncode == 2 and "is not empty" in again.stderr and "--resume" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and (run / "checkpoint.pt").read_bytes() == before
    (run / "notes.txt").write_text("mine")
    replaced = cli_train("--preset", "small-4", "--data", str(photo_dir), "--out", str(run), *TINY_FLAGS,
                         "--seed", "3", "--overwrite")
    assert replaced.returncode == 0 and (run / "checkpoint.pt").read_bytes() != before
    assert (run / "notes.txt").read_text() == "mine"


def test_a_run_folder_in_use_is_refused(photo_dir, tmp_path):
    from vqdeepsc.folders import FolderLock

    with FolderLock(tmp_path / "run", "run folder"):
        busy = cli_train("--preset", "small-4", "--data", str(photo_dir), "--out", str(tmp_path / "run"), *TINY_FLAGS)
    assert busy.returncode == 2 and "in use by another process" in busy.stderr
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_a_diverged_model_is_not_saved(photo_dir, tmp_path, monkeypatch):
    run = tmp_path / "run"
    Trainer(tiny_config(photo_dir, run, epochs=1)).fit()
    saved = ("checkpoint.pt", "best.safetensors", "last.safetensors", "log.csv", "curves.png")
    files = {name: (run / name).read_bytes() for name in saved}
    trainer = Trainer.resume(run, epochs=2)
    monkeypatch.setattr(trainer, "_validate", lambda: {"val_ssim": float("nan"), "val_psnr": float("nan")})
    with pytest.raises(TrainingError, match=r"validation SSIM nan.*last good checkpoint is .*checkpoint.pt \(epoch 1\)"):
        trainer.fit()
    assert {name: (run / name).read_bytes() for name in saved} == files
    trainer = Trainer.resume(run, epochs=2)
    monkeypatch.setattr(trainer, "_validate", lambda: {"val_ssim": 0.5, "val_psnr": 20.0})
    real_epoch = trainer._train_epoch

    def blow_up():
        row = real_epoch()
        with torch.no_grad():
            trainer.model.decoder.to_image[0].weight.fill_(float("inf"))
        return row

    monkeypatch.setattr(trainer, "_train_epoch", blow_up)
    with pytest.raises(TrainingError, match="non-finite weights"):
        trainer.fit()
    assert {name: (run / name).read_bytes() for name in saved} == files
    Trainer.resume(run, epochs=2).fit()  # the kept checkpoint resumes


def test_resume_says_which_flags_it_can_change_and_finds_a_moved_data_set(photo_dir, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(photo_dir, data)
    run = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "vqdeepsc.cli", "train", "--preset", "small-4", "--data", "data",
                             "--out", "run", *TINY_FLAGS], capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-1000:]
    assert json.loads((run / "config.json").read_text())["data"] == str(data.resolve())
    refused = cli_train("--resume", str(run), "--epochs", "2", "--lr", "0.1", "--batch-size", "8")
    assert refused.returncode == 2 and "drop --batch-size, --lr" in refused.stderr
    assert "--epochs" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    moved = tmp_path / "moved"
    data.rename(moved)
    lost = cli_train("--resume", str(run), "--epochs", "2")
    assert lost.returncode == 2 and "data folder not found" in lost.stderr
    ok = cli_train("--resume", str(run), "--epochs", "2", "--data", str(moved))
    assert ok.returncode == 0, ok.stderr[-1000:]
    assert len(read_log(run)) == 2 and json.loads((run / "config.json").read_text())["data"] == str(moved)


def test_orphan_temporary_files_are_removed_on_resume(photo_dir, tmp_path):
    run = tmp_path / "run"
    Trainer(tiny_config(photo_dir, run, epochs=1)).fit()
    orphans = [run / ".checkpoint.pt.abc123.tmp", run / ".best.safetensors.xyz.tmp"]
    for p in orphans:
        p.write_bytes(b"half a file")
    Trainer.resume(run, epochs=2).fit()
    assert not any(p.exists() for p in orphans)


def test_init_from_starts_a_quantized_run_from_an_upper_bound(photo_dir, tmp_path):
    Trainer(tiny_config(photo_dir, tmp_path / "upper", preset="small-4-upper", epochs=1)).fit()
    upper = load_model(tmp_path / "upper" / "best.safetensors")
    trainer = Trainer(tiny_config(photo_dir, tmp_path / "vq", init_from=str(tmp_path / "upper" / "best.safetensors")))
    own = trainer.model.state_dict()
    shared = [k for k in upper.state_dict() if k.startswith(("encoder.", "decoder."))]
    assert shared and all(torch.equal(own[k], upper.state_dict()[k]) for k in shared)
    older = tmp_path / "older.safetensors"  # the older decoder widths, as every file saved before they were fixed
    save_model(VQDeepSC(legacy_network(get_preset("small-3-upper"))), older)
    trainer = Trainer(tiny_config(photo_dir, tmp_path / "vq3", preset="small-3", init_from=str(older)))
    assert trainer.model.preset.up_widths == load_model(older).preset.up_widths != get_preset("small-3").up_widths
    with pytest.raises(ValueError, match="does not fit the encoder and decoder of a .paper-4. model"):
        Trainer(tiny_config(photo_dir, tmp_path / "x", preset="paper-4", init_from=str(tmp_path / "upper" / "best.safetensors")))


def test_a_closed_loop_decoder_learns_channel_errors_on_the_indices_its_source_sends(photo_dir, tmp_path):
    """A closed-loop transmitter chooses with the decoder's state; fine-tuning the decoder must not change what it is
    trained on: the indices of the model it started from, whose transmitter parts stay in the file."""
    torch.manual_seed(0)
    source = VQDeepSC(replace(get_preset("small-4"), closed_loop=True)).eval()
    with torch.no_grad():
        for choice in source.closed_loop.values():
            choice[-1].weight.normal_(0, 0.5)
    save_model(source, tmp_path / "source.safetensors")
    trainer = Trainer(tiny_config(photo_dir, tmp_path / "robust", epochs=2, lr=1e-2,
                                  init_from=str(tmp_path / "source.safetensors"), channel_errors=0.25))
    trainer.fit()
    after = load_model(tmp_path / "robust" / "best.safetensors")
    images = torch.stack(list(ImageDataset(split_files(photo_dir, "val"), 32)))
    with torch.no_grad():
        sent = source.encode(images)
        assert all(torch.equal(a, b) for a, b in zip(sent, trainer.transmitter.encode(images)))
        # what the learning decoder itself would have chosen: other indices, so the test can tell the two apart
        assert not all(torch.equal(a, b) for a, b in zip(sent, after.encode(images)))
    old, new = source.state_dict(), after.state_dict()
    assert all(torch.equal(old[k], new[k]) for k in old if not k.startswith("decoder."))


@pytest.mark.parametrize("preset", ["small-4", "small-3"])
def test_decoder_tail_fine_tunes_only_what_the_closed_loop_never_runs_so_the_model_sends_the_same_bits(
        photo_dir, tmp_path, preset):
    """--decoder-tail: only the layers after the finest received scale learn; the saved model itself (its closed-loop
    choice reads its own decoder) then sends exactly the indices of the model it started from."""
    torch.manual_seed(0)
    source = VQDeepSC(get_preset(preset)).eval()
    with torch.no_grad():
        for choice in source.closed_loop.values():  # a choice that depends on the decoder's state
            choice[-1].weight.normal_(0, 0.5)
    save_model(source, tmp_path / "source.safetensors")
    history = Trainer(tiny_config(photo_dir, tmp_path / "tail", preset=preset, epochs=2, lr=1e-2, decoder_tail=True,
                                  init_from=str(tmp_path / "source.safetensors"))).fit()
    assert "val_ssim_errors" not in history[-1] and history[-1]["val_ssim"] > 0
    after = load_model(tmp_path / "tail" / "last.safetensors")
    images = torch.stack(list(ImageDataset(split_files(photo_dir, "val"), 32)))
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(source.encode(images), after.encode(images)))
    old, tail = source.state_dict(), {id(p) for p in after.decoder.tail().parameters()}
    changed = {n for n, p in after.named_parameters() if not torch.equal(p, old[n])}
    assert changed and all(id(p) in tail for n, p in after.named_parameters() if n in changed)
    assert any(n.startswith("decoder.fine.") for n in changed) and any(n.startswith("decoder.to_image.") for n in changed)
    assert all(torch.equal(t, old[n]) for n, t in after.named_buffers())  # BatchNorm statistics, labels, cast
    for bad in ({}, {"init_from": str(tmp_path / "source.safetensors"), "channel_errors": 0.25},
                {"init_from": str(tmp_path / "source.safetensors"), "preset": "small-4-upper"}):
        with pytest.raises(ValueError, match="--decoder-tail fine-tunes the last decoder layers"):
            tiny_config(photo_dir, tmp_path / "x", decoder_tail=True, **bad).check()


def test_channel_errors_fine_tune_only_the_decoder_so_the_bits_stay(photo_dir, tmp_path):
    from vqdeepsc import zoo

    source = Path(zoo.__file__).parent / "weights" / "small-4.safetensors"
    run = tmp_path / "robust"
    trainer = Trainer(tiny_config(photo_dir, run, epochs=1, init_from=str(source), channel_errors=0.25))
    history = trainer.fit()
    assert 0 < history[0]["val_ssim_errors"] < history[0]["val_ssim"]
    before, after = load_model(source), load_model(run / "best.safetensors")
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        sent_before, sent_after = before.encode(images), trainer.transmitter.encode(images)
    assert all(torch.equal(a, b) for a, b in zip(sent_before, sent_after))  # same indices, same bits
    old, new = before.state_dict(), after.state_dict()
    assert all(torch.equal(old[k], new[k]) for k in old if not k.startswith("decoder."))
    assert any(not torch.equal(old[k], new[k]) for k in old if k.startswith("decoder."))
    assert all(torch.equal(old[k], new[k]) for k in old if k.endswith(("running_mean", "running_var")))
    # a model of the older network (decoder widths, no fine blocks, open loop): its decoder still fine-tunes
    legacy = tmp_path / "legacy-3.safetensors"
    save_model(VQDeepSC(legacy_network(get_preset("small-3"))).eval(), legacy)
    Trainer(tiny_config(photo_dir, tmp_path / "r3", preset="small-3", epochs=1, init_from=str(legacy),
                        channel_errors=0.25)).fit()
    assert load_model(tmp_path / "r3" / "best.safetensors").preset == load_model(legacy).preset
    with pytest.raises(ValueError, match="holds a 'small-4' model, not 'small-3'"):
        Trainer(tiny_config(photo_dir, tmp_path / "x3", preset="small-3", init_from=str(source), channel_errors=0.25))
    for bad in ({"channel_errors": 0.25}, {"channel_errors": 0.7, "init_from": str(source)},
                {"channel_errors": 0.25, "init_from": str(source), "preset": "small-4-upper"}):
        with pytest.raises(ValueError, match="--channel-errors fine-tunes the decoder"):
            tiny_config(photo_dir, tmp_path / "x", **bad).check()


def test_simulated_receptions():
    from vqdeepsc import zoo
    from vqdeepsc.reception_model import SimulatedReception, hard_errors

    model = zoo.load("small-4")
    with torch.no_grad():
        indices = model.encode(torch.rand(64, 3, 32, 32, generator=torch.Generator().manual_seed(0)))
    clean = model.codeword_features(indices)  # the transmitted indices are labels
    exact = SimulatedReception(0.25, clean=1.0)(model, indices)
    assert all(torch.equal(a, b) for a, b in zip(exact, clean))
    corrupted = SimulatedReception(0.25, clean=0.0)(model, indices, torch.Generator().manual_seed(1))
    changed = torch.stack([(a != b).flatten(1).any(1) for a, b in zip(corrupted, clean)]).any(0)
    assert changed.float().mean() > 0.9  # hardly any image escapes (an image at BER ~0 can)
    flipped = hard_errors(model, indices, 0.0)
    assert all(torch.equal(a, b) for a, b in zip(flipped, clean))
    with pytest.raises(ValueError, match="max_ber must be in"):
        SimulatedReception(0.8)


def test_16_bit_images_are_read_as_their_8_bit_copies(photo_dir, tmp_path):
    import numpy as np

    gray = np.asarray(Image.open(split_files(photo_dir, "val")[0]).convert("L"))
    Image.fromarray(gray).save(tmp_path / "8.png")
    Image.fromarray(gray.astype(np.uint16) * 257).save(tmp_path / "16.png")
    assert Image.open(tmp_path / "16.png").mode.startswith("I;16")
    sixteen, eight = ImageDataset([tmp_path / "16.png", tmp_path / "8.png"], 32)
    assert torch.equal(sixteen, eight) and sixteen.mean() < 0.9  # was white: clipped at 255


def in_process(argv, capsys):
    """(exit status, stderr) of ``vqdeepsc argv`` run in this process."""
    from vqdeepsc.cli import main

    try:
        status = main([str(a) for a in argv])
    except SystemExit as e:
        status = e.code
    return status, capsys.readouterr().err


def test_ctrl_c_and_a_full_disk_stop_training_in_one_line_and_the_run_resumes(photo_dir, tmp_path, monkeypatch,
                                                                             capsys):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(photo_dir, data)
    (data / "train" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    run, argv = tmp_path / "run", ["train", "--preset", "small-4", "--data", data, *TINY_FLAGS, "--seed", "1"]

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "_train_epoch", interrupted)
    status, err = in_process([*argv, "--out", run], capsys)
    lines = err.strip().splitlines()
    assert status == 130 and lines[-1] == f"vqdeepsc train: interrupted; the finished epochs are kept: continue " \
                                          f"with vqdeepsc train --resume {run}", err
    assert any(line.startswith("vqdeepsc train: warning: skipping cannot read image") and "broken.png" in line
               for line in lines) and "UserWarning" not in err and "Traceback" not in err
    assert sorted(p.name for p in run.iterdir() if not p.name.startswith(".")) == ["config.json"]  # no checkpoint
    monkeypatch.undo()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full_disk)  # where the model files reach the disk
    status, err = in_process(["train", "--resume", run], capsys)
    last = err.strip().splitlines()[-1]
    assert status == 2 and last.startswith("vqdeepsc train: error: cannot write") and "No space left" in last, err
    assert "Traceback" not in err and not list(run.glob(".*.tmp"))
    monkeypatch.undo()
    assert in_process(["train", "--resume", run], capsys)[0] == 0  # from epoch 0 with the stored configuration
    in_process([*argv, "--out", tmp_path / "uninterrupted"], capsys)
    drop = ("seconds",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in read_log(run)] == \
           [{k: v for k, v in r.items() if k not in drop} for r in read_log(tmp_path / "uninterrupted")]


def test_a_new_run_in_a_folder_without_a_checkpoint_says_to_resume_it(photo_dir, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"preset": "small-4"}))
    broken = cli_train("--resume", str(run))
    assert broken.returncode == 2 and "is not the config.json of a vqdeepsc run" in broken.stderr
    assert len(broken.stderr.strip().splitlines()) == 1
