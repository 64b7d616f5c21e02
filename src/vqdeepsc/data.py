"""Images for training and evaluation: folders, the ``train/ val/ test/`` layout, Stanford Cars, embedded photos.

**Layouts** (``split_files``), tried in this order:

1. Stanford Cars (Cars196): ``cars_train/``, ``cars_test/`` and the devkit annotations
   (``devkit/cars_train_annos.mat`` and ``cars_test_annos_withlabels.mat`` or ``devkit/cars_test_annos.mat``).
   The paper's split: the official train set trains; the official test set is shuffled with a fixed seed and
   halved, the first half validates and the second half tests.
2. A folder with ``train/``, ``val/`` and ``test/`` sub-folders (as ../shared/data): each split is its folder.
3. Any other folder of images: its images (recursive) are shuffled with a fixed seed; 90 % train, 5 % val, 5 % test.

**Crop rule.** An image whose short side is below ``size`` or above ``2 * size`` is first resized (bicubic,
antialiased) so that its short side is ``size``; otherwise it is kept at its resolution. Training then takes a
random ``size x size`` crop, evaluation the centre crop. So a Cars196 photo (~700x480) is seen whole, a 128x128
tile as it is, and a 200x150 image at full resolution.
"""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import Tensor
from torch.utils.data import Dataset

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
SPLITS = ("train", "val", "test")
SPLIT_SEED = 0


