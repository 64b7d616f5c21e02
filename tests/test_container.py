"""``vqdeepsc encode`` / ``decode`` (the .vqsc file) and ``vqdeepsc send`` on user images of any size and mode."""

import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

from vqdeepsc import container, zoo
from vqdeepsc.baselines import to_image
from vqdeepsc.checkpoint import save_model
from vqdeepsc.cli import main
from vqdeepsc.config import get_preset
from vqdeepsc.data import embedded_photos
from vqdeepsc.imagefile import MAX_SIDE, load_image, send_image
from vqdeepsc.link.phy import DigitalLink
from vqdeepsc.models.system import VQDeepSC
from vqdeepsc.receivers import get_receiver


@pytest.fixture(scope="module")
def model():
    return zoo.load("small-4")


@pytest.fixture(scope="module")
def photo():
    """A real photo, [128, 128, 3] uint8."""
    return (embedded_photos(128)["astronaut"].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def write_photo(photo, path, width, height, mode="RGB"):
    Image.fromarray(photo[:height, :width]).convert(mode).save(path)
    return path


def cli(argv, capsys):
    """(exit status, stdout, stderr) of ``vqdeepsc argv``."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as e:
        status = e.code
    out = capsys.readouterr()
    return status, out.out, out.err


def refused(argv, capsys, message):
    status, _, err = cli(argv, capsys)
    assert status == 2 and err.count("\n") == 1 and message in err and "Traceback" not in err, err


@pytest.fixture(scope="module")
def encoded(photo, tmp_path_factory):
    """A 48x32 photo and its .vqsc file."""
    root = tmp_path_factory.mktemp("encoded")
    image = write_photo(photo, root / "photo.png", 48, 32)
    assert main(["encode", str(image), "-o", str(root / "photo.vqsc")]) == 0
    return image, root / "photo.vqsc"


def test_round_trip_is_bit_exact_with_the_noiseless_path(encoded, model, tmp_path, capsys):
    image, file = encoded
    assert cli(["decode", file, "-o", tmp_path / "out.png"], capsys)[0] == 0
    x = load_image(image)
    with torch.no_grad():
        expected = np.asarray(to_image(model.decode(model.encode(x))[0]))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png")), expected)
    stream = container.read(file)
    assert (stream.model, stream.sha256) == ("small-4", zoo.shipped()["small-4"]["sha256"])
    assert (stream.height, stream.width, len(stream.bits)) == (32, 48, 24 * 16 * 4 + 12 * 8 * 3 + 6 * 4 * 2 + 3 * 2)


def test_send_pads_an_odd_size_and_matches_encode_decode(photo, tmp_path, capsys):
    image = write_photo(photo, tmp_path / "odd.png", 53, 37)
    status, out, _ = cli(["send", image, "--channel", "awgn", "--snr", "12", "-o", tmp_path / "sent.png"], capsys)
    assert status == 0 and "coded as 64x48" in out and "SSIM" in out and "PSNR" in out
    got = send_image(zoo.load("small-4"), load_image(image), DigitalLink("awgn"), 12.0, seed=0)
    assert got.padded == (48, 64) and got.image.shape == (1, 3, 37, 53)
    assert (got.stats.num_bits, got.stats.bit_errors, got.stats.channel_symbols) == (3756, 0, 2817)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "sent.png")), np.asarray(to_image(got.image[0])))
    assert cli(["encode", image, "-o", tmp_path / "odd.vqsc"], capsys)[0] == 0
    assert cli(["decode", tmp_path / "odd.vqsc", "-o", tmp_path / "decoded.png"], capsys)[0] == 0
    sent, decoded = Image.open(tmp_path / "sent.png"), Image.open(tmp_path / "decoded.png")
    assert sent.size == (53, 37) and np.array_equal(np.asarray(sent), np.asarray(decoded))


@pytest.mark.parametrize("mode, width, height", [("L", 30, 21), ("P", 40, 17), ("RGBA", 1, 1)])
def test_send_takes_any_mode_and_size(photo, tmp_path, capsys, mode, width, height):
    image = write_photo(photo, tmp_path / "in.png", width, height, mode)
    status, out, _ = cli(["send", image, "--channel", "awgn", "--snr", "12", "-o", tmp_path / "out.png"], capsys)
    assert status == 0 and "BER:                 0.000e+00 (0 bit errors)" in out
    with Image.open(tmp_path / "out.png") as result:
        assert result.size == (width, height) and result.mode == "RGB"


def test_16_bit_grayscale_is_scaled_not_clipped(photo, tmp_path):
    gray = np.asarray(Image.fromarray(photo).convert("L"))[:20, :30]
    Image.fromarray(gray).save(tmp_path / "8.png")
    Image.fromarray(gray.astype(np.uint16) * 257).save(tmp_path / "16.png")
    assert Image.open(tmp_path / "16.png").mode.startswith("I;16")
    torch.testing.assert_close(load_image(tmp_path / "16.png"), load_image(tmp_path / "8.png"))


def flip_payload_byte(data):
    data = bytearray(data)
    data[len(data) // 2] ^= 0xFF
    return bytes(data)


def with_crc(data):
    return data[:-4] + struct.pack(">I", zlib.crc32(data[:-4]))


def png(data):
    return b"\x89PNG\r\n\x1a\n" + data


@pytest.mark.parametrize("damage, flags, message", [
    (lambda d: d[:-1], [], "truncated .vqsc file"),
    (lambda d: d[:-1], ["--ignore-crc"], "truncated .vqsc file"),
    (lambda d: d[:20], ["--ignore-crc"], "truncated .vqsc file"),
    (lambda d: d + b"\0", [], "over-long .vqsc file"),
    (flip_payload_byte, [], "CRC mismatch"),
    (png, ["--ignore-crc"], "not a .vqsc file"),
    (lambda d: d[:4] + b"\x02" + d[5:], [], "unsupported .vqsc format version 2"),
    (lambda d: with_crc(d.replace(b"small-4", b"small-3", 1)), [], "written by model small-3"),
    (lambda d: with_crc(d[:13] + bytes([d[13] ^ 1]) + d[14:]), [], "the small-4 model file of that sha256"),
])
def test_damaged_files_are_refused(encoded, tmp_path, capsys, damage, flags, message):
    bad = tmp_path / "bad.vqsc"
    bad.write_bytes(damage(encoded[1].read_bytes()))
    refused(["decode", bad, "-o", tmp_path / "out.png", *flags], capsys, message)
    assert not (tmp_path / "out.png").exists()


def test_ignore_crc_rebuilds_a_damaged_payload(encoded, tmp_path, capsys):
    bad = tmp_path / "bad.vqsc"
    bad.write_bytes(flip_payload_byte(encoded[1].read_bytes()))
    status, _, err = cli(["decode", bad, "-o", tmp_path / "out.png", "--ignore-crc"], capsys)
    assert status == 0 and "fails its CRC" in err
    assert cli(["decode", encoded[1], "-o", tmp_path / "clean.png"], capsys)[0] == 0
    damaged, clean = (np.asarray(Image.open(tmp_path / f"{n}.png"), np.float64) for n in ("out", "clean"))
    assert damaged.shape == clean.shape == (32, 48, 3) and (damaged != clean).any()
    assert 10 * np.log10(255**2 / ((damaged - clean) ** 2).mean()) > 20  # 8 wrong bits: a local change


def test_another_model_is_refused(encoded, tmp_path, capsys):
    torch.manual_seed(0)
    for preset in ("small-4", "small-4-upper"):
        save_model(VQDeepSC(get_preset(preset)), tmp_path / f"{preset}.safetensors")
    other = tmp_path / "small-4.safetensors"
    refused(["decode", encoded[1], "-o", tmp_path / "out.png", "--model", other], capsys,
            "decode it with --model small-4")
    upper = ["--model", tmp_path / "small-4-upper.safetensors"]
    refused(["encode", encoded[0], "-o", tmp_path / "x.vqsc", *upper], capsys, "unquantized upper bound")
    refused(["send", encoded[0], "--channel", "awgn", "--snr", "12", "-o", tmp_path / "x.png", *upper], capsys,
            "unquantized upper bound")


def test_a_file_of_an_earlier_version_with_the_same_bits_decodes_with_the_shipped_model(encoded, tmp_path, capsys):
    """A later version that fine-tuned only its decoder's tail sends the same bits (``same_bits_as``): the shipped
    model decodes the earlier file's .vqsc, exactly as its own; another preset still names the one it needs."""
    import dataclasses

    earlier = zoo.shipped()["small-4"]["same_bits_as"][0]
    stream = container.read(encoded[1])
    container.write(tmp_path / "earlier.vqsc", dataclasses.replace(stream, sha256=earlier))
    assert cli(["decode", tmp_path / "earlier.vqsc", "-o", tmp_path / "earlier.png"], capsys)[0] == 0
    assert cli(["decode", encoded[1], "-o", tmp_path / "own.png"], capsys)[0] == 0
    assert (tmp_path / "earlier.png").read_bytes() == (tmp_path / "own.png").read_bytes()
    refused(["decode", tmp_path / "earlier.vqsc", "-o", tmp_path / "x.png", "--model", "small-3"], capsys,
            "decode it with --model small-4")
    torch.manual_seed(0)
    save_model(VQDeepSC(get_preset("small-4")), tmp_path / "other.safetensors")  # a file of its own: no same_bits_as
    refused(["decode", tmp_path / "earlier.vqsc", "-o", tmp_path / "x.png", "--model", tmp_path / "other.safetensors"],
            capsys, "decode it with --model small-4")


def png_header(width, height):
    """A PNG file's signature and header for an 8-bit grayscale ``width x height`` image, without pixels."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return png(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)) + chunk(b"IDAT", b"")
               + chunk(b"IEND", b""))


@pytest.mark.parametrize("content, message", [
    (b"not an image\n", "cannot read image"),
    (b"", "empty file"),
    (png_header(MAX_SIDE + 1, 16), f"at most {MAX_SIDE}x{MAX_SIDE}"),  # refused from the header: no pixels
    (png_header(100_000, 100_000), "too large"),  # Pillow's decompression-bomb check
])
@pytest.mark.parametrize("command", ["send", "encode"])
def test_bad_images_are_refused(tmp_path, capsys, content, message, command):
    (tmp_path / "in.png").write_bytes(content)
    extra = (["--channel", "awgn", "--snr", "12", "-o", tmp_path / "o.png"] if command == "send"
             else ["-o", tmp_path / "o.vqsc"])
    refused([command, tmp_path / "in.png", *extra], capsys, message)


def test_unknown_output_format_is_refused_before_any_work(encoded, tmp_path, capsys):
    refused(["decode", encoded[1], "-o", tmp_path / "out.txt"], capsys, "use an image extension such as .png")


@pytest.mark.parametrize("height, width, bits, message", [
    (0, 0, 0, "image size 0x0 is outside 1..4096"),
    (32, 48, 10016, "a 48x32 image (coded as 48x32) has 1878 index bits with model small-4, but the payload holds 10016"),
    (320, 480, 1878, "has 187800 index bits"),
], ids=["zero-size", "payload-too-long", "size-too-large-for-payload"])
def test_a_header_that_disagrees_with_its_payload_is_refused(encoded, tmp_path, capsys, height, width, bits, message):
    stream = container.read(encoded[1])
    forged = container.Stream(stream.model, stream.sha256, height, width, np.zeros(bits, np.uint8))
    container.write(tmp_path / "forged.vqsc", forged)  # a valid CRC over an inconsistent header
    refused(["decode", tmp_path / "forged.vqsc", "-o", tmp_path / "out.png"], capsys, message)
    refused(["decode", tmp_path / "forged.vqsc", "-o", tmp_path / "out.png"], capsys, "forged.vqsc")
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("command", ["send", "encode", "decode"])
def test_an_impossible_output_path_is_refused_before_any_work(encoded, tmp_path, capsys, command):
    image, file = encoded
    (tmp_path / "a-file").write_text("x")
    suffix = ".vqsc" if command == "encode" else ".png"
    argv = {"send": ["send", image, "--channel", "awgn", "--snr", "8"], "encode": ["encode", image],
            "decode": ["decode", file]}[command]
    refused([*argv, "-o", tmp_path / "missing" / f"out{suffix}"], capsys, f"folder {tmp_path / 'missing'} does not exist")
    refused([*argv, "-o", tmp_path / "a-file" / f"out{suffix}"], capsys, "is a file, not a folder")
    (tmp_path / f"dir{suffix}").mkdir()
    refused([*argv, "-o", tmp_path / f"dir{suffix}"], capsys, "it is a folder")
    assert not (tmp_path / "missing").exists()


def test_send_with_the_soft_receiver(photo, tmp_path, capsys):
    image = write_photo(photo, tmp_path / "in.png", 64, 48)
    argv = ["send", image, "--channel", "awgn", "--snr", "1", "-o", tmp_path / "soft.png"]
    status, out, _ = cli([*argv, "--dequantize", "soft"], capsys)
    assert status == 0 and "soft decisions" in out
    link, x = DigitalLink("awgn"), load_image(image)
    soft = send_image(zoo.load("small-4"), x, link, 1.0, seed=0, receiver=get_receiver("soft"))
    hard = send_image(zoo.load("small-4"), x, link, 1.0, seed=0)
    assert soft.stats == hard.stats and soft.stats.bit_errors > 0 and not torch.equal(soft.image, hard.image)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "soft.png")), np.asarray(to_image(soft.image[0])))
    refused([*argv, "--overwrite", "--dequantize", "fuzzy"], capsys, "unknown receiver 'fuzzy'")


@pytest.mark.parametrize("command", ["send", "encode", "decode"])
def test_an_existing_output_is_kept_unless_overwrite_and_the_input_always(encoded, tmp_path, capsys, command):
    image, file = encoded
    source = tmp_path / ("in.vqsc" if command == "decode" else "in.png")
    source.write_bytes((file if command == "decode" else image).read_bytes())
    original = source.read_bytes()
    argv = {"send": ["send", source, "--channel", "awgn", "--snr", "12"], "encode": ["encode", source],
            "decode": ["decode", source]}[command]
    out = tmp_path / ("out.vqsc" if command == "encode" else "out.png")
    out.write_bytes(b"mine")
    refused([*argv, "-o", out], capsys, f"{out} exists: choose another output file, or pass --overwrite")
    assert out.read_bytes() == b"mine"
    assert cli([*argv, "-o", out, "--overwrite"], capsys)[0] == 0 and out.read_bytes() != b"mine"
    if command == "encode":  # the input's own name has the wrong extension
        refused([*argv, "-o", source, "--overwrite"], capsys, "give the output the extension .vqsc")
    else:
        refused([*argv, "-o", source, "--overwrite"], capsys, "it is the input file")
    assert source.read_bytes() == original


def test_encode_refuses_an_output_that_is_not_a_vqsc_file(encoded, tmp_path, capsys):
    refused(["encode", encoded[0], "-o", tmp_path / "out.png"], capsys, "give the output the extension .vqsc")
    assert not (tmp_path / "out.png").exists()


def test_a_model_file_with_non_finite_weights_is_refused(encoded, tmp_path, capsys):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    source = zoo._weights() / zoo.shipped()["small-4"]["file"]
    with safe_open(str(source), "pt") as f:
        meta = f.metadata()
    state = load_file(str(source))
    name = "decoder.to_image.0.weight"
    state[name][0, 0, 0, 0] = float("nan")
    save_file(state, str(tmp_path / "nan.safetensors"), metadata=meta)
    model = ["--model", tmp_path / "nan.safetensors"]
    message = f"holds non-finite values (NaN or inf) in tensor {name}"
    refused(["encode", encoded[0], "-o", tmp_path / "x.vqsc", *model], capsys, message)
    refused(["decode", encoded[1], "-o", tmp_path / "x.png", *model], capsys, message)
    refused(["send", encoded[0], "--channel", "awgn", "--snr", "12", "-o", tmp_path / "y.png", *model], capsys, message)
    assert not any(tmp_path.glob("x.*")) and not (tmp_path / "y.png").exists()
