"""The colour cast of a decoder trained for errors, error-free and on simulated receptions, and what subtracting
each split's own cast (an oracle) does to it.

    python experiments/colour/robust_cast.py ../shared/data MODEL ROBUST     (numbers: results/training/README.md)

MODEL sends (nearest codewords); ROBUST's decoder reconstructs: error-free, and on the receptions it was trained on
(``SimulatedReception(0.25)``: 10 % error-free, hard errors up to BER 0.25, soft posteriors) and on ones with hard
errors up to BER 0.05 only. Train: its first 1024 tiles; val: all.
"""

import sys

import torch

from vqdeepsc.data import load_images
from vqdeepsc.metrics import ciede2000, psnr, ssim
from vqdeepsc.reception_model import SimulatedReception
from vqdeepsc.zoo import resolve_model


def main():
    data, sender, robust = sys.argv[1:4]
    model, decoder = resolve_model(sender)[0], resolve_model(robust)[0]
    generator = torch.Generator().manual_seed(0)
    for split, limit in (("train", 1024), ("val", None)):
        x, _ = load_images(data, split, limit)
        for label, reception in (("error-free", None), ("simulated, BER up to 0.25", SimulatedReception(0.25)),
                                 ("simulated, BER up to 0.05", SimulatedReception(0.05, clean=0.0))):
            out = []
            with torch.no_grad():
                for b in x.split(32):
                    codes = model.encode(b)
                    features = (decoder.codeword_features(codes) if reception is None
                                else reception(decoder, codes, generator))
                    out.append(decoder.decode_features(features))
            y = torch.cat(out)
            cast = (y - x).mean((0, 2, 3), keepdim=True)
            z = (y - cast).clamp(0, 1)
            print(f"{split}, {label}: cast R, G, B {(cast.flatten() * 255).numpy().round(2)} of 255; subtracted: "
                  f"CIEDE2000 {ciede2000(y, x).mean():.2f} -> {ciede2000(z, x).mean():.2f}, PSNR "
                  f"{psnr(y, x).mean():.2f} -> {psnr(z, x).mean():.2f}, SSIM {ssim(y, x).mean():.4f} -> "
                  f"{ssim(z, x).mean():.4f}", flush=True)


if __name__ == "__main__":
    main()