def find_images(root: str | Path) -> list[Path]:
    """Every image file under ``root`` (recursive), sorted."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"not a folder of images: {root}")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def _cars_fnames(annotations: Path) -> list[str]:
    from scipy.io import loadmat

    try:
        records = loadmat(annotations)["annotations"][0]
    except (OSError, ValueError, KeyError) as e:
        raise ValueError(f"not a Stanford Cars annotation file: {annotations} ({e})") from None
    return [str(r["fname"][0]) for r in records]


def _cars_split(root: Path, split: str) -> list[Path] | None:
    train_annos = root / "devkit" / "cars_train_annos.mat"
    test_annos = next((p for p in (root / "cars_test_annos_withlabels.mat", root / "devkit" / "cars_test_annos.mat")
                       if p.is_file()), None)
    if not (train_annos.is_file() and test_annos and (root / "cars_train").is_dir() and (root / "cars_test").is_dir()):
        return None
    if split == "train":
        return [root / "cars_train" / f for f in _cars_fnames(train_annos)]
    test = sorted(_cars_fnames(test_annos))
    random.Random(SPLIT_SEED).shuffle(test)
    half = test[: len(test) // 2] if split == "val" else test[len(test) // 2:]
    return [root / "cars_test" / f for f in half]


def split_files(root: str | Path, split: str) -> list[Path]:
    """The image files of ``split`` (``train``, ``val`` or ``test``) of the data set at ``root`` (see module doc)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"data folder not found: {root}")
    files = _cars_split(root, split)
    if files is None and all((root / s).is_dir() for s in SPLITS):
        files = find_images(root / split)
    if files is None:
        files = find_images(root)
        random.Random(SPLIT_SEED).shuffle(files)
        n_val = max(1, len(files) // 20) if len(files) >= 3 else 0
        files = {"val": files[:n_val], "test": files[n_val:2 * n_val], "train": files[2 * n_val:]}[split]
    if not files:
        raise ValueError(f"no images for split {split!r} in {root}")
    return files


def to_rgb(image: Image.Image) -> Image.Image:
    """``image`` upright (its EXIF orientation applied) in 8-bit RGB: the one conversion of every command.

    Grayscale, palette, RGBA, CMYK, ... become RGB (alpha dropped); 16-bit grayscale is scaled to 8 bits, where
    Pillow's ``convert`` clips it at 255 (white).
    """
    image = ImageOps.exif_transpose(image)
    if image.mode.startswith("I;16"):
        gray = np.asarray(image, dtype=np.float64) * (255 / 65535)
        image = Image.fromarray(np.round(gray).astype(np.uint8), "L")
    return image.convert("RGB")


def load_rgb(path: str | Path) -> Image.Image:
    """The image at ``path`` by :func:`to_rgb`; ``ValueError`` naming the file if it cannot be read."""
    try:
        with Image.open(path) as im:
            im.load()
            return to_rgb(im)
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as e:
        raise ValueError(f"cannot read image {path}: {e}") from None


def fit_short_side(image: Image.Image, size: int) -> Image.Image:
    """The crop rule: resize so the short side is ``size`` if it is below ``size`` or above ``2 * size``."""
    short = min(image.size)
    if size <= short <= 2 * size:
        return image
    scale = size / short
    new = (max(size, round(image.width * scale)), max(size, round(image.height * scale)))
    return image.resize(new, Image.Resampling.BICUBIC, reducing_gap=None)


def to_tensor(image: Image.Image) -> Tensor:
    """:input image: RGB PIL image. :output: [3, H, W] float32 in [0, 1]."""
    return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()


def center_crop(image: Image.Image, size: int) -> Image.Image:
    left, top = (image.width - size) // 2, (image.height - size) // 2
    return image.crop((left, top, left + size, top + size))


class ImageDataset(Dataset):
    """Crops of a list of image files.

    :param files: image paths.
    :param size: crop size (128 in the paper).
    :param train: random crop and horizontal flip if ``True``, centre crop otherwise.
    :param cache: decode every file once, now, and keep it in memory (uint8) instead of decoding it per step.

    :output: [3, size, size] float32 in [0, 1], or ``None`` for an unreadable file (a warning names it;
        ``collate_images`` drops it and counts it).
    """

    def __init__(self, files: list[Path], size: int = 128, train: bool = False, cache: bool = False):
        self.files, self.size, self.train = list(files), size, train
        self.cache = [self._decode(i) for i in range(len(self.files))] if cache else None

    def __len__(self) -> int:
        return len(self.files)

    def _decode(self, i: int) -> Tensor | None:
        """The fitted image as uint8 [3, H, W], or ``None`` (with a warning) if it cannot be read."""
        try:
            image = fit_short_side(load_rgb(self.files[i]), self.size)
        except ValueError as e:
            warnings.warn(f"skipping {e}", stacklevel=1)
            return None
        return torch.from_numpy(np.asarray(image, dtype=np.uint8).copy()).permute(2, 0, 1)

    def __getitem__(self, i: int) -> Tensor | None:
        image = self.cache[i] if self.cache is not None else self._decode(i)
        if image is None:
            return None
        height, width = image.shape[1:]
        if self.train:
            x = torch.randint(width - self.size + 1, ()).item()
            y = torch.randint(height - self.size + 1, ()).item()
        else:
            x, y = (width - self.size) // 2, (height - self.size) // 2
        crop = image[:, y:y + self.size, x:x + self.size].float() / 255.0
        return crop.flip(-1) if self.train and torch.rand(()) < 0.5 else crop


def collate_images(batch: list[Tensor | None]) -> tuple[Tensor, int]:
    """Stack the readable crops; :output: ([B', 3, S, S], number of skipped files)."""
    good = [x for x in batch if x is not None]
    images = torch.stack(good) if good else torch.empty(0)
    return images, len(batch) - len(good)


EMBEDDED_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")


def embedded_photos(size: int = 128, names: tuple[str, ...] = EMBEDDED_PHOTOS) -> dict[str, Tensor]:
    """Real photos shipped inside scikit-image's wheel (no download), fitted and centre-cropped.

    :output: dict name -> [3, size, size] float32 in [0, 1].
    """
    import skimage.data

    out = {}
    for name in names:
        image = fit_short_side(Image.fromarray(getattr(skimage.data, name)()).convert("RGB"), size)
        out[name] = to_tensor(center_crop(image, size))
    return out


def load_images(data: str | Path, split: str, limit: int | None = None, size: int = 128) -> tuple[Tensor, list[str]]:
    """``limit`` images of ``split`` (a fixed random sample, in sorted order; all if ``None``), centre-cropped by
    the crop rule of :mod:`vqdeepsc.data`. A random sample, because neighbouring tiles come from one photo.

    :output images: [N, 3, size, size] in [0, 1] (unreadable files are skipped with a warning).
    :output names: their paths relative to ``data``.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be positive, got {limit}")
    files = sorted(split_files(data, split))
    if limit is not None and limit < len(files):
        files = sorted(random.Random(SPLIT_SEED).sample(files, limit))
    dataset = ImageDataset(files, size)
    kept = [(f, x) for f, x in ((f, dataset[i]) for i, f in enumerate(files)) if x is not None]
    if not kept:
        raise ValueError(f"no readable images in split {split!r} of {data}")
    return torch.stack([x for _, x in kept]), [str(f.relative_to(data)) for f, _ in kept]
