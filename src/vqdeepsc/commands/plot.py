"""``vqdeepsc plot``: the paper's Fig. 3 (and a PSNR twin, and image grids) from ``vqdeepsc eval`` results."""

HELP = "draw SSIM, PSNR or another metric vs Es/N0 (one panel per channel, one figure per preset) and image grids"
DEFAULT_METRICS = ("ssim", "psnr")


def add_arguments(parser):
    parser.add_argument("results", nargs="+", metavar="RESULTS",
                        help="results.json files or folders holding one (several are merged, e.g. 4- and 3-scale runs)")
    parser.add_argument("--out", help="output folder (default: the first results folder)")
    parser.add_argument("--metric", default=",".join(DEFAULT_METRICS), metavar="NAME[,NAME]",
                        help="what the figures show, one figure each: ssim, ms-ssim, psnr, psnr-luma, psnr-chroma, "
                        f"ciede2000 (default {','.join(DEFAULT_METRICS)})")


def draw(results: list, out=None, metrics=DEFAULT_METRICS) -> list:
    """Figures of the eval results in ``results`` (files or folders): ``<metric>_<preset>.png`` per preset and metric
    (its command-line name: ``ssim``, ``ms-ssim``, ...), ``<metric>.png`` with every preset when there are several,
    ``grid_<preset>.png`` where a grid was kept."""
    from pathlib import Path

    import numpy as np

    from ..metrics import get_metric

    from ..results import read_results
    from ..plots import plot_reconstructions, plot_snr_curves

    metrics = [get_metric(m.strip()).name for m in metrics]
    documents = {(Path(p) if Path(p).is_dir() else Path(p).parent): read_results(p) for p in results}
    rows, seen = [], {}
    for folder, document in documents.items():
        for row in document["results"]:
            key = (row["preset"], row["method"], row["channel"], row["snr_db"])
            if key in seen:
                raise ValueError(f"{folder} and {seen[key]} both hold {key[1]} on {key[2]} at {key[3]:g} dB "
                                 f"for {key[0]}")
            seen[key] = folder
            rows.append(row)
    out = Path(out) if out else next(iter(documents))
    written, grids = [], {}
    factors = {d["config"]["rician_factor"] for d in documents.values()}
    if len(factors) > 1:
        raise ValueError(f"results with different Rician factors {sorted(factors)} cannot share a figure")
    rician = factors.pop()
    schemes = {d["config"].get("scheme", "5G LDPC 1/3 + 16-QAM") for d in documents.values()}
    if len(schemes) > 1:
        raise ValueError(f"results sent with different modulation and coding {sorted(schemes)} cannot share a figure")
    link = schemes.pop()
    adaptive = {d["config"]["preset"]: d["config"]["family"] for d in documents.values() if d["config"].get("family")}
    presets = list(dict.fromkeys(r["preset"] for r in rows))
    families = {preset: [r for r in rows if r["preset"] == preset] for preset in presets}
    if len(presets) > 1:
        families[""] = rows
    for name, family in families.items():
        for metric in metrics:
            written.append(out / (f"{metric}_{name}.png" if name else f"{metric}.png"))
            plot_snr_curves(family, metric, written[-1], rician, link, adaptive)
    for folder, document in documents.items():
        npz = folder / "grid.npz"
        if npz.is_file():
            preset = document["config"]["preset"]
            grids[preset] = grids.get(preset, 0) + 1
            written.append(out / f"grid_{preset}{'' if grids[preset] == 1 else f'-{grids[preset]}'}.png")
            with np.load(npz) as grid:
                plot_reconstructions(grid, written[-1])
    print("wrote " + ", ".join(str(p) for p in written))
    return written


def run(args):
    draw(args.results, args.out, args.metric.split(","))

