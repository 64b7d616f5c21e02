"""When should a robust receiver hand a frame to the decoder trained for errors? A study on validation tiles.

For each model, channel and Es/N0 the validation tiles cross the link once (the same draws for every rule); every
frame is reconstructed by the model's own decoder and by its robust decoder, both from soft features, and scored
alone. A rule picks, per frame, which reconstruction counts:

- ``own``: never the robust decoder (the ``soft`` receiver);
- ``failed``: the robust decoder for every frame with a codeword that failed its parity check (``robust-soft``);
- ``ber >= t``: the robust decoder for a failed frame whose estimated bit error rate, the mean of
  ``sigmoid(-|llr|)`` over its bits' BP posteriors, is at least ``t``.

Printed: mean SSIM per rule, and the hard receiver for reference.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/robust_switch.py --data ../shared/data [--limit 80]
"""

import argparse
import copy

import torch

from vqdeepsc.data import load_images
from vqdeepsc.evaluate import link_seed
from vqdeepsc.link.phy import DigitalLink
from vqdeepsc.metrics import ssim
from vqdeepsc.receivers import get_receiver
from vqdeepsc.transceiver import Transceiver
from vqdeepsc.zoo import resolve_model

POINTS = (("awgn", 0.0), ("awgn", 3.0), ("awgn", 3.5), ("rayleigh", 4.0), ("rayleigh", 5.0), ("rician", 3.5),
          ("rician", 4.0), ("rician", 4.5))
THRESHOLDS = (1e-4, 1e-3, 3e-3, 1e-2, 3e-2)


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--limit", type=int, default=80, help="validation tiles (a fixed random sample)")
    parser.add_argument("--models", default="small-3,small-4")
    args = parser.parse_args()
    images, _ = load_images(args.data, "val", args.limit)
    rules = ["hard", "own", "failed", *(f"ber >= {t:g}" for t in THRESHOLDS)]
    print(f"{len(images)} validation tiles; mean SSIM per rule\n")
    print("| model | channel | Es/N0 (dB) | frames with a failed codeword | " + " | ".join(rules) + " |")
    print("|---|---|---:|---:|" + "---:|" * len(rules))
    for name in args.models.split(","):
        model, _ = resolve_model(name)
        robust, _ = resolve_model(f"{name}-robust")
        transceiver = Transceiver(model, images)
        own, hard, switch = get_receiver("soft"), get_receiver("hard"), get_receiver("robust-soft", robust)
        for channel, snr in POINTS:
            link = DigitalLink(channel, 2.0 if channel == "rician" else None)
            reception = transceiver.receive(link, snr, [link_seed(0, channel, snr, i) for i in range(len(images))])
            received, posterior, _ = reception
            failed = ~posterior.reliable.all(1)
            scores = {"hard": ssim(transceiver.reconstruct(hard, reception), images)}
            x_own = transceiver.reconstruct(own, reception)
            scores["own"] = ssim(x_own, images)
            x_robust = x_own.clone()
            for i in failed.nonzero().flatten().tolist():
                features = own.features(model, received[i:i + 1], posterior_at(posterior, i), images.shape[2:])
                x_robust[i] = robust.decode_features(features)[0]
            s_robust = ssim(x_robust, images)
            scores["failed"] = s_robust
            for t in THRESHOLDS:
                rule = copy.copy(switch)
                rule.switch_ber = t
                scores[f"ber >= {t:g}"] = torch.where(rule.robust_frames(posterior), s_robust, scores["own"])
            print(f"| {name} | {channel} | {snr:g} | {int(failed.sum())}/{len(images)} | "
                  + " | ".join(f"{scores[r].mean():.4f}" for r in rules) + " |", flush=True)


def posterior_at(posterior, i):
    from vqdeepsc.link.phy import Posterior

    return Posterior(posterior.llr[i:i + 1], posterior.reliable[i:i + 1])


if __name__ == "__main__":
    main()
