"""The evaluation sweep: classic files over the link, results schema, reproducibility, reuse of error-free frames,
figures, and one-line errors. Tiny 32x32 images and untrained small models keep the LDPC work small."""

import csv
import hashlib
import json

import pytest
import torch

from vqdeepsc.baselines import MID_GRAY, fit_to_budget, get_codec, send_file, to_image
from vqdeepsc.cli import main
from vqdeepsc.data import to_tensor
from vqdeepsc.data import load_images
from vqdeepsc.evaluate import evaluate
from vqdeepsc.results import FIELDS
from vqdeepsc.link.phy import DigitalLink, LinkStats


@pytest.fixture(scope="module")
def models(untrained_models):
    return untrained_models("small-4")


@pytest.fixture(scope="module")
def jpeg_file(photo_dir):
    images, _ = load_images(photo_dir, "test", size=32)
    return fit_to_budget(get_codec("jpeg"), to_image(images[0]), 4000).data


def eval_argv(photo_dir, models, out, **options):
    """``vqdeepsc eval`` on the 32x32 test photos with the untrained models; an option set to None is left out."""
    options = {"model": models / "small-4.safetensors", "upper": models / "small-4-upper.safetensors",
               "data": photo_dir, "crop": 32, "out": out, **options}
    return ["eval", *(x for k, v in options.items() if v is not None for x in (f"--{k}", str(v)))]


