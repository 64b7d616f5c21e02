"""Training throughput (images/s) of the small and paper presets: eager fp32 vs the fast paths, in one run.

    python benchmarks/bench_train.py [--device cpu] [--batch 8] [--steps 3] [--presets small-4,paper-4]
                                     [--recipe paper|fast] [--crop 128]

Each (preset, mode) does one warm-up step and then ``--steps`` timed steps of the real training step
(generator + PatchGAN discriminator updates); modes are interleaved round-robin so that a noisy shared
machine affects them alike. Modes: ``fp32`` (eager), ``channels_last``, ``bf16`` (autocast) and both.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from vqdeepsc.recipes import RECIPES, recipe_values
from vqdeepsc.train import TrainConfig, Trainer

MODES = {"fp32": {}, "channels_last": {"channels_last": True}, "bf16": {"bf16": True},
         "bf16+channels_last": {"bf16": True, "channels_last": True}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--presets", default="small-4,paper-4")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--recipe", choices=tuple(RECIPES), help="the recipe's losses and quantizer (default: "
                        "TrainConfig's defaults: the paper's losses with k-means VQ)")
    parser.add_argument("--crop", type=int, default=128, help="training crop size (default 128)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        for split in ("train", "val", "test"):  # the Trainer needs a data set; the steps use random images
            (Path(data) / split).mkdir()
            Image.new("RGB", (128, 128)).save(Path(data) / split / "x.png")
        runs = {}
        for preset in args.presets.split(","):
            for mode in args.modes.split(","):
                values = recipe_values(args.recipe, preset) if args.recipe else {}
                values.update(preset=preset, data=data, run_dir=data, batch_size=args.batch, device=args.device,
                              workers=0, crop=args.crop, cache_images=False, **MODES[mode])
                cfg = TrainConfig(**values)
                runs[preset, mode] = (Trainer(cfg), [])
        images = torch.rand(args.batch, 3, args.crop, args.crop, device=args.device)
        for step in range(args.steps + 1):
            for trainer, times in runs.values():
                x = images.contiguous(memory_format=torch.channels_last) if trainer.cfg.channels_last else images
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                t = time.perf_counter()
                trainer.train_step(trainer.ddp, trainer.disc, x)
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()
                if step:  # step 0 is the warm-up (and the k-means initialisation)
                    times.append(time.perf_counter() - t)
    print(f"device {args.device}, batch {args.batch}, crop {args.crop}, recipe {args.recipe or 'default'}, "
          f"{torch.get_num_threads()} threads, median of {args.steps} steps")
    print("| preset | mode | images / s | vs fp32 |")
    print("|---|---|---|---|")
    for (preset, mode), (_, times) in runs.items():
        rate = args.batch / statistics.median(times)
        base = args.batch / statistics.median(runs[preset, "fp32"][1]) if (preset, "fp32") in runs else rate
        print(f"| {preset} | {mode} | {rate:.2f} | {rate / base:.2f}x |")


if __name__ == "__main__":
    main()
