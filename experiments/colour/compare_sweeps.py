"""Two Fig. 3 sweeps of one model preset on the same tiles and channel draws, side by side: for every method,
channel and Es/N0, each metric of sweep B minus sweep A (the means of ``results.csv``).

    python experiments/colour/compare_sweeps.py results/eval/small-4 NEW/small-4 [--metrics ssim,psnr,ciede2000]
        [--methods vq-soft,vq-robust-soft,jpeg]
"""

import argparse
import csv

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("a", help="results folder A (e.g. the shipped model's)")
parser.add_argument("b", help="results folder B (the candidate's)")
parser.add_argument("--metrics", default="ssim,psnr,ciede2000")
parser.add_argument("--methods", default="vq-hard,vq-soft,vq-robust-soft,upper,jpeg")
args = parser.parse_args()


def read(folder):
    with open(f"{folder}/results.csv") as f:
        return {(r["method"], r["channel"], float(r["snr_db"])): r for r in csv.DictReader(f)}


a, b = read(args.a), read(args.b)
metrics, methods = args.metrics.split(","), args.methods.split(",")
print("| method | channel | Es/N0 (dB) | " + " | ".join(f"{m}: A / B (B - A)" for m in metrics) + " |")
print("|---|---|---:|" + "---|" * len(metrics))
for key in sorted(set(a) & set(b), key=lambda k: (methods.index(k[0]) if k[0] in methods else 99, k[1], k[2])):
    if key[0] not in methods:
        continue
    cells = []
    for m in metrics:
        if not a[key].get(m) or not b[key].get(m):
            cells.append("")
            continue
        x, y = float(a[key][m]), float(b[key][m])
        cells.append(f"{x:.4g} / {y:.4g} ({y - x:+.3g})")
    print(f"| {key[0]} | {key[1]} | {key[2]:g} | " + " | ".join(cells) + " |")
