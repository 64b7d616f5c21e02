"""Channel-robust index labels alone: SSIM with hard bit errors, identity labels vs binary switching (issue 15).

    python benchmarks/index_labels.py --data ../shared/data [--models small-4,small-3] [--bers 0.001,0.01,0.1]

For each shipped model (whatever labels it carries): codeword labels by binary switching (:mod:`vqdeepsc.labels`)
with the codeword usage of the first ``--prior-images`` training tiles as prior; then on the validation tiles
every bit of the labels is flipped with probability BER (the same flips for both labellings) and the hard receiver
decodes. Prints a markdown table.
"""

import argparse

import torch

from vqdeepsc import zoo
from vqdeepsc.data import load_images
from vqdeepsc.labels import binary_switching, single_error_cost
from vqdeepsc.link.bits import bits_to_indices, indices_to_bits
from vqdeepsc.metrics import psnr, ssim


def decode_with_errors(model, indices, labels, ber, seed):
    """Send ``labels[indices]`` with bit errors at ``ber``, map the received labels back, decode."""
    widths, shapes = model.preset.bits_per_index, [tuple(i.shape[1:]) for i in indices]
    bits = indices_to_bits([lab[i] for lab, i in zip(labels, indices)], widths)
    flips = torch.rand(bits.shape, generator=torch.Generator().manual_seed(seed)) < ber
    received = bits_to_indices(torch.where(flips, 1 - bits, bits), widths, shapes)
    features = []
    for lab, r, space in zip(labels, received, model.embedding_spaces):
        owner = torch.empty_like(lab)
        owner[lab] = torch.arange(len(lab))
        features.append(space.lookup(owner[r.clamp_max(space.num_codes - 1)]))
    return model.decode_features(features)


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--models", default="small-4,small-3")
    parser.add_argument("--bers", default="0.001,0.003,0.01,0.03,0.1")
    parser.add_argument("--prior-images", type=int, default=512)
    args = parser.parse_args()
    bers = [float(b) for b in args.bers.split(",")]
    val, _ = load_images(args.data, "val")
    train, _ = load_images(args.data, "train", args.prior_images)
    print("| model | scale N | single-error cost identity -> switched |")
    print("|---|---|---|")
    tables = []
    for name in args.models.split(","):
        model = zoo.load(name)
        prior_indices = [torch.cat(c) for c in zip(*(model.codeword_indices(x) for x in train.split(64)))]
        labels = []
        for space, idx in zip(model.embedding_spaces, prior_indices):
            prior = torch.bincount(idx.flatten(), minlength=space.num_codes).double()
            prior /= prior.sum()
            codewords = space.codewords()
            labels.append(binary_switching(codewords, prior))
            identity_cost = single_error_cost(codewords, prior, torch.arange(space.num_codes))
            print(f"| {name} | {space.num_codes} | {identity_cost:.2f} -> "
                  f"{single_error_cost(codewords, prior, labels[-1]):.2f} |")
        identity = [torch.arange(space.num_codes) for space in model.embedding_spaces]
        indices = [torch.cat(c) for c in zip(*(model.codeword_indices(x) for x in val.split(64)))]
        for ber in bers:
            row = [name, f"{ber:g}"]
            for lab in (identity, labels):
                x_hat = torch.cat([decode_with_errors(model, [i[s:s + 64] for i in indices], lab, ber, s)
                                   for s in range(0, len(val), 64)])
                row.append(f"{ssim(x_hat, val).mean():.4f} / {psnr(x_hat, val).mean():.2f}")
            tables.append(row)
    print(f"\nHard receiver on {len(val)} validation tiles, SSIM / PSNR (dB):\n")
    print("| model | BER | identity labels | binary switching |")
    print("|---|---:|---|---|")
    for row in tables:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