class FixedLink:
    """A stand-in link that receives ``bits`` transformed by ``corrupt``."""

    def __init__(self, corrupt):
        self.corrupt = corrupt

    def send(self, bits, snr_db, generators=None):
        received = self.corrupt(bits.clone())
        errors = (received != bits).sum(1).tolist()
        return received, [LinkStats(bits.shape[1] // 4, 0, bits.shape[1], e, 1, int(e > 0)) for e in errors], None


def test_noiseless_transport_gives_the_local_decode(jpeg_file):
    data = jpeg_file
    codec = get_codec("jpeg")
    got = send_file(codec, data, DigitalLink("awgn"), None, (32, 32), payload_bits=8 * len(data) + 100)
    assert not got.failed and not got.changed and got.stats.bit_errors == 0
    assert got.stats.num_bits == 8 * len(data) + 100
    assert torch.equal(got.image, to_tensor(codec.decode(data, (32, 32))))


@pytest.mark.parametrize("where", ["start-of-image", "height"])
def test_a_corrupted_file_is_mid_gray(jpeg_file, where):
    data = jpeg_file
    # the first bit of the SOI marker, or the MSB of the height in SOF0 (marker, length 2, precision 1, height 2)
    bit = 0 if where == "start-of-image" else 8 * (data.index(b"\xff\xc0") + 5)

    def corrupt(bits):
        bits[0, bit] = 1 - bits[0, bit]
        return bits

    got = send_file(get_codec("jpeg"), data, FixedLink(corrupt), 0.0, (32, 32))
    assert got.failed and got.changed
    assert torch.equal(got.image, torch.full((3, 32, 32), MID_GRAY))


def test_error_free_frames_reuse_the_noiseless_reconstruction(photo_dir, models):
    from vqdeepsc.checkpoint import load_model

    model = load_model(models / "small-4.safetensors")
    images, _ = load_images(photo_dir, "test", size=32)
    decode, calls = model.decode_features, []
    model.decode_features = lambda features: calls.append(features[0].shape[0]) or decode(features)
    result = evaluate(model, images, methods=["vq"], channels=["awgn"], snr_db=[40.0, -5.0])
    high, low = result["results"]
    assert calls == [1] * 4  # the noiseless pass, then only the two damaged frames at -5 dB (one image a call)
    assert high["frame_error_rate"] == 0 and high["ssim"] == result["noiseless"]["vq"]["ssim"]
    assert low["frame_error_rate"] == 1 and low["ber"] > 0.1


def test_results_schema_and_reproducibility(photo_dir, models, tmp_path):
    options = {"channels": "awgn,rician", "snr": "0,30", "methods": "vq,upper,jpeg", "grid": 2}
    main(eval_argv(photo_dir, models, tmp_path / "a", **options))
    main(eval_argv(photo_dir, models, tmp_path / "b", **options))  # the same seed
    a, b = (tmp_path / d / "results.csv" for d in "ab")
    assert a.read_bytes() == b.read_bytes()
    rows = list(csv.DictReader(a.open()))
    assert tuple(rows[0]) == FIELDS and len(rows) == 3 * 2 * 2
    document = json.loads((tmp_path / "a" / "results.json").read_text())
    config = document["config"]
    assert config["model"]["sha256"] == hashlib.sha256((models / "small-4.safetensors").read_bytes()).hexdigest()
    assert (config["preset"], config["split"], config["images"], config["seed"]) == ("small-4", "test", 2, 0)
    assert {"torch", "sionna-no-rt", "pillow", "numpy"} <= set(config["versions"])
    upper = [r for r in document["results"] if r["method"] == "upper"]
    assert len({r["ssim"] for r in upper}) == 1 and upper[0]["ber"] is None
    jpeg = [r for r in document["results"] if r["method"] == "jpeg"]
    assert all(r["quality"] >= 1 and r["failure_rate"] is not None for r in jpeg)
    assert (tmp_path / "a" / "table1.md").read_text().startswith("| small-4 (32x32)")
    assert (tmp_path / "a" / "grid.npz").is_file()

    # a second preset family merges into its own figures; the same rows twice are refused
    other = tmp_path / "c"
    other.mkdir()
    document["config"]["preset"] = "small-3"
    document["results"] = [{**r, "preset": "small-3"} for r in document["results"]]
    (other / "results.json").write_text(json.dumps(document))
    main(["plot", str(tmp_path / "a"), str(other / "results.json"), "--out", str(tmp_path / "fig")])
    names = sorted(p.name for p in (tmp_path / "fig").iterdir())
    assert names == ["grid_small-4.png", "psnr.png", "psnr_small-3.png", "psnr_small-4.png", "ssim.png",
                     "ssim_small-3.png", "ssim_small-4.png"]  # one figure per preset and one with both
    with pytest.raises(SystemExit):
        main(["plot", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "fig")])


@pytest.mark.parametrize("options, message", [
    (lambda m: {"methods": "vq,bpg"}, "unknown method 'bpg'"),
    (lambda m: {"methods": "vq,upper", "upper": None}, "method 'upper' needs an upper-bound model: pass --upper"),
    (lambda m: {"methods": "vq,upper", "upper": m / "small-4.safetensors"},
     "method 'upper' needs an upper-bound model"),
    (lambda m: {"data": "/nonexistent/data"}, "data folder not found"),
    (lambda m: {"model": "no-such-model"}, "no shipped model or model file 'no-such-model'"),
], ids=["methods", "no-upper", "upper-is-quantized", "data", "model"])
def test_one_line_errors(photo_dir, models, tmp_path, capsys, options, message):
    with pytest.raises(SystemExit) as exit_info:
        main(eval_argv(photo_dir, models, tmp_path, snr="0", **options(models)))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1 and message in err, err


def test_an_evaluation_never_mixes_its_files_with_another_ones(photo_dir, models, tmp_path, capsys):
    out = tmp_path / "res"
    options = {"channels": "awgn", "snr": "30", "methods": "vq", "grid": 2}
    main(eval_argv(photo_dir, models, out, **options))
    before = (out / "results.json").read_bytes()
    (out / "notes.md").write_text("hand-written")
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(eval_argv(photo_dir, models, out, **{**options, "grid": 0}))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "results folder" in err and "--overwrite" in err and err.count("\n") == 1
    assert (out / "results.json").read_bytes() == before and (out / "grid.npz").exists()
    main([*eval_argv(photo_dir, models, out, **{**options, "grid": 0}), "--overwrite"])
    assert not (out / "grid.npz").exists()  # the old run's reconstructions are gone with it
    assert (out / "notes.md").read_text() == "hand-written"
