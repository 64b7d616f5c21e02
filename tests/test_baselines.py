"""Classic codecs under the bit budget."""

import numpy as np
import pytest
from PIL import Image

from vqdeepsc.baselines import CODECS, fit_to_budget, get_codec
from vqdeepsc.data import embedded_photos


@pytest.fixture(scope="module")
def photo():
    x = embedded_photos(128)["astronaut"]
    return Image.fromarray((x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))


@pytest.mark.parametrize("name", sorted(CODECS))
@pytest.mark.parametrize("budget", [20032, 7616])
def test_budget_rule_largest_quality_that_fits(name, budget, photo):
    codec = get_codec(name)
    fitted = fit_to_budget(codec, photo, budget)
    assert fitted.excess_bits == 0 and 8 * len(fitted.data) <= budget
    assert fitted.data == codec.encode(photo, fitted.quality)
    if fitted.quality < codec.max_quality:
        assert 8 * len(codec.encode(photo, fitted.quality + 1)) > budget
    assert codec.decode(fitted.data, (128, 128)).size == (128, 128)


class SizedCodec:
    """A codec whose file of quality q has a given size (and records what it encodes)."""

    def __init__(self, sizes):
        self.sizes, self.max_quality, self.encoded = sizes, len(sizes), []

    def encode(self, image, quality):
        self.encoded.append(quality)
        return bytes(self.sizes[quality - 1])


def test_every_budget_of_a_shared_cache_gets_the_rule():
    """Fitting one image to many budgets with one cache of files (in any order, file sizes not always growing with
    quality): each result fits and its next quality does not, and no quality is encoded twice."""
    rng = np.random.default_rng(0)
    sizes = [int(200 * 1.04 ** q * (1 + 0.03 * rng.standard_normal())) for q in range(1, 96)]
    codec, files = SizedCodec(sizes), {}
    for budget in rng.permutation(np.arange(8 * min(sizes), 8 * max(sizes) + 800, 97)).tolist():
        fitted = fit_to_budget(codec, None, budget, files)
        q = fitted.quality
        assert 8 * sizes[q - 1] <= budget and fitted.excess_bits == 0
        assert q == codec.max_quality or 8 * sizes[q] > budget
    assert len(codec.encoded) == len(set(codec.encoded))
    fresh = SizedCodec(sizes)
    fit_to_budget(fresh, None, 8 * sizes[60])
    assert len(fresh.encoded) <= 6  # bisection over 1..95 takes 8


def test_quality_one_is_sent_when_nothing_fits(photo):
    fitted = fit_to_budget(get_codec("jpeg"), photo, 800)  # JPEG headers alone are ~600 bytes
    assert fitted.quality == 1 and fitted.excess_bits == 8 * len(fitted.data) - 800 > 0


def test_corrupt_files_are_refused(photo):
    codec = get_codec("jpeg")
    data = fit_to_budget(codec, photo, 20032).data
    with pytest.raises(ValueError, match="jpeg file"):
        codec.decode(data[:40], (128, 128))
    with pytest.raises(ValueError, match="unknown codec 'bpg'"):
        get_codec("bpg")


@pytest.mark.parametrize("name", sorted(CODECS))
def test_bit_flipped_files_decode_or_raise_value_error(name):
    """A file hit by residual bit errors either decodes to an image of the right size or is a ValueError (the
    evaluation counts it as a decode failure); no other exception escapes (libavif raises RuntimeError, libheif
    EOFError: one of these HEIF files of the cat photo does)."""
    codec = get_codec(name)
    rng = np.random.default_rng(0)
    refused = 0
    for x in embedded_photos(128).values():
        data = fit_to_budget(codec, Image.fromarray((x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)),
                             7616).data
        for _ in range(150):
            damaged = bytearray(data)
            for i in rng.integers(0, len(data), int(rng.integers(1, 30))):
                damaged[i] ^= 1 << int(rng.integers(8))
            try:
                assert codec.decode(bytes(damaged), (128, 128)).size == (128, 128)
            except ValueError:
                refused += 1
    assert refused > 0
