"""Analog Deep-JSCC: its bandwidth, power and SNR are exact, its model files say what they are, it trains and resumes
with the project's loop, and it is evaluated on the same channel draws as the digital methods."""

import csv
import json

import pytest
import torch

from vqdeepsc.checkpoint import load_model, read_model_metadata, save_model
from vqdeepsc.cli import main
from vqdeepsc.config import get_preset
from vqdeepsc.evaluate import Evaluation, link_seed
from vqdeepsc.link.channel import AWGN, Rayleigh, Rician, mmse_equalize, snr_db_to_no
from vqdeepsc.losses import AnalogLoss
from vqdeepsc.metrics import image_scores
from vqdeepsc.models import build_model
from vqdeepsc.models.jscc import DeepJSCC
from vqdeepsc.models.system import VQDeepSC
from vqdeepsc.train import TrainConfig, Trainer


def analog(name="djscc-3072", seed=0):
    torch.manual_seed(seed)
    return build_model(get_preset(name)).eval()


@pytest.mark.parametrize("name, size, symbols", [("djscc-15030", (128, 128), 15030), ("djscc-5712", (128, 128), 5712),
                                                 ("djscc-3072", (128, 128), 3072), ("djscc-3072", (64, 32), 384),
                                                 ("djscc-5712", (36, 20), 251)])
def test_exactly_s_symbols_of_unit_average_power_per_image(name, size, symbols):
    model, images = analog(name), torch.rand(3, 3, *size)
    images[1] *= 0.01  # a dark image gets the same power as a bright one: normalised per image, not per batch
    with torch.no_grad():
        x = model.encode(images, 5.0)
    assert x.dtype == torch.complex64 and x.shape == (3, symbols)
    assert torch.allclose(x.abs().square().mean(1), torch.ones(3), atol=1e-5)


@pytest.mark.parametrize("channel", [AWGN(), Rayleigh(), Rician(2.0)], ids=lambda c: c.spec)
def test_the_noise_on_the_channel_has_the_requested_es_n0(channel):
    model, gen = analog("djscc-15030"), torch.Generator().manual_seed(1)
    with torch.no_grad():
        x, y, h, no = model.symbols_through(torch.rand(4, 3, 128, 128), channel, 3.0, gen)
    noise = (y - h * x).abs().square().mean().item()  # 60120 samples: relative standard error 0.4 %
    assert noise == pytest.approx(snr_db_to_no(3.0), rel=0.03)
    assert x.abs().square().mean().item() == pytest.approx(1.0, abs=1e-5)
    if not isinstance(channel, AWGN):  # fading of unit mean power, drawn per symbol
        assert h.shape == y.shape and h.abs().square().mean().item() == pytest.approx(1.0, rel=0.03)


def test_one_snr_per_image_is_one_noise_power_per_image():
    model = analog()
    with torch.no_grad():
        x, y, h, _ = model.symbols_through(torch.rand(2, 3, 128, 128), AWGN(), torch.tensor([0.0, 20.0]))
    noise = (y - x).abs().square().mean(1)
    assert noise[0].item() == pytest.approx(1.0, rel=0.1) and noise[1].item() == pytest.approx(0.01, rel=0.1)


@pytest.mark.parametrize("channel", [AWGN(), Rayleigh()], ids=lambda c: c.spec)
def test_without_noise_the_decoder_sees_the_encoders_symbols_exactly(channel):
    model, images, seen = analog(), torch.rand(2, 3, 64, 64), []
    decode = model.decode
    model.decode = lambda x_hat, *a: seen.append(x_hat) or decode(x_hat, *a)
    with torch.no_grad():
        x_hat = model.transmit(images, channel, None, torch.Generator().manual_seed(0))
        x = model.encode(images)
        assert torch.allclose(seen[0], x, atol=1e-5)
        assert torch.allclose(x_hat, decode(x, 64, 64), atol=1e-6)
    y, h = channel(x, 0.0)
    assert torch.allclose(mmse_equalize(y, h, 0.0), x, atol=1e-5)


