"""The ablation table of training runs: validation SSIM / PSNR at equal CPU minutes, and val SSIM against minutes.

    python benchmarks/training_ablation.py RUN_DIR [RUN_DIR ...] [--minutes 9] [--plot curves.png] [--names a,b]

Each RUN_DIR is a ``vqdeepsc train`` run (its ``log.csv`` and ``config.json``). For every run it prints the last
validation before ``--minutes`` of cumulative training time (the ``seconds`` column: one thread per run, so
minutes are CPU minutes on a shared machine: compare runs that ran side by side), the best and the last epoch.
"""

import argparse
import csv
import json
from pathlib import Path

from vqdeepsc.plots import plot_runs


def read(run: Path) -> list[dict]:
    with open(run / "log.csv") as f:
        return [{k: float(v) if v not in ("", None) else None for k, v in r.items()} for r in csv.DictReader(f)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--minutes", type=float, default=9.0, help="compare at this much training time")
    parser.add_argument("--plot", type=Path, help="write val SSIM against minutes here")
    parser.add_argument("--names", help="comma-separated labels (default: the folder names)")
    args = parser.parse_args()
    names = args.names.split(",") if args.names else [r.name for r in args.runs]
    runs = {name: read(run) for name, run in zip(names, args.runs)}
    print(f"| run | quantizer | crop | SSIM w. | GAN | val SSIM / PSNR at {args.minutes:g} min | best val SSIM (min) "
          f"| last: epochs, min, SSIM / PSNR | perplexity F1..FL |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, rows), run in zip(runs.items(), args.runs):
        cfg = json.loads((run / "config.json").read_text())
        minutes = [sum(r["seconds"] for r in rows[: i + 1]) / 60 for i in range(len(rows))]
        before = [r for r, m in zip(rows, minutes) if m <= args.minutes]
        at = f"{before[-1]['val_ssim']:.4f} / {before[-1]['val_psnr']:.2f}" if before else "-"
        best = max(range(len(rows)), key=lambda i: rows[i]["val_ssim"])
        perplexity = " / ".join(f"{rows[-1][k]:.1f}" for k in sorted(rows[-1]) if k.startswith("perplexity_"))
        quantizer = "none" if cfg["preset"].endswith("-upper") else cfg.get("quantizer") or "vq"
        gan = f"{cfg['gan_weight']:g} (D lr {cfg['lr_disc']:g})" if cfg["gan_weight"] > 0 else "off"
        print(f"| {name} | {quantizer} | {cfg['crop']} | {cfg.get('ssim_weight', 0):g} | {gan} | {at} "
              f"| {rows[best]['val_ssim']:.4f} ({minutes[best]:.1f}) | {len(rows)}, {minutes[-1]:.1f}, "
              f"{rows[-1]['val_ssim']:.4f} / {rows[-1]['val_psnr']:.2f} | {perplexity or '-'} |")
    if args.plot:
        plot_runs(runs, args.plot)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
