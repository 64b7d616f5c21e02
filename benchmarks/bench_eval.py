"""Time of ``vqdeepsc.evaluate`` against the naive loop (re-encode, send, decode every image at every SNR).

Both do the same work: the same images, SNRs and per-image link seeds, so they give the same SSIMs (checked).
``evaluate`` encodes each image once (VQ indices, the JPEG file fitted to the budget) and runs the semantic
decoder only on frames whose indices changed; the naive loop runs encode -> bits -> link -> indices ->
decode and ``fit_to_budget`` + ``send_file`` per image and SNR. Each side builds its own link (LDPC code
construction included). The LDPC decoder dominates both, so the ratio grows with the network's size.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_eval.py [--model small-4|paper-4|FILE] [--repeats 3]
"""

import argparse
import statistics
import time
from pathlib import Path

import torch

from vqdeepsc.baselines import fit_to_budget, get_codec, send_file, to_image
from vqdeepsc.budget import bit_budget
from vqdeepsc.checkpoint import load_model
from vqdeepsc.config import get_preset
from vqdeepsc.data import embedded_photos, load_images
from vqdeepsc.evaluate import evaluate, link_seed
from vqdeepsc.link.channel import parse_snr_list
from vqdeepsc.link.phy import DigitalLink
from vqdeepsc.metrics import ssim
from vqdeepsc.models.system import VQDeepSC
from vqdeepsc.link.bits import indices_to_bits
from vqdeepsc.transceiver import to_indices


@torch.no_grad()
def naive(method, model, images, snrs, budget):
    """Mean SSIM per SNR, everything redone per image and SNR."""
    link, out = DigitalLink("awgn"), []
    for snr in snrs:
        x_hat = []
        for i, image in enumerate(images):
            generator = torch.Generator().manual_seed(link_seed(0, "awgn", snr, i))
            if method == "vq":
                bits = indices_to_bits(model.encode(image[None]), model.preset.bits_per_index)
                received, _ = link(bits, snr, generator)
                x_hat.append(model.decode(to_indices(model, received, *image.shape[1:]))[0])
            else:
                codec = get_codec(method)
                data = fit_to_budget(codec, to_image(image), budget).data
                x_hat.append(send_file(codec, data, link, snr, (image.shape[2], image.shape[1]), payload_bits=budget,
                                       generator=generator).image)
        out.append(ssim(torch.stack(x_hat), images).mean().item())
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="small-4", help="preset name (untrained weights) or a .safetensors file")
    parser.add_argument("--data", help="data folder (default: the 4 photos bundled with scikit-image)")
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--snr", default="0,4,8,12")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats; medians are reported")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = load_model(args.model) if Path(args.model).is_file() else VQDeepSC(get_preset(args.model)).eval()
    images = (load_images(args.data, "test", args.images)[0] if args.data
              else torch.stack(list(embedded_photos(128).values()))[: args.images])
    snrs, budget = parse_snr_list(args.snr), bit_budget(model.preset)["index_bits"]
    print(f"{model.preset.name}, {len(images)} images, awgn at {snrs} dB, torch threads {torch.get_num_threads()}, "
          f"medians of {args.repeats} interleaved repeats\n")
    print("| method | naive loop (s) | evaluate (s) | ratio | max SSIM difference |")
    print("|---|---:|---:|---:|---:|")
    for method in ("vq", "jpeg"):
        times = {"naive": [], "evaluate": []}
        for _ in range(args.repeats):
            start = time.perf_counter()
            slow = naive(method, model, images, snrs, budget)
            times["naive"].append(time.perf_counter() - start)
            start = time.perf_counter()
            rows = evaluate(model, images, methods=[method], channels=["awgn"], snr_db=snrs)["results"]
            times["evaluate"].append(time.perf_counter() - start)
        t_naive, t_eval = (statistics.median(t) for t in times.values())
        diff = max(abs(a - r["ssim"]) for a, r in zip(slow, rows))
        print(f"| {method} | {t_naive:.2f} | {t_eval:.2f} | {t_naive / t_eval:.2f} | {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
