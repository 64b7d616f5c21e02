"""Colour calibration: the cast it measures, the output it subtracts it from, and files with and without one."""

from pathlib import Path

import pytest
import torch

from vqdeepsc.calibration import calibrate_colour, colour_cast
from vqdeepsc.checkpoint import load_matching_weights, load_model, read_model_metadata, save_model
from vqdeepsc.config import get_preset
from vqdeepsc.models.system import VQDeepSC

OLD_FILE = Path(__file__).parent / "data" / "old-4.safetensors"
"""A small-4 model file made before index labels and colour calibration existed."""


def dark_images():
    """Images far darker than an untrained decoder's output (sigmoid of about 0, so about 0.5): a known cast."""
    return 0.1 + 0.2 * torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(0))


def test_the_cast_is_the_mean_rgb_error_and_the_calibrated_decoder_subtracts_it():
    torch.manual_seed(0)
    model, x = VQDeepSC(get_preset("small-4")).eval(), dark_images()
    with torch.no_grad():
        before = model.decode(model.encode(x))
    expected = (before - x).double().mean((0, 2, 3)).float()
    assert expected.min() > 0.15  # the test's premise: a large cast, far from clamping
    cast = calibrate_colour(model, x)
    torch.testing.assert_close(cast, expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(model.decoder.colour_cast, cast)
    with torch.no_grad():
        after = model.decode(model.encode(x))
    torch.testing.assert_close(after, (before - cast.view(1, 3, 1, 1)).clamp(0, 1))
    assert (after - x).mean((0, 2, 3)).abs().max() < 1e-4  # no clamping here: the mean error is gone
    torch.testing.assert_close(colour_cast(model, x), cast)  # measured on the uncalibrated output: a fixed point
    assert calibrate_colour(model, x.flip(0)).sub(cast).abs().max() < 1e-6  # replaces, never accumulates


def test_a_calibration_survives_its_file_and_leaves_the_transmitter_as_it_was(tmp_path):
    from vqdeepsc.receivers import check_same_transmitter

    plain, model, x = load_model(OLD_FILE), load_model(OLD_FILE), dark_images()
    codes = model.encode(x)
    cast = calibrate_colour(model, x)
    save_model(model, tmp_path / "calibrated.safetensors")
    loaded = load_model(tmp_path / "calibrated.safetensors")
    torch.testing.assert_close(loaded.decoder.colour_cast, cast)
    assert all(torch.equal(a, b) for a, b in zip(loaded.encode(x), codes))
    with torch.no_grad():
        torch.testing.assert_close(loaded.decode(codes), model.decode(codes))
    check_same_transmitter(plain, loaded)  # a robust decoder of the plain model still pairs with it


def test_files_made_before_calibration_load_with_no_cast():
    old = load_model(OLD_FILE)
    assert torch.equal(old.decoder.colour_cast, torch.zeros(3))
    fresh = VQDeepSC(old.preset)
    fresh.decoder.colour_cast.fill_(0.5)
    load_matching_weights(fresh, OLD_FILE)  # --init-from an older file: its weights, the buffer it lacks as it was
    torch.testing.assert_close(fresh.decoder.to_image[0].weight, old.decoder.to_image[0].weight)


def test_calibrate_writes_a_new_file_with_its_record_and_never_overwrites(tmp_path, photo_dir):
    from vqdeepsc.cli import main
    from vqdeepsc.data import load_images

    out = tmp_path / "calibrated.safetensors"
    assert main(["calibrate", "--model", str(OLD_FILE), "--data", str(photo_dir), "-o", str(out)]) == 0
    images, _ = load_images(photo_dir, "train", None, 128)
    record = read_model_metadata(out)[1]
    expected = colour_cast(load_model(OLD_FILE), images)
    torch.testing.assert_close(torch.tensor(record["colour_cast"]), expected, atol=1e-6, rtol=0)
    torch.testing.assert_close(load_model(out).decoder.colour_cast, expected)
    assert record["calibrated_from"] == str(OLD_FILE) and record["cast_measured_on"].startswith(f"{len(images)} ")
    with pytest.raises(SystemExit) as refused:
        main(["calibrate", "--model", str(OLD_FILE), "--data", str(photo_dir), "-o", str(out)])
    assert refused.value.code == 2
