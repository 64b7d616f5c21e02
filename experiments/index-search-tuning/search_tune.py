"""Scratch (run on `small-4-sixth/` and `small-4-ninth/`; results/training/index-search/tuning/): the index
search's learning rate and objective on val tiles, one JSON line per variant.

    cd experiments/index-search-tuning && PYTHONPATH=. python search_tune.py small-4 86 20:0.01:l1ssim 20:0.01:ssim \
        20:0.3:soft-l1ssim

A variant is STEPS:LR:OBJECTIVE; OBJECTIVE is l1ssim (the package's distortion) or ssim (1 - SSIM alone), with a
``soft-`` prefix for the search over codeword logits of ``soft_search.py`` instead of the features. Reads
../shared/data/val from the repository's root (VQDEEPSC_VAL overrides it).
"""
import json, os, sys, time
import torch
from torch.utils.data import DataLoader
from vqdeepsc import zoo, index_search as ix
from vqdeepsc.data import ImageDataset, collate_images, find_images
from vqdeepsc.metrics import psnr, ssim
from soft_search import SoftSearch

model_name, limit = sys.argv[1], int(sys.argv[2])
variants = [v.split(":") for v in sys.argv[3:]]  # steps:lr:objective
files = find_images(os.environ.get("VQDEEPSC_VAL", "../../../../../shared/data/val"))
files = files[::max(1, len(files) // limit)][:limit]
loader = DataLoader(ImageDataset(files, 128), 32, collate_fn=collate_images)
model = zoo.load(model_name, "cpu").eval()
objectives = {"l1ssim": ix.distortion, "ssim": lambda y, x: 1 - ssim(y, x)}
for steps, lr, obj in variants:
    kind = "soft" if obj.startswith("soft-") else "ste"
    ix.distortion = objectives[obj.removeprefix("soft-")]  # IndexSearch reads the module global
    search = (SoftSearch if kind == "soft" else ix.IndexSearch)(int(steps), float(lr))
    s, p, t = [], [], time.perf_counter()
    for x, _ in loader:
        with torch.no_grad():
            codes = search(model, x)
            y = model.decode(codes).float()
        s.append(ssim(y, x)); p.append(psnr(y, x))
    s, p = torch.cat(s), torch.cat(p)
    print(json.dumps({"model": model_name, "steps": int(steps), "lr": float(lr), "objective": obj, "n": len(s),
                      "ssim": round(s.mean().item(), 4), "psnr": round(p.mean().item(), 2),
                      "s_per_image": round((time.perf_counter() - t) / len(s), 2)}), flush=True)
