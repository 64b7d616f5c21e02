"""Error-free quality of model files on a folder of images: every metric's mean with a 95 % CI, one JSON line each.

    python benchmarks/eval_error_free.py FOLDER MODEL [MODEL ...] [--device cuda] [--index-search 0,10,30]
                                         [--limit N] [--paired]

A MODEL is a ``.safetensors`` file or a shipped name (``small-4``). Images are fitted and centre-cropped to
128x128 as in validation; the indices go straight to the decoder (what ``vqdeepsc eval`` measures at an SNR
where the link makes no errors, without the link), so it runs where Sionna is not installed, e.g. on a GPU box.
``--index-search`` gives one line per number of steps of the transmitter's index search (0: the nearest
codewords), with the transmitter's seconds per image; ``--limit`` takes N images spread evenly over the folder.
``--paired`` adds each line's per-image difference to the first model's line with the same steps (mean and 95 % CI of
``SSIM - SSIM_first``, likewise every other metric): it resolves differences far below the means' own intervals.
Every metric of ``vqdeepsc.metrics.METRICS`` is reported (SSIM, MS-SSIM, PSNR, PSNR of the luma and the chroma,
CIEDE2000) and ``mean_colour_error``: the mean absolute error of each image's average R, G, B, of 255.
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
from vqdeepsc.metrics import METRICS, image_scores


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
            scores, seconds = {}, 0.0
            for x, _ in loader:
                x = x.to(args.device)
                start = time.perf_counter()
                with torch.no_grad():  # the search turns gradients on for itself
                    codes = IndexSearch(steps)(model.eval(), x) if model.preset.quantized else model.encode(x)
                seconds += time.perf_counter() - start
                with torch.no_grad():
                    y = model.decode(codes).float()
                for key, values in image_scores(y.clamp(0, 1), x).items():
                    scores.setdefault(key, []).extend(values)
                colour = ((y.clamp(0, 1) - x).mean((2, 3)) * 255).abs().cpu()
                scores.setdefault("mean_colour_error", []).extend(colour.tolist())
            scores = {k: torch.tensor(v, dtype=torch.float64) for k, v in scores.items()}
            digits = {m.key: m.digits for m in METRICS}
            n = len(scores["ssim"])
            line = {"model": name, "folder": args.folder, "images": n, "index_search": steps,
                    "transmitter_s_per_image": round(seconds / n, 3)}
            for key, v in scores.items():
                if v.dim() == 1:
                    line.update({key: round(v.mean().item(), digits[key]), f"{key}_ci95": round(ci(v), digits[key])})
                else:  # mean_colour_error: R, G, B
                    line[key] = [round(c, 2) for c in v.mean(0).tolist()]
            if args.paired:
                base = first.setdefault(steps, scores)
                for key in digits:
                    if key in scores:
                        d = scores[key] - base[key]
                        line.update({f"{key}_paired": round(d.mean().item(), digits[key]),
                                     f"{key}_paired_ci95": round(ci(d), digits[key])})
                line["images_better"] = int((scores["ssim"] > base["ssim"]).sum())
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