def test_mmse_does_not_blow_up_a_deep_fade():
    x = torch.ones(1, 2, dtype=torch.complex64)
    h = torch.tensor([[1.0, 1e-4]], dtype=torch.complex64)
    y = h * x + 0.1
    out = mmse_equalize(y, h, 0.01)
    assert out.abs().max() < 2 and out[0, 0].real == pytest.approx(1.1 / 1.01)


def test_only_the_snr_adaptive_model_listens_to_the_snr():
    images = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        for name, changes in (("djscc-3072", True), ("djscc-3072-10db", False)):
            model = analog(name)
            x0, x1 = model.encode(images, 0.0), model.encode(images, 20.0)
            assert (not torch.allclose(x0, x1)) == changes, name
            assert any(n.startswith("encoder.0.attention") for n, _ in model.named_parameters()) == changes


def test_the_loss_is_the_mse_and_an_analog_preset_refuses_what_it_has_not(photo_dir, tmp_path):
    x, images = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    terms = AnalogLoss()({"x_hat": x}, images)
    assert torch.allclose(terms["loss"], ((x - images) ** 2).mean()) and set(terms) == {"loss", "mse"}
    assert set(AnalogLoss(0.5)({"x_hat": x}, images)) == {"loss", "mse", "ssim"}
    for bad in (dict(gan_weight=1.0), dict(quantizer="fsq"), dict(chroma_weight=2.0)):
        with pytest.raises(ValueError, match="djscc-3072 is an analog preset"):
            tiny_config(photo_dir, tmp_path / "x", **bad).check()


def tiny_config(photo_dir, run_dir, **kw):
    base = dict(preset="djscc-3072", data=str(photo_dir), run_dir=str(run_dir), epochs=2, batch_size=4, crop=32,
                val_crop=32, lr=2e-3, workers=0, deterministic=True, gan_weight=0.0, select="psnr")
    base.update(kw)
    return TrainConfig(**base)


def read_log(run_dir):
    with open(run_dir / "log.csv") as f:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(f)]


def test_it_learns_and_resumes_as_vq_deepsc_does(photo_dir, tmp_path):
    # one step per epoch: the MSE falls to 0.65x in 40 steps, 0.38x in 150 (measured; the shipped runs learn from
    # 3344 tiles, 209 steps per epoch)
    history = Trainer(tiny_config(photo_dir, tmp_path / "full", epochs=40)).fit()
    assert history[-1]["mse"] < 0.8 * history[0]["mse"]
    assert {"mse", "val_ssim", "val_psnr", "val_ciede2000"} <= set(history[0]) and "codebook" not in history[0]
    Trainer(tiny_config(photo_dir, tmp_path / "short", epochs=3)).fit()
    Trainer(tiny_config(photo_dir, tmp_path / "cut", epochs=1)).fit()  # "killed" after epoch 1
    Trainer.resume(tmp_path / "cut", epochs=3).fit()
    assert read_log(tmp_path / "short") == read_log(tmp_path / "cut")
    model = load_model(tmp_path / "full" / "best.safetensors", expect_preset="djscc-3072")
    assert isinstance(model, DeepJSCC) and not model.training


def test_a_model_file_records_its_bandwidth_and_is_refused_for_another(photo_dir, tmp_path):
    save_model(analog("djscc-3072"), tmp_path / "a.safetensors")
    preset, _ = read_model_metadata(tmp_path / "a.safetensors")
    assert (preset.name, preset.symbols, preset.snr_db) == ("djscc-3072", 3072, (0.0, 20.0))
    model = load_model(tmp_path / "a.safetensors")
    vq = VQDeepSC(get_preset("small-4")).eval()
    images = torch.rand(2, 3, 128, 128)
    with pytest.raises(ValueError, match="djscc-3072 sends 3072 symbols per 128x128 image, the evaluation's "
                                         "bandwidth is 15030"):
        Evaluation(vq, images, methods=["djscc"], channels=["awgn"], snr_db=[5.0], analog=model)
    Evaluation(vq, images, methods=["djscc"], channels=["awgn"], snr_db=[5.0], analog=model,
               link_options={"symbols": 3072})


