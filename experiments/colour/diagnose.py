"""Why does `small-4` lose colour? Error-free on a split: the colour error's shape (global cast, per-image mean,
the Cb and Cr axes), which scale carries the mean colour, whether quantization or BatchNorm is to blame.

    python experiments/colour/diagnose.py ../shared/data val [MODEL ...]     (numbers: results/training/README.md)
"""

import sys

import numpy as np
import torch

from vqdeepsc import zoo
from vqdeepsc.checkpoint import load_model
from vqdeepsc.data import load_images
from vqdeepsc.metrics import ciede2000, psnr, ssim, ycbcr


def decode_with_unquantized(model, images, scales):
    """The decoder on the chosen features themselves at ``scales`` (indices of transmitted scales), codewords elsewhere."""
    def receive(i, z):
        return z if i in scales else model.embedding_spaces[i].features(model.embedding_spaces[i].quantize(z))
    return model._transmit(model.encoder(images), receive)


def main():
    data, split, *names = sys.argv[1:]
    x, _ = load_images(data, split)
    for name in names or ["small-4", "small-4-upper", "small-3"]:
        model = load_model(name) if name.endswith(".safetensors") else zoo.load(name)
        with torch.no_grad():
            codes = model.encode(x)
            y = model.decode(codes)
        mean_error = (y - x).mean((2, 3)) * 255
        print(f"{name}: CIEDE2000 {ciede2000(y, x).mean():.2f}, SSIM {ssim(y, x).mean():.4f}, PSNR {psnr(y, x).mean():.2f}; "
              f"image mean colour error R, G, B signed {mean_error.mean(0).numpy().round(2)}, "
              f"absolute {mean_error.abs().mean(0).numpy().round(2)}")
        bias = (y - x).mean((0, 2, 3), keepdim=True)
        own = (y - x).mean((2, 3), keepdim=True)
        print(f"  CIEDE2000 without one global cast {ciede2000((y - bias).clamp(0, 1), x).mean():.2f}, "
              f"without each image's own mean error (an oracle) {ciede2000((y - own).clamp(0, 1), x).mean():.2f}")
        a, b = ycbcr(x), ycbcr(y)
        for c, axis in enumerate(("Y", "Cb", "Cr")):
            slope = np.polyfit(a[:, c].mean((1, 2)).numpy(), b[:, c].mean((1, 2)).numpy(), 1)[0]
            print(f"  {axis}: image means regressed on the originals' with slope {slope:.2f}; pixel std "
                  f"{a[:, c].std():.3f} -> {b[:, c].std():.3f}")
        if not model.preset.quantized:
            continue
        with torch.no_grad():
            for i in range(len(codes)):
                swapped = [c.roll(1, 0) if j == i else c for j, c in enumerate(codes)]
                change = ((model.decode(swapped) - y).mean((2, 3)) * 255).abs().mean(0)
                print(f"  scale {tuple(codes[i].shape[1:])}: another image's indices move the mean colour by "
                      f"R, G, B {change.numpy().round(1)}")
            for scales in ((0,), (len(codes) - 2, len(codes) - 1), tuple(range(len(codes)))):
                z = decode_with_unquantized(model, x, set(scales))
                print(f"  unquantized features at scales {scales}: CIEDE2000 {ciede2000(z, x).mean():.2f}")
            model.decoder.train()
            print(f"  decoder BatchNorm on batch statistics: CIEDE2000 {ciede2000(model.decode(codes), x).mean():.2f}")
            model.decoder.eval()


if __name__ == "__main__":
    main()
