"""One user image through a quantized VQ-DeepSC: image file -> [1, 3, H, W] -> index bits -> image file.

``vqdeepsc send``, ``encode`` and ``decode`` share this code.

**Reading.** Any format and mode Pillow reads, by :func:`vqdeepsc.data.to_rgb` as in training and evaluation: the
EXIF orientation is applied; grayscale, palette, RGBA, CMYK, ... become RGB (an alpha channel is dropped; 16-bit
grayscale is scaled to 8 bits, not clipped), so a grayscale image comes back as RGB. An empty file, a file that is not an image and an image with a side over
:data:`MAX_SIDE` are refused with a one-line ``ValueError``; the size is read from the file's header, before its
pixels are decoded.

**Size limit.** At most :data:`MAX_SIDE` = 4096 pixels a side (16.8 MP). 4096 is a multiple of 2^L, so the padded
image is at most 4096 x 4096 too: ~20.5 Mbit of indices for a 4-scale preset. Time and memory grow with the area:
on one CPU thread (awgn at 12 dB) a 2048 x 2048 image took ``send`` 1 minute and 2.9 GB (``encode`` 6 s and 1.0 GB,
``decode`` 9 s and 1.7 GB), so an image at the limit takes ``send`` about 4 minutes and 10 GB.

**Padding.** The encoder halves the image L times (``preset.num_scales``), so it codes heights and widths that are
multiples of 2^L (16 for every preset here). Any other size is padded at the bottom and right, by repeating the
last row and column, up to the next multiple; the reconstruction is cropped back. Padding rather than tiling: the
model is fully convolutional, so it codes the whole padded image in one pass, with one bit stream, one header and
no seams between tiles, and the bit count grows only with the padded area (less than 2^L extra rows and
columns). Edge replication rather than reflection: it pads any size (a 1x1 image to 16x16, where reflection needs
more pixels than it adds) and makes no new edges.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from .baselines import to_image
from .checkpoint import atomic_write
from .config import MAX_SIDE
from .data import to_rgb, to_tensor
from .index_search import NEAREST_CODEWORDS, IndexSearch
from .link.bits import index_bits, indices_to_bits
from .models.system import VQDeepSC
from .transceiver import to_indices



def load_image(path: str | Path) -> Tensor:
    """The image file ``path`` (see the module doc); ``ValueError`` if it is empty, not an image or too large.

    :output: [1, 3, H, W] float32 in [0, 1].
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is an empty file, not an image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if max(width, height) <= MAX_SIDE:
                    pixels = to_tensor(to_rgb(image))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ValueError(f"image {path} is too large ({e}); at most {MAX_SIDE}x{MAX_SIDE} pixels") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ValueError(f"cannot read image {path}: {e}") from None
    if max(width, height) > MAX_SIDE:
        raise ValueError(f"image {path} is {width}x{height} pixels; at most {MAX_SIDE}x{MAX_SIDE}")
    return pixels.unsqueeze(0)


def image_format(path: str | Path) -> str:
    """Pillow's format for writing ``path``, by its extension; ``ValueError`` if Pillow cannot write it."""
    fmt = Image.registered_extensions().get(Path(path).suffix.lower())
    if fmt not in Image.SAVE:
        raise ValueError(f"cannot write an image to {path}: use an image extension such as .png")
    return fmt


def output_format(path: str | Path, overwrite: bool = False, source: str | Path | None = None) -> str:
    """:func:`image_format` of ``path`` after :func:`check_output`."""
    check_output(path, overwrite, source)
    return image_format(path)


def check_output(path: str | Path, overwrite: bool = False, source: str | Path | None = None) -> None:
    """``ValueError`` naming ``path`` unless a file can be written there: its folder exists and is writable,
    ``path`` is not a folder, not the input file ``source`` and, unless ``overwrite``, not an existing file.
    Called before any work, so a bad path costs nothing."""
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise ValueError(f"cannot write {path}: it is a folder")
    if source is not None and path.exists() and os.path.samefile(path, source):
        raise ValueError(f"cannot write {path}: it is the input file; choose another output file")
    if path.exists() and not overwrite:
        raise ValueError(f"{path} exists: choose another output file, or pass --overwrite to replace it")
    if not folder.exists():
        raise ValueError(f"cannot write {path}: folder {folder} does not exist")
    if not folder.is_dir():
        raise ValueError(f"cannot write {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {path}: folder {folder} is not writable")


def save_image(image: Tensor, path: str | Path) -> None:
    """Write ``image`` ([1, 3, H, W] in [0, 1], rounded to 8 bits) atomically, in the format of ``path``'s extension."""
    fmt = image_format(path)
    atomic_write(path, lambda tmp: to_image(image[0]).save(tmp, format=fmt))


def load_quantized(spec: str) -> tuple[VQDeepSC, dict]:
    """``resolve_model(spec)``, refusing an unquantized (upper-bound) model: it has no indices."""
    from .zoo import resolve_model

    model, info = resolve_model(spec)
    if not model.preset.quantized:
        raise ValueError(f"model {spec!r} ({model.preset.name}) is an unquantized upper bound: it has no codebook "
                         "indices to send or encode; use a quantized model such as small-4")
    return model, info