def test_eval_sends_it_on_the_same_draws_and_names_the_shipped_bandwidths(photo_dir, tmp_path, capsys):
    save_model(analog("djscc-3072"), tmp_path / "a.safetensors")
    args = ["eval", "--model", "small-4", "--data", str(photo_dir), "--crop", "32", "--methods", "djscc,jpeg",
            "--snr", "0,30", "--channels", "awgn,rayleigh", "--symbols", "192", "--mcs", "adaptive", "--no-progress"]
    main([*args, "--analog", str(tmp_path / "a.safetensors"), "--out", str(tmp_path / "r")])
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    rows = {(r["method"], r["channel"], r["snr_db"]): r for r in doc["results"]}
    assert doc["config"]["analog"]["preset"] == "djscc-3072" and doc["config"]["analog_equalizer"] == "MMSE, perfect CSI"
    assert all(rows["djscc", c, s]["channel_symbols"] == 192 and rows["djscc", c, s]["mcs"] is None
               for c in ("awgn", "rayleigh") for s in (0.0, 30.0))
    # without --analog: the shipped model of the evaluation's bandwidth, or a one-line error naming those shipped
    main([*args, "--snr", "10", "--channels", "awgn", "--out", str(tmp_path / "shipped")])
    doc = json.loads((tmp_path / "shipped" / "results.json").read_text())
    assert doc["config"]["analog"]["model"] == "djscc-3072"
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([*args[:-5], "--symbols", "100", "--mcs", "adaptive", "--no-progress", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert "no shipped analog Deep-JSCC model sends 100 symbols per 32x32 image" in err and "djscc-3072 (192)" in err

    # every image meets the channel of its link seed, as the digital methods' images do
    model, images = load_model(tmp_path / "a.safetensors"), torch.rand(3, 3, 32, 32)
    evaluation = Evaluation(VQDeepSC(get_preset("small-4")).eval(), images, methods=["djscc"], channels=["rayleigh"],
                            snr_db=[5.0], analog=model, link_options={"symbols": 192}, image_ids=[7, 8, 9])
    got = evaluation.point("rayleigh", 5.0)["records"]["djscc"]["psnr"]
    with torch.no_grad():
        for i, image in zip((7, 8, 9), images.split(1)):
            x_hat = model.transmit(image, Rayleigh(), 5.0, torch.Generator().manual_seed(link_seed(0, "rayleigh", 5.0, i)))
            assert got[i - 7] == pytest.approx(image_scores(x_hat, image)["psnr"][0], abs=1e-4)


def test_send_takes_an_analog_model_and_refuses_what_does_not_apply(photo_dir, tmp_path, capsys):
    save_model(analog("djscc-3072"), tmp_path / "a.safetensors")
    image = next((photo_dir / "test").iterdir())
    args = ["send", str(image), "--model", str(tmp_path / "a.safetensors"), "--channel", "rayleigh", "--snr", "5"]
    main([*args, "-o", str(tmp_path / "got.png")])
    out = capsys.readouterr().out
    assert "channel symbols:     192 (CBR 0.0625), no bits" in out and (tmp_path / "got.png").is_file()
    for extra, message in ((["--mcs", "5"], "it sends no bits, so --mcs"),
                           (["--symbols", "100"], "sends 192 symbols for this image, not the 100 asked for")):
        with pytest.raises(SystemExit):
            main([*args, *extra, "-o", str(tmp_path / "other.png")])
        assert message in capsys.readouterr().err
