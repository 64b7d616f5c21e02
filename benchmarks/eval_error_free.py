"""Error-free quality of model files on a folder of images: mean SSIM / PSNR with a 95 % CI, one JSON line each.

    python benchmarks/eval_error_free.py FOLDER MODEL [MODEL ...] [--device cuda] [--index-search 0,10,30]
                                         [--limit N] [--paired]

A MODEL is a ``.safetensors`` file or a shipped name (``small-4``). Images are fitted and centre-cropped to
128x128 as in validation; the indices go straight to the decoder (what ``vqdeepsc eval`` measures at an SNR
where the link makes no errors, without the link), so it runs where Sionna is not installed, e.g. on a GPU box.
``--index-search`` gives one line per number of steps of the transmitter's index search (0: the nearest
codewords), with the transmitter's seconds per image; ``--limit`` takes N images spread evenly over the folder.
``--paired`` adds each line's per-image difference to the first model's line with the same steps (mean and 95 % CI of
``SSIM - SSIM_first``, likewise PSNR): it resolves differences far below the means' own intervals.
"""

import argparse
import json
import time

import torch
from torch.utils.data import DataLoader

from vqdeepsc import zoo
from vqdeepsc.checkpoint import load_model
from vqdeepsc.data import ImageDataset, collate_images, find_images
from vqdeepsc.index_search import IndexSearch
from vqdeepsc.metrics import psnr, ssim


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--index-search", default="0", metavar="STEPS,...",
                        help="steps of the transmitter's index search, one line each (default 0: nearest codewords)")
    parser.add_argument("--limit", type=int, help="N images spread evenly over the folder")
    parser.add_argument("--paired", action="store_true",
                        help="add the per-image difference to the first model (mean and 95 %% CI)")
    args = parser.parse_args()
    files = find_images(args.folder)
    if args.limit:
        files = files[::max(1, len(files) // args.limit)][:args.limit]
    loader = DataLoader(ImageDataset(files, 128), 32, collate_fn=collate_images)
    ci = lambda v: 1.96 * v.std().item() / len(v) ** 0.5  # noqa: E731
    first = {}  # steps -> the first model's per-image (SSIM, PSNR)
    for name in args.models:
        model = load_model(name, device=args.device) if name.endswith(".safetensors") else zoo.load(name, args.device)
        for steps in (int(v) for v in args.index_search.split(",")):
            s, p, seconds = [], [], 0.0
            for x, _ in loader:
                x = x.to(args.device)
                start = time.perf_counter()
                with torch.no_grad():  # the search turns gradients on for itself
                    codes = IndexSearch(steps)(model.eval(), x) if model.preset.quantized else model.encode(x)
                seconds += time.perf_counter() - start
                with torch.no_grad():
                    y = model.decode(codes).float()
                s.append(ssim(y, x).cpu())
                p.append(psnr(y, x).cpu())
            s, p = torch.cat(s).double(), torch.cat(p).double()
            line = {"model": name, "folder": args.folder, "images": len(s), "index_search": steps,
                    "ssim": round(s.mean().item(), 4), "ssim_ci95": round(ci(s), 4),
                    "psnr": round(p.mean().item(), 2), "psnr_ci95": round(ci(p), 2),
                    "transmitter_s_per_image": round(seconds / len(s), 3)}
            if args.paired:
                s0, p0 = first.setdefault(steps, (s, p))
                line.update({"ssim_paired": round((s - s0).mean().item(), 4), "ssim_paired_ci95": round(ci(s - s0), 4),
                             "psnr_paired": round((p - p0).mean().item(), 2), "psnr_paired_ci95": round(ci(p - p0), 2),
                             "images_better": int((s > s0).sum())})
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