def padded_size(model: VQDeepSC, height: int, width: int) -> tuple[int, int]:
    """``height`` and ``width`` rounded up to multiples of 2^L."""
    m = 2 ** model.preset.num_scales
    return height + -height % m, width + -width % m


@torch.no_grad()
def image_to_bits(model: VQDeepSC, image: Tensor, index_search: IndexSearch = NEAREST_CODEWORDS) -> Tensor:
    """The index bits of ``image`` padded to :func:`padded_size` (edge replication), its indices chosen by
    ``index_search`` (default: the nearest codewords, eq. 2).

    :input image: [1, 3, H, W] in [0, 1], any H, W.
    :output bits: [1, n_bits] float32 0/1 (:mod:`vqdeepsc.link.bits` order).
    """
    height, width = image.shape[2:]
    padded_h, padded_w = padded_size(model, height, width)
    padded = F.pad(image, (0, padded_w - width, 0, padded_h - height), mode="replicate")
    return indices_to_bits(index_search(model, padded), model.preset.bits_per_index)


def check_payload(model: VQDeepSC, height: int, width: int, num_bits: int) -> None:
    """``ValueError`` unless ``height x width`` is a size ``image_to_bits`` codes and ``num_bits`` is exactly the
    index bits of that size for ``model`` (a header that disagrees with its payload)."""
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE):
        raise ValueError(f"image size {width}x{height} is outside 1..{MAX_SIDE} pixels a side")
    padded_h, padded_w = padded_size(model, height, width)
    expected = index_bits(model.preset.bits_per_index, model.code_shapes(padded_h, padded_w))
    if num_bits != expected:
        raise ValueError(f"a {width}x{height} image (coded as {padded_w}x{padded_h}) has {expected} index bits with "
                         f"model {model.preset.name}, but the payload holds {num_bits}: the header is inconsistent")


@dataclass(frozen=True)
class Reception:
    """What ``send_image`` returns: the received image and the link's statistics.

    :param image: [1, 3, H, W] in [0, 1], the reconstruction at the size sent.
    :param stats: the link's ``LinkStats`` (bits, errors, codewords, channel symbols).
    :param padded: (height, width) the image was coded at.
    """

    image: Tensor
    stats: object
    padded: tuple[int, int]


@torch.no_grad()
def send_image(model: VQDeepSC, image: Tensor, link, snr_db: float, seed: int = 0, receiver=None,
               index_search: IndexSearch = NEAREST_CODEWORDS) -> Reception:
    """The whole per-image pipeline: image -> indices (chosen by ``index_search``) -> bits -> ``link`` at ``snr_db``
    (channel draw seeded by ``seed``) -> bits and posteriors -> ``receiver`` (default: hard decisions, the paper's)
    -> image.

    :input image: [1, 3, H, W] in [0, 1], any H, W (padded and cropped back).
    """
    from .receivers import HardReceiver
    from .transceiver import seeded

    height, width = image.shape[2:]
    received, stats, posterior = link(image_to_bits(model, image, index_search), snr_db, seeded(seed, link),
                                      soft=True)
    padded, receiver = padded_size(model, height, width), receiver or HardReceiver()
    return Reception(receiver.reconstruct(model, received, posterior, padded)[:, :, :height, :width], stats, padded)


@torch.no_grad()
def transmit_image(model, image: Tensor, channel, snr_db: float, seed: int = 0) -> Tensor:
    """An analog Deep-JSCC's (:class:`~vqdeepsc.models.jscc.DeepJSCC`) per-image pipeline: the image, padded to
    :func:`padded_size` (edge replication), as its encoder's symbols over ``channel`` at ``snr_db`` (draw seeded by
    ``seed``), MMSE-equalized and decoded, cropped back.

    :input image: [1, 3, H, W] in [0, 1], any H, W.
    :output image: [1, 3, H, W] in [0, 1].
    """
    height, width = image.shape[2:]
    padded_h, padded_w = padded_size(model, height, width)
    padded = F.pad(image, (0, padded_w - width, 0, padded_h - height), mode="replicate")
    generator = torch.Generator(padded.device).manual_seed(seed)
    return model.transmit(padded, channel, snr_db, generator)[:, :, :height, :width]


@torch.no_grad()
def bits_to_image(model: VQDeepSC, bits: Tensor, height: int, width: int) -> Tensor:
    """The image of :func:`image_to_bits`'s bits, cropped to ``height x width``; an index >= N (a bit error) is read
    as the last codeword.

    :input bits: [1, n_bits], 0/1.
    :output image: [1, 3, height, width] in [0, 1].
    """
    check_payload(model, height, width, bits.shape[-1])
    codes = to_indices(model, bits, *padded_size(model, height, width))
    return model.decode(codes)[:, :, :height, :width]
