import pytest
from PIL import Image

from vqdeepsc.data import embedded_photos


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory):
    """A train/val/test folder of real 32x32 photos (scikit-image's bundled ones, downscaled)."""
    root = tmp_path_factory.mktemp("photos")
    photos = embedded_photos(128)
    for split, names in (("train", list(photos)), ("val", list(photos)[:2]), ("test", list(photos)[2:])):
        (root / split).mkdir()
        for name in names:
            array = (photos[name].permute(1, 2, 0).numpy() * 255).round().astype("uint8")
            Image.fromarray(array).resize((32, 32), Image.Resampling.LANCZOS).save(root / split / f"{name}.png")
    return root



@pytest.fixture(scope="session")
def untrained_models(tmp_path_factory):
    """``make(preset)``: a folder with untrained ``<preset>`` and ``<preset>-upper`` model files (seed 0)."""
    import torch

    from vqdeepsc.checkpoint import save_model
    from vqdeepsc.config import get_preset
    from vqdeepsc.models.system import VQDeepSC

    def make(preset: str):
        root = tmp_path_factory.mktemp("models")
        torch.manual_seed(0)
        for name in (preset, f"{preset}-upper"):
            save_model(VQDeepSC(get_preset(name)), root / f"{name}.safetensors")
        return root

    return make
