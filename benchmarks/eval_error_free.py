"""Error-free quality of model files on a folder of images: mean SSIM / PSNR with a 95 % CI, one JSON line each.

    python benchmarks/eval_error_free.py FOLDER MODEL [MODEL ...] [--device cuda]

A MODEL is a ``.safetensors`` file or a shipped name (``small-4``). Images are fitted and centre-cropped to
128x128 as in validation; the indices go straight to the decoder (what ``vqdeepsc eval`` measures at an SNR
where the link makes no errors, without the link), so it runs where Sionna is not installed, e.g. on a GPU box.
"""

import argparse
import json

import torch
from torch.utils.data import DataLoader

from vqdeepsc import zoo
from vqdeepsc.checkpoint import load_model
from vqdeepsc.data import ImageDataset, collate_images, find_images
from vqdeepsc.metrics import psnr, ssim


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("models", nargs="+")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    loader = DataLoader(ImageDataset(find_images(args.folder), 128), 32, collate_fn=collate_images)
    for name in args.models:
        model = load_model(name, device=args.device) if name.endswith(".safetensors") else zoo.load(name, args.device)
        s, p = [], []
        with torch.no_grad():
            for x, _ in loader:
                x = x.to(args.device)
                y = model.eval().decode(model.encode(x)).float()
                s.append(ssim(y, x).cpu())
                p.append(psnr(y, x).cpu())
        s, p = torch.cat(s).double(), torch.cat(p).double()
        ci = lambda v: 1.96 * v.std().item() / len(v) ** 0.5  # noqa: E731
        print(json.dumps({"model": name, "folder": args.folder, "images": len(s), "ssim": round(s.mean().item(), 4),
                          "ssim_ci95": round(ci(s), 4), "psnr": round(p.mean().item(), 2),
                          "psnr_ci95": round(ci(p), 2)}))


if __name__ == "__main__":
    main()
